// The baseline: a plain node:http hello world.
const http = require('node:http');
const port = Number(process.argv[2]);
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Hello World');
  })
  .listen(port, '127.0.0.1');
