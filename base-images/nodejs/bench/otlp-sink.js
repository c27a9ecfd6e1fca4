// A minimal OTLP/HTTP receiver for the bench: drains each export and answers 200. Counts spans
// (occurrences of "spanId", searched in the bytes: it shares a core with the load generator, so it
// never builds strings) and prints the count on SIGTERM.
const http = require('node:http');
const port = Number(process.argv[2]);
const marker = Buffer.from('"spanId"');
let spans = 0;
http
  .createServer((req, res) => {
    let tail = Buffer.alloc(0); // a marker may straddle two chunks
    req.on('data', (chunk) => {
      const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      for (let at = data.indexOf(marker); at !== -1; at = data.indexOf(marker, at + marker.length)) spans++;
      tail = data.subarray(Math.max(0, data.length - marker.length + 1));
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ spans }) + '\n');
  process.exit(0);
});
