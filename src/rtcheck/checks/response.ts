// Section 7, responses: returned values, custom status and headers, errors, timeouts, crash safety.
import { type Case, type Check, type CheckContext, PROBE_READY_PATH, failure, logsWhen, runCases, statusIs } from '../check.js';
import { randomBytes } from 'node:crypto';
import { type Exchange, mediaType, parseJson } from '../../platform/exchange.js';
import { RawConnection, parseResponse } from '../raw-http.js';
import type { Subject } from '../check.js';
import { fail, pass } from '../result.js';

/**
 * RES-TIMEOUT's "a late result is discarded", on one raw connection: a handler that finishes 500 ms
 * after its 408 must not add a second answer to the connection, and a kept-open connection still
 * answers the next request correctly. Undefined when nothing is wrong (or when there was no 408 to
 * judge: the rest of the check reports that).
 */
async function lateResultProblem(subject: Subject, timeoutMs: number): Promise<{ message: string; received: string } | undefined> {
  const conn = await RawConnection.open(Number(new URL(subject.url).port));
  const shown = (data: Buffer): string => data.toString('latin1').slice(0, 400);
  try {
    const sentAt = Date.now();
    conn.get(`/sleep?ms=${timeoutMs + 500}`);
    const first = await conn.waitFor((data) => parseResponse(data), sentAt + timeoutMs + 2000);
    if (first?.status !== 408) return undefined;
    // Watching the connection until well after the late result is due: any byte is a fault.
    const extra = await conn.waitFor((data) => (data.length > first.end ? true : undefined), sentAt + timeoutMs + 1500);
    if (extra) return { message: `${conn.received.length - first.end} more bytes followed the 408 on its connection when the handler finished (a late result was sent)`, received: shown(conn.received.subarray(first.end)) };
    if (conn.closed) return undefined;
    conn.get('/value/string');
    const next = await conn.waitFor((data) => parseResponse(data, first.end), Date.now() + 3000);
    if (next === undefined) return conn.closed ? undefined : { message: 'after the 408, the kept-open connection did not answer the next request', received: shown(conn.received) };
    if (next.status !== 200 || next.body.toString('utf8') !== 'hello') {
      return { message: `after the 408, the next request on the connection got ${next.status} "${next.body.toString('utf8').slice(0, 60)}" instead of its own answer`, received: shown(conn.received.subarray(first.end)) };
    }
    return undefined;
  } finally {
    conn.close();
  }
}

/**
 * Where "still healthy" is asked: /healthz, or, when the runtime's /healthz is broken (HTTP-HEALTH
 * fails on that alone), whether the function still answers.
 */
function healthPath(ctx: CheckContext): string {
  return ctx.startup.healthzBroken === undefined ? '/healthz' : PROBE_READY_PATH;
}

/** function_failures_total from /metrics (summed over labels), or undefined without metrics. */
async function failures(subject: Subject): Promise<number | undefined> {
  const answer = await subject.call({ path: '/metrics' });
  if (answer.status !== 200) return undefined;
  const samples = answer.text.split('\n').filter((line) => /^function_failures_total(\{[^}]*\})?\s/.test(line));
  return samples.length ? samples.reduce((sum, line) => sum + Number(line.trim().split(/\s+/).pop()), 0) : undefined;
}

function value(path: string, type: string, check: (x: Exchange) => string | undefined): Case {
  return {
    name: `GET ${path}`,
    request: { path },
    expect: (x) => statusIs(x, 200) ?? (mediaType(x) === type || (type === '' && x.body.length === 0) ? check(x) : `content type was "${x.headers['content-type'] ?? ''}", expected ${type || 'none with an empty body'}`),
  };
}

function json(expected: unknown): (x: Exchange) => string | undefined {
  return (x) => (JSON.stringify(parseJson(x)) === JSON.stringify(expected) ? undefined : `body was ${x.text}, expected ${JSON.stringify(expected)}`);
}

