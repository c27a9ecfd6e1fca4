// Section 3: HTTP (HTTP-PORT, HTTP-HEALTH, HTTP-METRICS, HTTP-FAVICON, HTTP-ROUTE, HTTP-BODY,
// HTTP-LIMIT, HTTP-BADJSON, HTTP-NOLEAK).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseOptions } from '../src/options';
import { rawRequest, startFixture, waitFor, type Started } from './helpers';

interface Echo {
  dataKind: string;
  data: unknown;
  ce: Record<string, unknown>;
  request: { method: string; path: string; query: Record<string, unknown>; header: string | null; rawBodyLength: number; isExpress: boolean };
}

let echo: Started;
let slow: Started;
before(async () => {
  echo = await startFixture('echo');
  slow = await startFixture('slow', { FUNC_TIMEOUT: '30' });
});
after(async () => {
  await echo.close();
  await slow.close();
});

async function post(body: string | Buffer, contentType?: string): Promise<{ status: number; text: string; json: () => Echo }> {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  const res = await rawRequest(echo.url, { method: 'POST', path: '/', headers, body });
  return { status: res.status, text: res.body, json: () => JSON.parse(res.body) as Echo };
}

describe('HTTP-PORT', () => {
  test('HTTP-PORT: FUNC_PORT defaults to 8080 and can be overridden', () => {
    assert.equal(parseOptions({}).FUNC_PORT, 8080);
    assert.equal(parseOptions({ FUNC_PORT: '18080' }).FUNC_PORT, 18080);
  });
  test('HTTP-PORT: an invalid FUNC_PORT is refused with a clear message', () => {
    assert.throws(() => parseOptions({ FUNC_PORT: 'eighty' }), /FUNC_PORT="eighty" is not an integer port 1-65535/);
    assert.throws(() => parseOptions({ FUNC_PORT: '70000' }), /FUNC_PORT/);
  });
});

describe('HTTP-HEALTH', () => {
  test('HTTP-HEALTH: GET /healthz → 200 OK without calling user code', async () => {
    const before = echo.runtime.metrics.render();
    const res = await fetch(echo.url + '/healthz');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'OK');
    assert.equal(echo.runtime.metrics.render(), before);
  });
  test('HTTP-HEALTH: /healthz stays fast (< 1 s) while a slow invocation runs', async () => {
    const pending = fetch(slow.url + '/?ms=1500');
    await waitFor('the slow invocation to be in flight', () => slow.runtime.inFlight() === 1);
    const t0 = performance.now();
    const res = await fetch(slow.url + '/healthz');
    const ms = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(ms < 1000, `healthz took ${ms} ms`);
    assert.equal(slow.runtime.inFlight(), 1, 'the slow invocation is still running');
    assert.equal((await pending).status, 200);
  });
});

