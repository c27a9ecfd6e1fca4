// TR-EXPORT: the runtime's own OTLP/JSON encoder (src/otlp-json.ts, issue 16) writes the document
// OpenTelemetry's reference serializer (@opentelemetry/otlp-transformer, a dev dependency kept for
// this test) writes, field for field, but for the fields at their default, which it leaves out as the
// proto3 JSON mapping allows. Checked for the runtime's SERVER spans (their fast path and, with an
// exception event, the general one) and for SDK spans with every attribute type, events and links.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSpans } from '../src/otlp-json';
import { serverSpans } from '../src/server-span';

const resource = resourceFromAttributes({ 'service.name': 'otlp-test', 'k8s.namespace.name': 'tests' });
const ended: ReadableSpan[] = [];
const collect: SpanProcessor = { onStart: () => undefined, onEnd: (s) => ended.push(s), forceFlush: async () => undefined, shutdown: async () => undefined };

/** Drops what the runtime's encoder leaves out: counts of 0, empty lists, an unset status. */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0 && key !== 'attributes')) continue;
    if (/^dropped.*Count$/.test(key) && v === 0) continue;
    if (key === 'status' && (v as { code?: number; message?: string }).code === 0 && (v as { message?: string }).message === undefined) continue;
    out[key] = withoutDefaults(v);
  }
  return out;
}

function reference(spans: ReadableSpan[]): unknown {
  return withoutDefaults(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))));
}

test('TR-EXPORT: the runtime SERVER span is encoded as the reference serializer encodes it', () => {
  ended.length = 0;
  const spans = serverSpans(resource, { name: '@rt/nodejs-runtime' }, [collect]);
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const child = spans.start('POST', { 'http.request.method': 'POST', 'url.path': '/a "quoted" \\ path' }, remote);
  child.setAttribute('http.response.status_code', 200);
  child.end();
  const failed = spans.start('GET', { 'http.request.method': 'GET', 'url.path': '/' }, ROOT_CONTEXT);
  failed.recordException(new Error('boom'));
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  failed.setAttribute('http.response.status_code', 500);
  failed.end();
  assert.equal(ended.length, 2);
  assert.deepEqual(JSON.parse(encodeSpans(ended)), reference(ended));
});

test('TR-EXPORT: SDK spans with every attribute type, events and links are encoded as the reference encodes them', () => {
  ended.length = 0;
  const provider = new TracerProvider({ resource, spanProcessors: [collect] });
  const tracer = provider.getTracer('user-code', '1.2.3');
  const linked = tracer.startSpan('linked');
  linked.end();
  const span = tracer.startSpan('work', {
    kind: SpanKind.CLIENT,
    attributes: { text: 'ü\n"x"', int: 42, double: 1.5, bool: true, list: ['a', 'b'], numbers: [1, 2.5] },
    links: [{ context: linked.spanContext(), attributes: { why: 'because' } }],
  });
  span.addEvent('step', { n: 1 });
  span.setStatus({ code: SpanStatusCode.OK });
  span.end();
  assert.deepEqual(JSON.parse(encodeSpans(ended)), reference(ended));
});
