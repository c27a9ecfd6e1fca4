// Section 8: tracing, in-process against a real OTLP/HTTP receiver on 127.0.0.1 (TR-TRACER,
// TR-EXPORT, TR-PROPAGATE, TR-QUIET). The process-level cases (TR-NOBLOCK, service.name from the
// environment, nothing exported without an endpoint) are in tracing-process.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createNoopMeter, metrics } from '@opentelemetry/api';
import { after, before, describe, test } from 'node:test';
import { parseOptions } from '../src/options';
import { serviceName } from '../src/telemetry';
import { rawRequest, startFixture, useTelemetry, waitFor, type Started } from './helpers';
import { startHeaderPeer, type HeaderPeer } from './peers/headers';
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './peers/otlp';

let receiver: OtlpReceiver;
let peer: HeaderPeer;
let fn: Started;

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

before(async () => {
  receiver = await startOtlpReceiver();
  peer = await startHeaderPeer();
  // Telemetry first, as main.ts does, then the functions are loaded.
  useTelemetry({ TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', FUNC_NAME: 'traced-fn' });
  fn = await startFixture('tracing', { FUNC_NAME: 'traced-fn' });
});
after(async () => {
  await fn.close();
  await peer.close();
  await receiver.close();
});

function spansOf(traceId: string): ReceivedSpan[] {
  return receiver.spans.filter((s) => s.traceId === traceId);
}

describe('TR-TRACER', () => {
  test('TR-TRACER: event.tracer is a working OpenTelemetry tracer whose spans are exported', async () => {
    const res = await rawRequest(fn.url, { path: '/' });
    assert.equal(res.status, 200);
    const { traceId, userSpanId } = JSON.parse(res.body) as { traceId: string; userSpanId: string };
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(traceId, '0'.repeat(32));
    const user = await waitFor('the user span', () => receiver.spans.find((s) => s.spanId === userSpanId));
    assert.equal(user.name, 'user-work');
  });
});

describe('TR-EXPORT', () => {
  test('TR-EXPORT: one SERVER span per invocation, child of the incoming traceparent; user spans are its children; service.name is FUNC_NAME', async () => {
    const traceId = hex(16);
    const parentId = hex(8);
    const res = await rawRequest(fn.url, { path: '/', headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { traceId: string; userSpanId: string };
    assert.equal(body.traceId, traceId, 'the user span is in the incoming trace');
    const spans = await waitFor('the SERVER and user spans', () => {
      const found = spansOf(traceId);
      return found.length >= 2 ? found : undefined;
    });
    const servers = spans.filter((s) => s.kind === SPAN_KIND_SERVER);
    assert.equal(servers.length, 1, 'exactly one SERVER span');
    const server = servers[0]!;
    assert.equal(server.parentSpanId, parentId);
    assert.equal(server.serviceName, 'traced-fn');
    assert.equal(server.attributes['http.response.status_code'], 200);
    const user = spans.find((s) => s.spanId === body.userSpanId)!;
    assert.equal(user.parentSpanId, server.spanId);
  });
  test('TR-EXPORT: without an incoming context every invocation still gets its own root SERVER span', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((JSON.parse((await rawRequest(fn.url, { path: '/' })).body) as { traceId: string }).traceId);
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) {
      const server = await waitFor(`the SERVER span of ${id}`, () => {
        const found = spansOf(id).filter((s) => s.kind === SPAN_KIND_SERVER);
        return found.length > 0 ? found : undefined;
      });
      assert.equal(server.length, 1);
      assert.equal(server[0]!.parentSpanId, undefined);
    }
  });
  test('TR-EXPORT: a failing invocation marks its SERVER span as an error', async () => {
    const s = await startFixture('throws');
    try {
      const traceId = hex(16);
      await rawRequest(s.url, { path: '/?how=async', headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
      const server = await waitFor('the failed SERVER span', () => spansOf(traceId).find((x) => x.kind === SPAN_KIND_SERVER));
      assert.equal(server.statusCode, 2, 'STATUS_CODE_ERROR');
    } finally {
      await s.close();
    }
  });
  test('TR-EXPORT: service.name is FUNC_NAME unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise', () => {
    assert.equal(serviceName(parseOptions({ FUNC_NAME: 'fn' })), 'fn');
    assert.equal(serviceName(parseOptions({ FUNC_NAME: 'fn', OTEL_RESOURCE_ATTRIBUTES: 'team=a,service.name=from-attrs' })), 'from-attrs');
    assert.equal(serviceName(parseOptions({ FUNC_NAME: 'fn', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'from-env' })), 'from-env');
  });
});

describe('TR-PROPAGATE', () => {
  test('TR-PROPAGATE: W3C traceparent/tracestate and baggage are extracted and injected into outgoing http and fetch calls, with B3 multi-headers', async () => {
    const traceId = hex(16);
    const before = peer.seen.length;
    const res = await rawRequest(fn.url, {
      path: `/?peer=${encodeURIComponent(peer.url)}`,
      headers: { traceparent: `00-${traceId}-${hex(8)}-01`, tracestate: 'vendor=abc', baggage: 'tenant=acme,region=eu' },
    });
    assert.equal(res.status, 200, res.body);
    const seen = peer.seen.slice(before);
    assert.deepEqual(seen.map((s) => s.via).sort(), ['fetch', 'http']);
    for (const { via, headers } of seen) {
      assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), `${via} traceparent`);
      assert.equal(headers.tracestate, 'vendor=abc', `${via} tracestate`);
      assert.match(String(headers.baggage), /tenant=acme/, `${via} baggage`);
      assert.match(String(headers.baggage), /region=eu/, `${via} baggage`);
      assert.equal(headers['x-b3-traceid'], traceId, `${via} B3 trace id`);
      assert.match(String(headers['x-b3-spanid']), /^[0-9a-f]{16}$/, `${via} B3 span id`);
      assert.equal(headers['x-b3-sampled'], '1', `${via} B3 sampled`);
    }
    // The outgoing calls are CLIENT spans under the invocation's SERVER span.
    const spans = await waitFor('the CLIENT spans', () => {
      const found = spansOf(traceId).filter((s) => s.kind === SPAN_KIND_CLIENT);
      return found.length >= 2 ? spansOf(traceId) : undefined;
    });
    const server = spans.find((s) => s.kind === SPAN_KIND_SERVER)!;
    for (const client of spans.filter((s) => s.kind === SPAN_KIND_CLIENT)) assert.equal(client.parentSpanId, server.spanId);
  });
  test('TR-PROPAGATE: B3 multi-headers are extracted from the request', async () => {
    const traceId = hex(16);
    const parentId = hex(8);
    const before = peer.seen.length;
    const res = await rawRequest(fn.url, {
      path: `/?peer=${encodeURIComponent(peer.url)}`,
      headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': parentId, 'x-b3-sampled': '1' },
    });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { traceId: string }).traceId, traceId);
    for (const { headers } of peer.seen.slice(before)) assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-`));
    const server = await waitFor('the SERVER span', () => spansOf(traceId).find((s) => s.kind === SPAN_KIND_SERVER));
    assert.equal(server.parentSpanId, parentId);
  });
  test('TR-PROPAGATE: outgoing calls of an ES module function (named import from node:http) carry the context', async () => {
    const s = await startFixture('tracing-esm');
    try {
      const traceId = hex(16);
      const before = peer.seen.length;
      const res = await rawRequest(s.url, { path: `/?peer=${encodeURIComponent(peer.url)}`, headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
      assert.equal(res.status, 200, res.body);
      const seen = peer.seen.slice(before);
      assert.equal(seen.length, 1);
      assert.match(String(seen[0]!.headers.traceparent), new RegExp(`^00-${traceId}-`));
      assert.equal(seen[0]!.headers['x-b3-traceid'], traceId);
    } finally {
      await s.close();
    }
  });
});

describe('TR-QUIET', () => {
  test('TR-QUIET: no spans for /healthz, /metrics, /favicon.ico', async () => {
    const quiet = hex(16);
    const headers = { traceparent: `00-${quiet}-${hex(8)}-01` };
    for (const path of ['/healthz', '/metrics', '/favicon.ico']) assert.ok((await rawRequest(fn.url, { path, headers })).status < 300);
    // A traced invocation afterwards is the barrier: once its span arrived, earlier spans would have too.
    const barrier = hex(16);
    await rawRequest(fn.url, { path: '/', headers: { traceparent: `00-${barrier}-${hex(8)}-01` } });
    await waitFor('the barrier span', () => spansOf(barrier).length > 0);
    assert.deepEqual(spansOf(quiet), []);
  });
});

describe('TR-EXPORT: spans only', () => {
  test('TR-EXPORT: the runtime sets up spans and nothing else: no metrics provider, so no OTLP metrics exporter to 127.0.0.1:4318 (whose flush held every SIGTERM for FLUSH_TIMEOUT)', () => {
    // NodeSDK registers a meter provider with an OTLP exporter from env defaults unless it is given
    // metric readers: registering one here succeeds only if the runtime registered none.
    const registered = metrics.setGlobalMeterProvider({ getMeter: createNoopMeter });
    metrics.disable();
    assert.equal(registered, true, 'a global meter provider was already registered by setupTelemetry');
  });
});
