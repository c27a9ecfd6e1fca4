// rtcheck's pure helpers: OTLP decoding (JSON and protobuf), shell-wrapper detection (IMG-SIGNALS),
// leak detection (HTTP-NOLEAK), the image-config checks, and the SDK event validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageChecks, shellWrapper } from '../../src/rtcheck/checks/image.js';
import { leaks } from '../../src/rtcheck/checks/http.js';
import { eventProblem } from '../../src/rtcheck/checks/sdk.js';
import { ownReadyTimeout } from '../../src/rtcheck/entrypoint-phase.js';
import type { CheckContext } from '../../src/rtcheck/check.js';
import { resolveRuntime } from '../../src/rtcheck/session.js';
import { decodeExport, decodeJson, decodeProtobuf } from '../../src/rtcheck/peers/otlp.js';
import type { ImageInfo } from '../../src/engine/index.js';

// Protobuf encoding of just what the decoder reads, to build test messages by hand.
function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}
const field = (no: number, value: Buffer | string): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(no * 8 + 2), varint(bytes.length), bytes]);
};
const enumField = (no: number, value: number): Buffer => Buffer.concat([varint(no * 8), varint(value)]);
const fixed64 = (no: number): Buffer => Buffer.concat([varint(no * 8 + 1), Buffer.alloc(8)]);

test('OTLP protobuf: trace, span and parent ids as hex, name, kind and service.name', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const span = Buffer.concat([
    field(1, Buffer.from(traceId, 'hex')),
    field(2, Buffer.from('b7ad6b7169203331', 'hex')),
    field(4, Buffer.from('00f067aa0ba902b7', 'hex')),
    field(5, 'GET /'),
    enumField(6, 2),
    fixed64(7),
    fixed64(8),
  ]);
  const resource = field(1, Buffer.concat([field(1, 'service.name'), field(2, field(1, 'my-fn'))]));
  const request = field(1, Buffer.concat([field(1, resource), field(2, Buffer.concat([field(1, field(1, 'scope')), field(2, span)]))]));
  assert.deepEqual(decodeProtobuf(request), [
    { traceId, spanId: 'b7ad6b7169203331', parentSpanId: '00f067aa0ba902b7', name: 'GET /', kind: 2, serviceName: 'my-fn' },
  ]);
  assert.deepEqual(decodeExport('application/x-protobuf', request), decodeProtobuf(request));
  assert.deepEqual(decodeExport('application/x-protobuf', Buffer.from([0x0a, 0xff])), [], 'a truncated body gives no spans');
});

test('OTLP JSON: hex or base64 ids, numeric or named kinds', () => {
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn' } }] },
        scopeSpans: [
          { spans: [{ traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'b7ad6b7169203331', name: 'a', kind: 2 }] },
          { spans: [{ traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'), spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'), parentSpanId: '', name: 'b', kind: 'SPAN_KIND_CLIENT' }] },
        ],
      },
    ],
  };
  const spans = decodeJson(Buffer.from(JSON.stringify(body)));
  assert.deepEqual(spans.map((s) => [s.traceId, s.spanId, s.kind, s.serviceName]), [
    ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 2, 'fn'],
    ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 3, 'fn'],
  ]);
});

test('IMG-SIGNALS: sh -c wrappers are found, exec form and "exec" scripts are fine', () => {
  assert.equal(shellWrapper(['/bin/sh', '-c', 'node server.js || exit $?']), '/bin/sh -c node server.js || exit $?');
  assert.ok(shellWrapper(['bash', '-lc', 'python -m app']));
  assert.equal(shellWrapper(['/bin/sh', '-c', 'exec node server.js']), undefined);
  assert.equal(shellWrapper(['node', 'server.js']), undefined);
  assert.equal(shellWrapper(['/usr/bin/tini', '--', 'node', 'server.js']), undefined);
  assert.equal(shellWrapper([]), undefined);
});

