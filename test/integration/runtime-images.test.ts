// The project's base images against the real engine, run as the platform runs them (restricted
// profile, image user, function copied into the volume). One table of cases runs against both
// runtimes: the same requests must give the same status codes, content types and bodies, to the word.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { testEngine } from '../support/engine.js';
import { type FunctionContainer, startFunction } from '../support/function-container.js';
import { PROJECT_RUNTIMES } from '../../src/platform/runtimes.js';
import { pollUntil } from '../support/net.js';

const functions = join(import.meta.dirname, '..', 'fixtures', 'functions');

// Every base image the project ships, from the one runtime table.
const RUNTIMES = PROJECT_RUNTIMES.map((runtime) => ({ id: runtime.id, image: runtime.project?.devTag as string, probe: join(functions, runtime.family.probes, 'probe') }));

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** Media type of the answer, without parameters. */
  type?: string;
  text?: string;
  json?: unknown;
}

const CE_HEADERS = {
  'ce-specversion': '1.0',
  'ce-type': 'order.created',
  'ce-source': '/shop',
  'ce-id': 'A-1',
  'ce-eventtypeversion': 'v1',
  'content-type': 'application/json',
};

const CASES: Case[] = [
  { name: 'HTTP-HEALTH: /healthz answers 200', path: '/healthz', status: 200 },
  { name: 'RES-VALUE: a returned string is 200 text/plain', path: '/', status: 200, type: 'text/plain', text: 'hello' },
  {
    name: 'EV-BINARY + CTX-FIELDS: a binary CloudEvent round trip',
    method: 'POST',
    path: '/echo',
    headers: CE_HEADERS,
    body: '{"order":42}',
    status: 200,
    type: 'application/json',
    json: {
      data: { order: 42 },
      ce: { type: 'order.created', source: '/shop', id: 'A-1', specversion: '1.0', eventtypeversion: 'v1' },
      context: { name: 'probe', timeout: 2, runtime: '' },
    },
  },
  {
    name: 'EV-PLAIN: a plain request has no ce-* values',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'text/plain' },
    body: 'just text',
    status: 200,
    type: 'application/json',
    json: {
      data: 'just text',
      ce: { type: null, source: null, id: null, specversion: null, eventtypeversion: null },
      context: { name: 'probe', timeout: 2, runtime: '' },
    },
  },
  {
    name: 'EV-INVALID: a structured CloudEvent without id is 400 and names it',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ specversion: '1.0', type: 't', source: '/s', data: {} }),
    status: 400,
    type: 'text/plain',
    text: 'Bad Request: invalid structured-mode CloudEvent: missing required attribute id',
  },
  {
    name: 'EV-INVALID: a structured CloudEvent that is not a JSON object is 400',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: '[1]',
    status: 400,
    type: 'text/plain',
    text: 'Bad Request: invalid structured-mode CloudEvent: the body must be a JSON object',
  },
  {
    name: 'EV-INVALID: a binary CloudEvent without ce-id and ce-source is 400 and names both',
    method: 'POST',
    path: '/echo',
    headers: { 'ce-specversion': '1.0', 'ce-type': 't', 'content-type': 'application/json' },
    body: '{}',
    status: 400,
    type: 'text/plain',
    text: 'Bad Request: invalid binary-mode CloudEvent: missing required attributes ce-id, ce-source',
  },
  {
    name: 'EV-INVALID: a binary CloudEvent of specversion 0.3 is 400',
    method: 'POST',
    path: '/echo',
    headers: { ...CE_HEADERS, 'ce-specversion': '0.3' },
    body: '{}',
    status: 400,
    type: 'text/plain',
    text: 'Bad Request: invalid binary-mode CloudEvent: specversion "0.3" is not supported (expected "1.0")',
  },
  {
    name: 'EV-BATCH: a batch is 415',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: '[]',
    status: 415,
    type: 'text/plain',
    text: 'Unsupported Media Type: CloudEvents batch mode (application/cloudevents-batch+json) is not supported',
  },
  {
    name: 'HTTP-BADJSON: malformed JSON is 400',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: '{"broken":',
    status: 400,
    type: 'text/plain',
    text: 'Bad Request: the body is not valid JSON',
  },
  {
    name: 'HTTP-LIMIT: a body over REQ_MB_LIMIT is 413',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/octet-stream' },
    body: 'x'.repeat(1024 * 1024 + 1),
    status: 413,
    type: 'text/plain',
    text: 'Payload Too Large: the body exceeds REQ_MB_LIMIT (1 MB)',
  },
  { name: 'RES-ERROR: a thrown error is 500 Internal server error', path: '/throw', status: 500, text: 'Internal server error' },
  {
    name: 'LOAD-DEPS: a dependency installed next to the sources resolves',
    path: '/dependency',
    status: 200,
    type: 'text/plain',
    text: 'hello dependency from the greeter package',
  },
  {
    name: 'RES-TIMEOUT: a handler running past FUNC_TIMEOUT is 408',
    method: 'POST',
    path: '/sleep',
    headers: { 'content-type': 'application/json' },
    body: '{"ms":4000}',
    status: 408,
    text: 'Request Timeout',
  },
];

