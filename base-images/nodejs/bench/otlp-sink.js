// A minimal OTLP/HTTP receiver for the bench: drains each export and answers 200. Counts spans
// roughly (by "spanId" occurrences) and prints the count on SIGTERM.
const http = require('node:http');
const port = Number(process.argv[2]);
let spans = 0;
http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      spans += body.split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ spans }) + '\n');
  process.exit(0);
});