describe('HTTP-METRICS', () => {
  test('HTTP-METRICS: GET /metrics → Prometheus text with the three metrics, counting calls', async () => {
    const s = await startFixture('throws');
    try {
      await fetch(s.url + '/?how=async');
      await fetch(s.url + '/?how=sync');
      const res = await fetch(s.url + '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(text, /^# TYPE function_calls_total counter$/m);
      assert.match(text, /^function_calls_total 2$/m);
      assert.match(text, /^function_failures_total 2$/m);
      assert.match(text, /^# TYPE function_duration_seconds histogram$/m);
      assert.match(text, /^function_duration_seconds_bucket\{le="\+Inf"\} 2$/m);
      assert.match(text, /^function_duration_seconds_count 2$/m);
      assert.match(text, /^function_duration_seconds_sum [0-9.e-]+$/m);
    } finally {
      await s.close();
    }
  });
});

describe('HTTP-FAVICON', () => {
  test('HTTP-FAVICON: GET /favicon.ico → 204 without calling user code', async () => {
    const s = await startFixture('echo');
    try {
      const res = await fetch(s.url + '/favicon.ico');
      assert.equal(res.status, 204);
      assert.match(s.runtime.metrics.render(), /^function_calls_total 0$/m);
    } finally {
      await s.close();
    }
  });
});

describe('HTTP-ROUTE', () => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    test(`HTTP-ROUTE: ${method} on any path reaches the function, with Access-Control-Allow-Origin: *`, async () => {
      const res = await rawRequest(echo.url, { method, path: '/some/deep/path?x=1' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const body = JSON.parse(res.body) as Echo;
      assert.equal(body.request.method, method);
      assert.equal(body.request.path, '/some/deep/path');
      assert.deepEqual(body.request.query, { x: '1' });
    });
  }
  test('HTTP-ROUTE: HEAD reaches the function and gets headers only', async () => {
    const s = await startFixture('echo');
    try {
      const res = await rawRequest(s.url, { method: 'HEAD', path: '/' });
      assert.equal(res.status, 200);
      assert.equal(res.body, '');
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      assert.match(s.runtime.metrics.render(), /^function_calls_total 1$/m);
    } finally {
      await s.close();
    }
  });
  test('HTTP-ROUTE: OPTIONS preflight is answered by the runtime, echoing the requested method and headers', async () => {
    const s = await startFixture('echo');
    try {
      const res = await rawRequest(s.url, {
        method: 'OPTIONS',
        path: '/anything',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-token, content-type' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-methods'], 'PUT');
      assert.equal(res.headers['access-control-allow-headers'], 'x-token, content-type');
      assert.match(s.runtime.metrics.render(), /^function_calls_total 0$/m, 'user code not called');
    } finally {
      await s.close();
    }
  });
  test('HTTP-ROUTE: /healthz with another method than GET reaches the function', async () => {
    const res = await rawRequest(echo.url, { method: 'POST', path: '/healthz' });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as Echo).request.path, '/healthz');
  });
});

describe('HTTP-BODY', () => {
  test('HTTP-BODY: application/json → parsed JSON object', async () => {
    const r = (await post('{"a":[1,2]}', 'application/json')).json();
    assert.equal(r.dataKind, 'object');
    assert.deepEqual(r.data, { a: [1, 2] });
  });
  test('HTTP-BODY: application/json with a charset parameter, and any JSON value (array, number, string, null)', async () => {
    assert.deepEqual((await post('[1,"x"]', 'application/json; charset=utf-8')).json().data, [1, 'x']);
    assert.deepEqual((await post('42', 'Application/JSON')).json().data, 42);
    assert.deepEqual((await post('"str"', 'application/json')).json().data, 'str');
    assert.equal((await post('null', 'application/json')).json().dataKind, 'null');
  });
  test('HTTP-BODY: application/cloudevents+json (structured CloudEvent) → parsed JSON', async () => {
    const r = (await post(JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', data: { n: 1 } }), 'application/cloudevents+json; charset=utf-8')).json();
    assert.deepEqual(r.data, { n: 1 });
  });
  test('HTTP-BODY: text/* → string', async () => {
    const r = (await post('héllo', 'text/plain; charset=utf-8')).json();
    assert.equal(r.dataKind, 'string');
    assert.equal(r.data, 'héllo');
    assert.equal((await post('<a/>', 'text/xml')).json().data, '<a/>');
  });
  test('HTTP-BODY: application/x-www-form-urlencoded → object of fields', async () => {
    const r = (await post('name=kyma&tags=a&tags=b&empty=', 'application/x-www-form-urlencoded')).json();
    assert.equal(r.dataKind, 'object');
    assert.deepEqual(r.data, { name: 'kyma', tags: ['a', 'b'], empty: '' });
  });
  test('HTTP-BODY: any other content type → raw bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const r = (await post(bytes, 'application/octet-stream')).json();
    assert.equal(r.dataKind, 'buffer');
    assert.equal(r.data, bytes.toString('base64'));
    assert.equal((await post('{"not":"parsed"}', 'application/vnd.custom+json')).json().dataKind, 'buffer');
    assert.equal((await post('abc')).json().dataKind, 'buffer', 'no content type → bytes');
  });
  test('HTTP-BODY: no body → no data (undefined), for GET and for an empty JSON POST', async () => {
    const get = JSON.parse((await rawRequest(echo.url, { path: '/' })).body) as Echo;
    assert.equal(get.dataKind, 'undefined');
    assert.equal((await post('', 'application/json')).json().dataKind, 'undefined');
  });
  test('HTTP-BODY: the raw body stays available on the request', async () => {
    assert.equal((await post('{"a":1}', 'application/json')).json().request.rawBodyLength, 7);
  });
});

describe('HTTP-LIMIT', () => {
  let small: Started;
  before(async () => {
    small = await startFixture('echo', { REQ_MB_LIMIT: '0.001' }); // 1048 bytes
  });
  after(() => small.close());
  const types = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/cloudevents+json'];
  for (const type of types) {
    test(`HTTP-LIMIT: a ${type} body over REQ_MB_LIMIT gets 413 before user code runs`, async () => {
      const calls = /^function_calls_total (\d+)$/m.exec(small.runtime.metrics.render())?.[1];
      const big = type.includes('json') ? JSON.stringify({ pad: 'x'.repeat(2000) }) : 'x'.repeat(2000);
      const res = await rawRequest(small.url, { method: 'POST', path: '/', headers: { 'content-type': type }, body: big });
      assert.equal(res.status, 413);
      assert.match(res.body, /Payload Too Large/);
      assert.equal(/^function_calls_total (\d+)$/m.exec(small.runtime.metrics.render())?.[1], calls, 'user code not called');
    });
  }
  test('HTTP-LIMIT: a chunked body (no Content-Length) over the limit gets 413 too', async () => {
    const res = await fetch(small.url + '/', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(500)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
  });
  test('HTTP-LIMIT: a body within the limit reaches the function', async () => {
    const res = await rawRequest(small.url, { method: 'POST', path: '/', headers: { 'content-type': 'text/plain' }, body: 'z'.repeat(1000) });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as Echo).data, 'z'.repeat(1000));
  });
  test('HTTP-LIMIT: the default limit is 1 MB: 1 MiB passes, one byte more is refused', async () => {
    const exact = await rawRequest(echo.url, { method: 'POST', path: '/', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024) });
    assert.equal(exact.status, 200);
    const over = await rawRequest(echo.url, { method: 'POST', path: '/', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024 + 1) });
    assert.equal(over.status, 413);
  });
});