/** What both runtimes' /metrics lists, values left out. */
const METRIC_SERIES = [
  'function_calls_total',
  'function_failures_total',
  ...['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '180', '+Inf'].map((le) => `function_duration_seconds_bucket{le="${le}"}`),
  'function_duration_seconds_sum',
  'function_duration_seconds_count',
];

for (const runtime of RUNTIMES) {
  describe(`${runtime.image} (restricted profile, image user)`, () => {
    let engine: Engine;
    let subject: FunctionContainer;

    before(async () => {
      engine = await testEngine();
      subject = await startFunction(engine, runtime.image, runtime.probe, { env: { FUNC_TIMEOUT: '2' } });
    });
    after(async () => {
      await subject?.remove();
    });

    test('IMG-USER: the image user is numeric and not root', async () => {
      const user = (await engine.inspectImage(runtime.image)).user;
      assert.match(user, /^[1-9][0-9]*(:[0-9]+)?$/);
    });

    for (const c of CASES) {
      test(c.name, async () => {
        const response = await fetch(`${subject.url}${c.path}`, {
          method: c.method ?? 'GET',
          headers: c.headers ?? {},
          ...(c.body !== undefined ? { body: c.body } : {}),
        });
        const text = await response.text();
        const evidence = `${c.method ?? 'GET'} ${c.path} → ${response.status} ${text.slice(0, 300)}\n${await subject.logTail(40)}`;
        assert.equal(response.status, c.status, evidence);
        if (c.type) assert.equal(response.headers.get('content-type')?.split(';')[0], c.type, evidence);
        if (c.text !== undefined) assert.equal(text, c.text, evidence);
        if (c.json !== undefined) {
          const expected = structuredClone(c.json) as { context?: { runtime: string } };
          if (expected.context) expected.context.runtime = runtime.id;
          assert.deepEqual(JSON.parse(text), expected, evidence);
        }
      });
    }

    test('HTTP-METRICS: the same series in both runtimes, without labels, with the same buckets', async () => {
      const text = await (await fetch(`${subject.url}/metrics`)).text();
      const series = text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.slice(0, line.lastIndexOf(' ')));
      assert.deepEqual(series, METRIC_SERIES, text);
    });

    test('HTTP-HEALTH: /healthz stays fast while an invocation runs', async () => {
      const slow = fetch(`${subject.url}/sleep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ms":1500}' });
      const health = await fetch(`${subject.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      assert.equal(health.status, 200);
      assert.equal((await slow).status, 200);
    });

    test('LC-TERM: on SIGTERM an in-flight request completes and the container exits 0', async () => {
      const inFlight = fetch(`${subject.url}/sleep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ms":1000}' });
      // Signal only once the function is surely running the request.
      await pollUntil('the /sleep invocation to be running', async () => {
        const count = await (await fetch(`${subject.url}/sleeping`)).text();
        return count === '1' ? true : undefined;
      }, { timeoutMs: 5000, intervalMs: 10 });
      const exited = subject.container.wait();
      await subject.container.kill('SIGTERM');
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'slept');
      assert.equal(await exited, 0, await subject.logTail(40));
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`${runtime.image}: stopping with a client stalled mid-body`, () => {
    let subject: FunctionContainer;
    before(async () => {
      subject = await startFunction(await testEngine(), runtime.image, runtime.probe, { env: { FUNC_TIMEOUT: '60' } });
    });
    after(async () => {
      await subject?.remove();
    });

    test('LC-TERM: a request whose body never arrived is not in flight: SIGTERM does not wait FUNC_TIMEOUT for it (issue 15 #4)', async () => {
      const stalled = connect({ host: '127.0.0.1', port: subject.port });
      stalled.on('error', () => undefined);
      let received = '';
      stalled.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      try {
        // Expect: 100-continue makes the runtime say when it has read the head; then 3 of 100 bytes.
        stalled.write('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n');
        await pollUntil('100 Continue', () => Promise.resolve(received.startsWith('HTTP/1.1 100 Continue') ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
        stalled.write('abc');
        const exited = subject.container.wait();
        await subject.container.kill('SIGTERM');
        // Before the fix the Node runtime waited FUNC_TIMEOUT (60 s) for "1 invocation(s) in flight".
        const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000).unref())]);
        assert.equal(code, 0, await subject.logTail(20));
      } finally {
        stalled.destroy();
      }
    });
  });
}
