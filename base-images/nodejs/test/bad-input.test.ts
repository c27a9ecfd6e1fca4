// Issue 15: what hostile or broken clients send, answered as the Python runtime answers it (the shared
// catalogue at the repository root, test/fixtures/bad-input/cases.json, runs the same cases against
// every built image; these run in-process on every commit). Each test names the finding it proves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS, createHttpServer } from '../src/http-server';
import { rawExchange, startFixture, type Started } from './helpers';

let echo: Started;
before(async () => {
  echo = await startFixture('echo');
});
after(() => echo.close());

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
const calls = (): number => Number(/^function_calls_total (\d+)$/m.exec(echo.runtime.metrics.render())?.[1]);
function post(contentType: string, body: string | Buffer, extra = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\n${extra}Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
}

describe('issue 15 #5: HTTP versions', () => {
  test('HTTP-ROUTE: an HTTP/2.0 request line is 505 and never reaches user code', async () => {
    const before = calls();
    const res = await rawExchange(echo.url, 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', { untilClosed: true });
    assert.deepEqual(res.statuses, [505]);
    assert.ok(res.closed);
    assert.equal(calls(), before);
  });
  test('HTTP-ROUTE: a request line without a version (HTTP/0.9) is 505', async () => {
    assert.deepEqual((await rawExchange(echo.url, 'GET /\r\n\r\n', { untilClosed: true })).statuses, [505]);
  });
});

describe('issue 15 #6: the answers both runtimes agree on', () => {
  test('HTTP-ROUTE: HTTP/1.1 without Host is 400 in the runtime\'s words', async () => {
    const res = await rawExchange(echo.url, 'GET / HTTP/1.1\r\n\r\n', { untilClosed: true });
    assert.deepEqual(res.statuses, [400]);
    assert.equal(res.body, 'Bad Request: an HTTP/1.1 request needs a Host header');
  });
  test('HTTP-ROUTE: Expect: x-bogus is 417 and closes the connection', async () => {
    const res = await rawExchange(echo.url, 'GET / HTTP/1.1\r\nHost: x\r\nExpect: x-bogus\r\n\r\n', { untilClosed: true });
    assert.deepEqual(res.statuses, [417]);
    assert.ok(res.closed);
  });
  test('HTTP-ROUTE: CONNECT is 400 (Node closed without an answer)', async () => {
    assert.deepEqual((await rawExchange(echo.url, 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n', { untilClosed: true })).statuses, [400]);
  });
  test('HTTP-BADJSON: JSON that is not UTF-8 is 400 (it was parsed with U+FFFD in place of the bytes)', async () => {
    const res = await rawExchange(echo.url, post('application/json', '{"a":"caf\xe9"}'));
    assert.deepEqual(res.statuses, [400]);
    assert.equal(res.body, 'Bad Request: the JSON body is not UTF-8');
  });
  test('HTTP-BADJSON: UTF-16 JSON is 400, with or without a BOM', async () => {
    const utf16 = Buffer.from('{"a":1}', 'utf16le');
    assert.deepEqual((await rawExchange(echo.url, post('application/json', utf16))).statuses, [400]);
    assert.deepEqual((await rawExchange(echo.url, post('application/json', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16])))).statuses, [400]);
  });
  test('EV-STRUCTURED: an invalid data_base64 is 400 (it was decoded leniently)', async () => {
    for (const value of ['"@@@"', '"YWJjZA"', '5']) {
      const body = `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":${value}}`;
      const res = await rawExchange(echo.url, post('application/cloudevents+json', body));
      assert.deepEqual(res.statuses, [400], value);
      assert.equal(res.body, 'Bad Request: invalid structured-mode CloudEvent: data_base64 is not valid base64');
    }
  });
  test('EV-BINARY: invalid percent-encoding in a ce-* header is 400 naming it (the raw text was kept)', async () => {
    const before = calls();
    for (const source of ['/a%zz%20b', '/caf%E9', '/a%C0%A0b']) {
      const res = await rawExchange(echo.url, post('text/plain', 'x', `ce-specversion: 1.0\r\nce-id: 1\r\nce-type: t\r\nce-source: ${source}\r\n`));
      assert.deepEqual(res.statuses, [400], source);
      assert.equal(res.body, 'Bad Request: invalid binary-mode CloudEvent: ce-source is not valid percent-encoded UTF-8');
    }
    assert.equal(calls(), before);
  });
});

describe('issue 15 #2: deeply nested JSON', () => {
  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
  test('HTTP-BADJSON: JSON nested deeper than 512 levels is 400, at 512 it is parsed', async () => {
    const deep = await rawExchange(echo.url, post('application/json', nested(513)));
    assert.deepEqual(deep.statuses, [400]);
    assert.equal(deep.body, 'Bad Request: the JSON body is nested deeper than 512 levels');
    assert.deepEqual((await rawExchange(echo.url, post('application/json', nested(100_000)))).statuses, [400]);
    assert.deepEqual((await rawExchange(echo.url, post('application/json', nested(512)))).statuses, [200]);
  });
  test('HTTP-BADJSON: brackets inside strings are not nesting; 100000 unterminated [ are 400', async () => {
    assert.deepEqual((await rawExchange(echo.url, post('application/json', `["${'['.repeat(2000)}"]`))).statuses, [200]);
    assert.deepEqual((await rawExchange(echo.url, post('application/json', '['.repeat(100_000)))).statuses, [400]);
  });
});

describe('issue 15 #1: the request head limit, the same as the Python runtime', () => {
  test('HTTP-LIMIT: URL, header names and values of 16384 bytes are 431; 16383 are answered', async () => {
    // Counted bytes: the URL, then "Host" + "x".
    const url = (counted: number): string => '/' + 'a'.repeat(counted - 5 - 1);
    assert.deepEqual((await rawExchange(echo.url, `GET ${url(16383)} HTTP/1.1\r\nHost: x\r\n\r\n`)).statuses, [200]);
    assert.deepEqual((await rawExchange(echo.url, `GET ${url(16384)} HTTP/1.1\r\nHost: x\r\n\r\n`, { untilClosed: true })).statuses, [431]);
  });
  test('HTTP-LIMIT: 1001 header fields are 431 on every Node major (Node 20 passed them on)', async () => {
    const fields = (n: number): string => 'GET / HTTP/1.1\r\nHost: x\r\n' + 'X-A: 1\r\n'.repeat(n - 1) + '\r\n';
    assert.deepEqual((await rawExchange(echo.url, fields(1000))).statuses, [200]);
    assert.deepEqual((await rawExchange(echo.url, fields(1001), { untilClosed: true })).statuses, [431]);
  });
});

describe('issue 15 #1: slow clients', () => {
  test('HTTP-LIMIT: the server is created with the timeouts the Python runtime keeps (5 s idle, 60 s head, 300 s request)', () => {
    const server = createHttpServer(echo.runtime);
    assert.deepEqual(
      [server.keepAliveTimeout, server.headersTimeout, server.requestTimeout, server.maxHeadersCount],
      [KEEP_ALIVE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, 1001],
    );
    assert.deepEqual([KEEP_ALIVE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS], [5_000, 60_000, 300_000]);
    server.close();
  });
});

describe('pipelining after a bad request', () => {
  // An asynchronous handler: its answer is still pending when the parser meets the bad bytes.
  let async: Started;
  before(async () => {
    async = await startFixture('async-handler');
  });
  after(() => async.close());
  test('HTTP-ROUTE: a good request followed by garbage gets its 200, then 400 (Node answered only 400)', async () => {
    const res = await rawExchange(async.url, GET + 'GARBAGE\r\n\r\n', { untilClosed: true });
    assert.deepEqual(res.statuses, [200, 400]);
  });
  test('HTTP-ROUTE: a broken chunked body is answered 400 at once, after the request before it', async () => {
    const broken = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n';
    assert.deepEqual((await rawExchange(async.url, broken, { untilClosed: true })).statuses, [400]);
    assert.deepEqual((await rawExchange(async.url, GET + broken, { untilClosed: true })).statuses, [200, 400]);
  });
  test('HTTP-ROUTE: bytes after a Connection: close request are not answered; the request is (Node answered 400 in its place)', async () => {
    const res = await rawExchange(async.url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' + GET, { untilClosed: true });
    assert.deepEqual(res.statuses, [200]);
  });
});