test('HTTP-NOLEAK: stack frames, tracebacks, HTML pages and paths are leaks; a short reason is not', () => {
  assert.equal(leaks('Internal server error', '/kubeless'), undefined);
  assert.equal(leaks('Invalid CloudEvent: missing id', '/kubeless'), undefined);
  assert.ok(leaks('Error: boom\n    at main (/kubeless/handler.js:3:9)', '/kubeless'));
  assert.ok(leaks('Traceback (most recent call last):\n  File "x"', '/kubeless'));
  assert.ok(leaks('<!DOCTYPE html><html><body>Error</body></html>', '/kubeless'));
  assert.ok(leaks('failed in handler.py:12', '/kubeless'));
  assert.ok(leaks('cannot open /opt/runtime/server.js', '/kubeless'));
});

test('SDK-EMIT: an event is POSTed to the exact URL as a structured CloudEvent with a UUID id and RFC 3339 time', () => {
  const good = {
    method: 'POST',
    path: '/publish',
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    body: Buffer.from(JSON.stringify({ specversion: '1.0', id: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', time: '2026-11-23T20:00:00.123Z', type: 't', data: { n: 1 } })),
    at: 0,
  };
  assert.equal(eventProblem(good, '/publish', { type: 't', data: { n: 1 } }), undefined);
  assert.match(eventProblem({ ...good, path: '/publish/' }, '/publish', {}) ?? '', /exactly \/publish/);
  assert.match(eventProblem({ ...good, headers: { 'content-type': 'application/json' } }, '/publish', {}) ?? '', /cloudevents\+json/);
  assert.match(eventProblem(good, '/publish', { data: { n: 2 } }) ?? '', /data was/);
  const noUuid = { ...good, body: Buffer.from(JSON.stringify({ specversion: '1.0', id: '42', time: '2026-11-23T20:00:00Z' })) };
  assert.match(eventProblem(noUuid, '/publish', {}) ?? '', /not a UUID/);
});

test('a short container gets many times the main container\'s start-up time to get ready: at least 10 s, at most 30 s (20 s when unknown)', () => {
  assert.equal(ownReadyTimeout(undefined), 20_000);
  assert.equal(ownReadyTimeout(100), 10_000);
  assert.equal(ownReadyTimeout(2000), 20_000);
  assert.equal(ownReadyTimeout(60_000), 30_000);
});

function imageContext(config: Partial<ImageInfo>): CheckContext {
  const image: ImageInfo = { id: 'sha256:x', repoTags: [], repoDigests: [], user: '1000', env: { FUNC_RUNTIME: 'nodejs20' }, exposedPorts: ['8080/tcp'], entrypoint: null, cmd: ['node', 'server.js'], workingDir: '', labels: {}, layers: [], size: 0, created: '', architecture: 'amd64', os: 'linux', ...config };
  return { image, runtime: resolveRuntime('nodejs20', undefined) } as unknown as CheckContext;
}

async function staticStatus(clause: string, config: Partial<ImageInfo>): Promise<string> {
  const check = imageChecks.find((c) => c.clause === clause);
  assert.ok(check);
  return (await check.run(imageContext(config))).status;
}

test('IMG-USER: numeric non-root passes; root, empty and named users fail', async () => {
  assert.equal(await staticStatus('IMG-USER', { user: '1000' }), 'pass');
  assert.equal(await staticStatus('IMG-USER', { user: '1000:1000' }), 'pass');
  for (const user of ['', '0', '0:0', 'node', 'root']) assert.equal(await staticStatus('IMG-USER', { user }), 'fail', `user "${user}"`);
});

test('IMG-RUNTIME, IMG-PORT-EXPOSE and IMG-SIGNALS from the image config', async () => {
  assert.equal(await staticStatus('IMG-RUNTIME', {}), 'pass');
  assert.equal(await staticStatus('IMG-RUNTIME', { env: {} }), 'fail');
  assert.equal(await staticStatus('IMG-RUNTIME', { env: { FUNC_RUNTIME: 'python312' } }), 'fail');
  assert.equal(await staticStatus('IMG-PORT-EXPOSE', { exposedPorts: ['3000/tcp'] }), 'fail');
  assert.equal(await staticStatus('IMG-SIGNALS', { cmd: ['/bin/sh', '-c', 'node server.js'] }), 'fail');
  assert.equal(await staticStatus('IMG-SIGNALS', { entrypoint: ['/bin/sh', '-c'], cmd: ['node server.js'] }), 'fail');
  assert.equal(await staticStatus('IMG-SIGNALS', { entrypoint: null, cmd: null }), 'fail');
});