export const responseChecks: Check[] = [
  {
    clause: 'RES-VALUE',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          value('/value/string', 'text/plain', (x) => (/charset=utf-8/i.test(x.headers['content-type'] ?? '') ? (x.text === 'hello' ? undefined : `body was ${x.text}`) : 'no charset=utf-8')),
          value('/value/object', 'application/json', json({ a: 1 })),
          value('/value/array', 'application/json', json([1, 'two'])),
          value('/value/number', 'application/json', json(42)),
          value('/value/boolean', 'application/json', json(true)),
          value('/value/bytes', 'application/octet-stream', (x) => (x.body.toString('base64') === 'AAEC/w==' ? undefined : `body was ${x.body.toString('base64')} (base64)`)),
          {
            name: 'GET /value/none',
            request: { path: '/value/none' },
            expect: (x) => statusIs(x, 200) ?? (x.body.length === 0 ? undefined : `expected an empty body, got ${x.text}`),
          },
          value('/value/async', 'application/json', json({ async: true })),
          value('/value/content-type', 'text/csv', (x) => (x.text === 'a,b' ? undefined : `body was ${x.text}`)),
        ],
        'string, object, array, number, boolean, bytes, nothing, async and a handler-set content type answer as specified',
      ),
  },
  {
    clause: 'RES-CUSTOM',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          {
            name: 'GET /custom (status, header and body chosen by the handler)',
            request: { path: '/custom' },
            expect: (x) => statusIs(x, 201) ?? (x.headers['x-rtcheck'] !== 'custom' ? 'header X-Rtcheck: custom missing' : x.text !== 'custom body' ? `body was ${x.text}` : undefined),
          },
        ],
        'status 201, header and body chosen by the handler',
      ),
  },
  {
    clause: 'RES-ERROR',
    placement: 'main',
    run: async (ctx) => {
      const hint = 'catch every throw/rejection: answer 500 "Internal server error", log the error to stderr, keep serving';
      const traceId = randomBytes(16).toString('hex');
      const before = await failures(ctx.subject);
      const outcome = await runCases(
        ctx.subject,
        ['/throw', '/throw-value'].map((path) => ({
          name: `GET ${path}`,
          request: { path, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
          expect: (x: Exchange) => statusIs(x, 500) ?? (x.text.trim() === 'Internal server error' ? undefined : `body was ${JSON.stringify(x.text)}`),
        })),
        '',
        hint,
      );
      if (outcome.status !== 'pass') return outcome;
      const health = await ctx.subject.call({ path: healthPath(ctx) });
      if (health.status !== 200) return failure('the server is not healthy after a handler threw', health, ctx.subject, hint);
      const logs = await logsWhen(ctx.subject, ({ stderr }) => stderr.includes('rtcheck probe failure') && stderr.includes(traceId));
      if (!logs.stderr.includes('rtcheck probe failure')) return failure('the thrown error is not on stderr', undefined, ctx.subject, hint);
      if (!logs.stderr.includes(traceId)) {
        return failure(
          `the error on stderr does not carry the trace id ${traceId} (the trace id of the request's traceparent header)`,
          undefined,
          ctx.subject,
          'log a handler\'s error to stderr with its stack and the trace id of the invocation: the incoming traceparent\'s, or the SERVER span\'s',
        );
      }
      const after = await failures(ctx.subject);
      if (before !== undefined && after !== undefined && after < before + 2) return fail(`function_failures_total went from ${before} to ${after} after two failures`, { logTail: await ctx.subject.logTail() }, hint);
      return pass(`500 "Internal server error" for a thrown Error and a thrown value; error on stderr with the trace id; ${after === undefined ? '' : 'function_failures_total grew; '}still healthy`);
    },
  },
  {
    clause: 'RES-TIMEOUT',
    placement: 'main',
    run: async (ctx) => {
      const timeoutMs = Number(ctx.env.FUNC_TIMEOUT) * 1000;
      const hint = 'answer 408 when FUNC_TIMEOUT passes, without waiting for the handler';
      // Beside it, on a connection of its own, a handler whose result comes soon after the 408.
      // A connection that cannot be made is judged by the main call below, not here.
      const late = lateResultProblem(ctx.subject, timeoutMs).catch(() => undefined);
      const answer = await ctx.subject.call({ path: `/sleep?ms=${timeoutMs + 3000}`, timeoutMs: timeoutMs + 5000 });
      const lateProblem = await late;
      if (answer.status !== 408) return failure(`a handler running past FUNC_TIMEOUT=${ctx.env.FUNC_TIMEOUT} s: expected 408, got ${answer.status ?? 'no answer'}`, answer, ctx.subject, hint);
      if (answer.ms > timeoutMs + 3000) return failure(`408 came after ${answer.ms} ms, long after FUNC_TIMEOUT`, answer, ctx.subject, hint);
      if (!/request timeout/i.test(answer.text)) return failure('the 408 body is not "Request Timeout"', answer, ctx.subject, hint);
      if (lateProblem) return fail(lateProblem.message, { response: lateProblem.received, logTail: await ctx.subject.logTail() }, 'after the 408, drop the late result: write nothing more for that request');
      const health = await ctx.subject.call({ path: healthPath(ctx) });
      if (health.status !== 200) return failure('not healthy after a timeout', health, ctx.subject, hint);
      return pass(`408 after ${answer.ms} ms (FUNC_TIMEOUT=${ctx.env.FUNC_TIMEOUT}); the late result was discarded; still healthy`);
    },
  },
  {
    clause: 'RES-CRASHSAFE',
    placement: 'main',
    run: async (ctx) => {
      const outcome = await runCases(
        ctx.subject,
        [
          { name: 'GET /crash (schedules an uncaught exception and an unhandled rejection)', request: { path: '/crash' }, expect: (x) => statusIs(x, 200) },
          { name: `GET ${healthPath(ctx)} afterwards`, request: { path: healthPath(ctx) }, expect: (x) => statusIs(x, 200) },
          { name: 'GET /value/string afterwards', request: { path: '/value/string' }, expect: (x) => statusIs(x, 200) },
        ],
        'an uncaught exception and an unhandled rejection from user callbacks did not stop the server',
        'install handlers for uncaught exceptions and unhandled rejections that log and carry on',
      );
      return outcome;
    },
  },
];
