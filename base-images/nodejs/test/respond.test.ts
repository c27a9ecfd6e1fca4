// Section 7: responses (RES-VALUE, RES-CUSTOM, RES-ERROR, RES-TIMEOUT) and section 5's response
// helpers (SDK-RESPONSE). RES-CRASHSAFE is in lifecycle.test.ts (it needs the real process).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startFixture, waitFor, type Started } from './helpers';

let respond: Started;
before(async () => {
  respond = await startFixture('respond');
});
after(() => respond.close());

const get = (s: Started, path: string) => rawRequest(s.url, { path });

describe('RES-VALUE', () => {
  const cases: [string, string | undefined, string, string][] = [
    ['string', 'text/plain; charset=utf-8', 'plain text', 'a string → 200 text/plain; charset=utf-8'],
    ['object', 'application/json; charset=utf-8', '{"a":1}', 'an object → 200 JSON'],
    ['array', 'application/json; charset=utf-8', '[1,2]', 'an array → 200 JSON'],
    ['number', 'application/json; charset=utf-8', '42', 'a number → 200 JSON'],
    ['boolean', 'application/json; charset=utf-8', 'false', 'a boolean → 200 JSON'],
    ['undefined', undefined, '', 'undefined → 200 with an empty body'],
    ['null', undefined, '', 'null → 200 with an empty body'],
  ];
  for (const [kind, type, body, title] of cases) {
    test(`RES-VALUE: ${title}`, async () => {
      const res = await get(respond, `/?kind=${kind}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.body, body);
    });
  }
  test('RES-VALUE: a Buffer → 200 application/octet-stream with the bytes', async () => {
    const res = await fetch(respond.url + '/?kind=buffer');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [0, 1, 2, 255]);
  });
  test('RES-VALUE: a content type set by the handler wins', async () => {
    const res = await get(respond, '/?kind=typed-string');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.body, '<b>hi</b>');
  });
  test('RES-VALUE: an async handler behaves the same once settled', async () => {
    const s = await startFixture('async-handler');
    try {
      const res = await get(s, '/');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(res.body), { async: true });
    } finally {
      await s.close();
    }
  });
  test('RES-VALUE: a synchronous handler returning a string', async () => {
    const s = await startFixture('cjs-exports-main');
    try {
      const res = await get(s, '/');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'cjs-exports-main');
    } finally {
      await s.close();
    }
  });
});

describe('RES-CUSTOM', () => {
  test('RES-CUSTOM: a response the handler sends itself (extensions.response) wins over the return value', async () => {
    const res = await get(respond, '/?kind=express-send');
    assert.equal(res.status, 202);
    assert.equal(res.headers['x-sent'], 'by-handler');
    assert.deepEqual(JSON.parse(res.body), { sentBy: 'handler' });
  });
  test('RES-CUSTOM: status and headers set on extensions.response apply to the returned value', async () => {
    const res = await get(respond, '/?kind=express-status-only');
    assert.equal(res.status, 418);
    assert.equal(res.headers['x-teapot'], 'short and stout');
    assert.equal(res.body, 'teapot');
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});

describe('SDK-RESPONSE', () => {
  test('SDK-RESPONSE: setResponseStatus, setResponseHeader and setResponseContentType shape the response', async () => {
    const res = await get(respond, '/?kind=sdk');
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-custom'], 'yes');
    assert.deepEqual(JSON.parse(res.body), { created: true });
    const typed = await get(respond, '/?kind=typed-string');
    assert.equal(typed.headers['content-type'], 'text/html; charset=utf-8');
  });
});

describe('RES-ERROR', () => {
  let thrower: Started;
  before(async () => {
    thrower = await startFixture('throws');
  });
  after(() => thrower.close());
  for (const how of ['sync', 'async', 'string']) {
    test(`RES-ERROR: a handler that ${how === 'sync' ? 'throws' : how === 'async' ? 'rejects with an Error' : 'rejects with a non-Error value'} → 500 "Internal server error", logged with stack and trace id; server stays up`, async () => {
      const failuresBefore = Number(/^function_failures_total (\d+)$/m.exec(thrower.runtime.metrics.render())?.[1]);
      const errorsBefore = thrower.log.errors.length;
      const res = await get(thrower, `/?how=${how}`);
      assert.equal(res.status, 500);
      assert.equal(res.body, 'Internal server error');
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      const line = thrower.log.errors.slice(errorsBefore).join('\n');
      assert.match(line, /trace_id=[0-9a-f]{32}/);
      if (how === 'string') assert.match(line, /a plain string/);
      else assert.match(line, new RegExp(`${how} failure[\\s\\S]*\\n\\s+at `), 'the stack is logged');
      assert.equal(Number(/^function_failures_total (\d+)$/m.exec(thrower.runtime.metrics.render())?.[1]), failuresBefore + 1);
      assert.equal((await get(thrower, '/healthz')).status, 200);
    });
  }
  test('RES-ERROR: a return value that cannot be encoded (BigInt) → 500 as well', async () => {
    const res = await get(thrower, '/?how=bigint');
    assert.equal(res.status, 500);
    assert.equal(res.body, 'Internal server error');
  });
});

describe('RES-TIMEOUT', () => {
  test('RES-TIMEOUT: a handler still running after FUNC_TIMEOUT → 408 "Request Timeout"; the late result is discarded; the server stays healthy', async () => {
    const s = await startFixture('slow', { FUNC_TIMEOUT: '0.3' });
    try {
      const res = await get(s, '/?ms=1200');
      assert.equal(res.status, 408);
      assert.equal(res.body, 'Request Timeout');
      assert.match(s.log.errors.join('\n'), /timed out after/);
      assert.match(s.runtime.metrics.render(), /^function_failures_total 1$/m);
      assert.equal((await get(s, '/healthz')).status, 200);
      // The handler finishes later; its result goes nowhere and nothing breaks.
      await waitFor('the late handler to finish', async () => {
        const count = JSON.parse((await get(s, '/?late=count')).body) as { finishedLate: number };
        return count.finishedLate === 1;
      });
      assert.equal(s.runtime.inFlight(), 0);
      assert.equal((await get(s, '/?ms=10')).body, 'slept 10 ms');
    } finally {
      await s.close();
    }
  });
  test('RES-TIMEOUT: a handler that finishes within FUNC_TIMEOUT is answered normally', async () => {
    const s = await startFixture('slow', { FUNC_TIMEOUT: '5' });
    try {
      const res = await get(s, '/?ms=50');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'slept 50 ms');
    } finally {
      await s.close();
    }
  });
});