describe('HTTP-BADJSON', () => {
  test('HTTP-BADJSON: a malformed JSON body → 400 with a short plain-text reason; user code not called', async () => {
    const s = await startFixture('echo');
    try {
      const res = await rawRequest(s.url, { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"a": 1,,}' });
      assert.equal(res.status, 400);
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      assert.ok(res.body.length > 0 && res.body.length < 200, res.body);
      assert.match(res.body, /JSON/);
      assert.match(s.runtime.metrics.render(), /^function_calls_total 0$/m);
    } finally {
      await s.close();
    }
  });
});

describe('HTTP-NOLEAK', () => {
  const leaks = (body: string): boolean => /\bat .+:\d+:\d+|\/kubeless|\/work\/|node_modules|<html|<!DOCTYPE|Error:/i.test(body);
  test('HTTP-NOLEAK: error responses (throw, reject, bad JSON, bad CloudEvent, too large, batch) carry no stack, path or HTML', async () => {
    const thrower = await startFixture('throws');
    const small = await startFixture('echo', { REQ_MB_LIMIT: '0.0001' });
    try {
      const bodies = [
        (await rawRequest(thrower.url, { path: '/?how=sync' })).body,
        (await rawRequest(thrower.url, { path: '/?how=async' })).body,
        (await rawRequest(thrower.url, { path: '/?how=bigint' })).body,
        (await rawRequest(echo.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })).body,
        (await rawRequest(echo.url, { method: 'POST', headers: { 'ce-specversion': '1.0' } })).body,
        (await rawRequest(echo.url, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' })).body,
        (await rawRequest(small.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(500) })).body,
      ];
      for (const body of bodies) assert.ok(!leaks(body), `leaks: ${body}`);
      assert.equal(bodies[0], 'Internal server error');
    } finally {
      await thrower.close();
      await small.close();
    }
  });
  test('HTTP-NOLEAK: a malformed request line gets no framework page', async () => {
    const res = await rawRequest(echo.url, { path: '/%E0%A4%A' });
    assert.ok(!leaks(res.body), res.body);
  });
});
