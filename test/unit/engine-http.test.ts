// The engine's HTTP API without dockerode (issue 16): failures keep what the rest of the engine module
// reads (status, the engine's message), a missing image is found in one request, an engine that is not
// there is an EngineUnavailableError on the first request, and a load that fails inside its stream fails.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { statusOf, engineText } from '../../src/engine/engine-errors.js';
import { EngineHttp, enginePath, queryString } from '../../src/engine/http.js';
import { findImage, loadImage } from '../../src/engine/images.js';
import { EngineRequestError, EngineUnavailableError } from '../../src/errors.js';

test('query parameters: lists repeat, objects are JSON, undefined is left out', () => {
  assert.equal(queryString({ t: ['a:1', 'b:2'], buildargs: { x: '1' }, nocache: false, platform: undefined }), '?t=a%3A1&t=b%3A2&buildargs=%7B%22x%22%3A%221%22%7D&nocache=false');
  assert.equal(enginePath('127.0.0.1:5000/team/fn@sha256:ab'), '127.0.0.1:5000/team/fn@sha256:ab');
  assert.equal(enginePath('a b?'), 'a%20b%3F');
});

describe('an engine over a unix socket', () => {
  let dir: string;
  let server: Server;
  let http: EngineHttp;
  const requests: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-engine-http-'));
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/images/missing/json') {
        res.writeHead(404, { 'content-type': 'application/json', server: 'Docker/20.10.24 (linux)' });
        res.end('{"message":"No such image: missing"}');
      } else if (req.url?.startsWith('/images/load')) {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"errorDetail":{"message":"open /x/layer.tar: no such file"},"error":"open /x/layer.tar: no such file"}\n');
      } else {
        res.writeHead(500);
        res.end('boom');
      }
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'engine.sock'), () => resolve()));
    http = new EngineHttp({ socketPath: join(dir, 'engine.sock') }, `unix://${join(dir, 'engine.sock')}`);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  test('a 404 carries status and message; findImage says "none" in one request', async () => {
    await assert.rejects(http.json('GET', '/images/missing/json'), (error: unknown) => statusOf(error) === 404 && engineText(error) === 'No such image: missing');
    requests.length = 0;
    assert.equal(await findImage(http, 'missing'), undefined);
    assert.deepEqual(requests, ['GET /images/missing/json']);
    assert.equal(http.server, 'Docker/20.10.24 (linux)', 'the engine names itself in every answer');
  });

  test('an error inside the load stream fails the load with the engine text', async () => {
    await assert.rejects(loadImage(http, Buffer.from('tar')), (error: unknown) => error instanceof EngineRequestError && /open \/x\/layer\.tar/.test(error.message));
  });

  test('no engine at the address: the first request is an EngineUnavailableError naming it', async () => {
    const none = new EngineHttp({ socketPath: join(dir, 'none.sock') }, 'unix:///nowhere');
    await assert.rejects(findImage(none, 'x'), (error: unknown) => error instanceof EngineUnavailableError && /no Docker engine answers at unix:\/\/\/nowhere/.test(error.message));
  });
});

test("registry credentials in the engine's header: Go's URL-safe base64 with padding (the engine reads nothing else)", async () => {
  const { registryHeader } = await import('../../src/engine/http.js');
  const auth = { username: 'a', password: '>?~~' };
  const header = registryHeader(auth);
  assert.match(header, /=$/, 'padded');
  assert.doesNotMatch(header, /[+/]/);
  assert.deepEqual(JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()), auth);
});
