// Section 8, tracing: the tracer, the exported SERVER span, propagation into outgoing calls, and a
// dead collector that slows nothing.
import { randomBytes } from 'node:crypto';
import { type Check, type CheckContext, echoOf, failure, launcher, logsWhen, runCases, statusIs } from '../check.js';
import type { Exchange } from '../../platform/exchange.js';
import { startBlackHole } from '../peers/black-hole.js';
import { type Outcome, fail, pass } from '../result.js';
import { freeLoopbackPort } from '../../platform/ports.js';

const SERVER = 2;
/** The span the probe starts with event.tracer on /span. */
const CHILD = 'rtcheck-child';

function traceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

function ids(): { traceId: string; spanId: string } {
  return { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
}

const NOBLOCK_CALLS = 5;

/** With the collector at `endpoint`, invocations stay prompt and the runtime does not log an error per request. */
async function promptWith(ctx: CheckContext, role: string, endpoint: string, what: string): Promise<Outcome> {
  const subject = await launcher(ctx)(role, { env: { TRACE_COLLECTOR_ENDPOINT: endpoint } });
  const ready = await ctx.waitReady(subject);
  if (!ready.ready) return failure(`with ${what}: ${ready.reason}`, undefined, subject);
  const hint = 'export in the background with a bounded timeout; log export failures at most once in a while';
  const path = '/value/string';
  // What counts as an error line: neither rtcheck's own request markers nor an access-log line
  // naming the request (a runtime may log every request, which is no error).
  const errorLines = (stderr: string): number => stderr.split('\n').filter((line) => line.trim() !== '' && !line.includes('[rtcheck-request ') && !line.includes(path)).length;
  const before = errorLines((await subject.logs()).stderr);
  // An exporter that blocks delays every invocation; one slow answer on a busy machine is noise.
  const slow: Exchange[] = [];
  const times: number[] = [];
  let last: Exchange | undefined;
  for (let i = 0; i < NOBLOCK_CALLS; i++) {
    const answer = await subject.call({ path, timeoutMs: 5000 });
    times.push(answer.ms);
    last = answer;
    if (answer.status !== 200) return failure(`with ${what}, invocation ${i + 1} failed (status ${answer.status ?? 'none'} after ${answer.ms} ms)`, answer, subject, hint);
    if (answer.ms > 1000) slow.push(answer);
  }
  if (slow.length >= 2) return failure(`with ${what}, ${slow.length} of ${NOBLOCK_CALLS} invocations took over 1 s (${times.join(', ')} ms)`, slow[0], subject, hint);
  // The engine copies a container's output asynchronously: count once the last request's marker is
  // in (a moment longer for the export errors that follow it).
  const marker = `[rtcheck-request ${last?.id ?? ''}]`;
  await logsWhen(subject, ({ stderr }) => stderr.includes(marker), 2000);
  const settled = await logsWhen(subject, () => false, 300);
  const added = errorLines(settled.stderr) - before;
  if (added >= NOBLOCK_CALLS) return fail(`with ${what}: ${added} new stderr lines for ${NOBLOCK_CALLS} invocations, an error per request`, { logTail: await subject.logTail() }, hint);
  return pass(`${NOBLOCK_CALLS} prompt invocations with ${what} (${times.join(', ')} ms)`);
}

export const tracingChecks: Check[] = [
  {
    clause: 'TR-TRACER',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          {
            name: 'GET /span (starts and ends a span with event.tracer)',
            request: { path: '/span' },
            expect: (x) => statusIs(x, 200) ?? (x.text === 'span' ? undefined : `the probe said ${x.text}`),
          },
          {
            name: 'GET /echo',
            request: { path: '/echo' },
            expect: (x) => (echoOf(x)?.tracer === 'function' ? undefined : 'event.tracer.startSpan is not a function'),
          },
        ],
        'event.tracer starts spans',
      ),
  },
  {
    clause: 'TR-EXPORT',
    placement: 'main',
    run: async (ctx) => {
      const { traceId, spanId } = ids();
      const answer = await ctx.subject.call({ path: '/span', headers: { traceparent: traceparent(traceId, spanId) } });
      const hint = 'export one SERVER span per invocation to TRACE_COLLECTOR_ENDPOINT, child of the incoming traceparent, service.name = FUNC_NAME';
      if (answer.status !== 200) return failure('the traced invocation failed', answer, ctx.subject, hint);
      // Exporters batch; a few seconds is normal.
      const complete = (): boolean => {
        const spans = ctx.peers.spans().filter((s) => s.traceId === traceId);
        return spans.some((s) => s.kind === SERVER) && spans.some((s) => s.name === CHILD);
      };
      await ctx.peers.collector.waitFor(complete, Math.min(8000, ctx.remainingMs() - 1000));
      const spans = ctx.peers.spans().filter((s) => s.traceId === traceId);
      const servers = spans.filter((s) => s.kind === SERVER);
      const seen = `spans of this trace: ${JSON.stringify(spans)}; export requests received: ${ctx.peers.collector.requests.length}`;
      if (servers.length !== 1) return fail(`expected exactly one SERVER span for trace ${traceId}, got ${servers.length}`, { response: seen, logTail: await ctx.subject.logTail() }, hint);
      const span = servers[0]!;
      if (span.parentSpanId !== spanId) return fail(`the SERVER span's parent is ${span.parentSpanId || 'none'}, expected ${spanId}`, { response: seen }, hint);
      if (span.serviceName !== ctx.env.FUNC_NAME) return fail(`service.name is ${JSON.stringify(span.serviceName)}, expected ${ctx.env.FUNC_NAME}`, { response: seen }, hint);
      const child = spans.find((s) => s.name === CHILD);
      if (!child || child.parentSpanId !== span.spanId) return fail(`the span the function started with event.tracer (${CHILD}) is ${child ? `a child of ${child.parentSpanId || 'nothing'}` : 'missing'}, expected a child of the SERVER span ${span.spanId}`, { response: seen }, hint);
      return pass(`one SERVER span "${span.name}", child of the incoming context, service.name ${span.serviceName}; the user's span is its child`);
    },
  },
  {
    clause: 'TR-PROPAGATE',
    placement: 'main',
    run: async (ctx) => {
      const hint = 'extract W3C and B3 context from requests and inject traceparent, tracestate, baggage and B3 headers into outgoing calls';
      // The probe's HTTP clients: Node's http module and fetch; Python's urllib (over http.client).
      const clients = ctx.runtime.family === 'nodejs' ? ['http', 'fetch'] : ['urllib'];
      const echoUrl = (name: string, client: string): string => `/outgoing?client=${client}&url=${encodeURIComponent(`${ctx.peers.echo.url}/${name}`)}`;
      const cases: [string, Record<string, string>, string][] = [];
      for (const client of clients) {
        const w3c = ids();
        const b3 = ids();
        cases.push(
          [`${client}, w3c`, { traceparent: traceparent(w3c.traceId, w3c.spanId), tracestate: 'rtcheck=1', baggage: 'rtcheck=yes' }, w3c.traceId],
          [`${client}, b3`, { 'x-b3-traceid': b3.traceId, 'x-b3-spanid': b3.spanId, 'x-b3-sampled': '1' }, b3.traceId],
        );
      }
      for (const [name, headers, traceId] of cases) {
        const [client = '', context = ''] = name.split(', ');
        // Unique per run and launch: both launches call the same echo server.
        const path = `rtcheck-propagate-${client}-${context}-${Math.random().toString(36).slice(2, 8)}`;
        const answer = await ctx.subject.call({ path: echoUrl(path, client), headers, timeoutMs: 5000 });
        if (answer.status !== 200) return failure(`the probe's outgoing call failed (${name} context)`, answer, ctx.subject, hint);
        const got = ctx.peers.echo.requests.find((r) => r.path === `/${path}`);
        if (!got) return failure(`the outgoing call never reached rtcheck's echo server (${name} context)`, answer, ctx.subject, hint);
        const h = got.headers;
        const problems: string[] = [];
        if (!(h.traceparent ?? '').includes(traceId)) problems.push(`traceparent "${h.traceparent ?? ''}" does not carry trace ${traceId}`);
        if ((h['x-b3-traceid'] ?? '') !== traceId) problems.push(`x-b3-traceid "${h['x-b3-traceid'] ?? ''}" is not ${traceId}`);
        if (!h['x-b3-spanid']) problems.push('no x-b3-spanid');
        if (name.endsWith('w3c') && !(h.tracestate ?? '').includes('rtcheck=1')) problems.push('tracestate not propagated');
        if (name.endsWith('w3c') && !(h.baggage ?? '').includes('rtcheck=yes')) problems.push('baggage not propagated');
        if (problems.length) return fail(`outgoing call (${name} context in): ${problems.join('; ')}`, { request: JSON.stringify(headers), response: JSON.stringify(h), logTail: await ctx.subject.logTail() }, hint);
      }
      return pass(`W3C (traceparent, tracestate, baggage) and B3 context in → traceparent and B3 headers out, over ${clients.join(' and ')}`);
    },
  },
  {
    clause: 'TR-QUIET',
    placement: 'main',
    run: async (ctx) => {
      const quiet = ids();
      for (const path of ['/healthz', '/metrics', '/favicon.ico']) await ctx.subject.call({ path, headers: { traceparent: traceparent(quiet.traceId, quiet.spanId) } });
      // Spans are exported in order: once a later invocation's span is in, earlier ones would be too.
      const marker = ids();
      await ctx.subject.call({ path: '/value/string', headers: { traceparent: traceparent(marker.traceId, marker.spanId) } });
      const arrived = await ctx.peers.collector.waitFor(() => ctx.peers.spans().some((s) => s.traceId === marker.traceId), Math.min(8000, ctx.remainingMs() - 1000));
      if (!arrived) return { status: 'blocked', message: 'blocked by TR-EXPORT: no span of a later invocation arrived, so the quiet paths cannot be judged' };
      const noisy = ctx.peers.spans().filter((s) => s.traceId === quiet.traceId || /healthz|metrics|favicon/.test(s.name));
      if (noisy.length) return fail(`spans for health, metrics or favicon requests: ${noisy.map((s) => s.name).join(', ')}`, { response: JSON.stringify(noisy) }, 'do not trace /healthz, /metrics and /favicon.ico');
      return pass('no spans for /healthz, /metrics, /favicon.ico');
    },
  },
  {
    clause: 'TR-NOBLOCK',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: async (ctx) => {
      const hole = await startBlackHole('/v1/traces');
      try {
        const dead = `http://127.0.0.1:${await freeLoopbackPort()}/v1/traces`;
        const outcomes = await Promise.all([promptWith(ctx, 'dead-collector', dead, 'a dead collector'), promptWith(ctx, 'slow-collector', hole.url, 'a collector that never answers')]);
        return outcomes.find((outcome) => outcome.status !== 'pass') ?? pass(outcomes.map((outcome) => outcome.message).join('; '));
      } finally {
        await hole.close();
      }
    },
  },
];
