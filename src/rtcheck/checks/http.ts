// Section 3, HTTP: port, health, metrics, favicon, routing and CORS, body parsing, the size limit,
// malformed JSON, and error answers that leak nothing.
import { type Case, type Check, type Subject, calledPaths, echoOf, failure, marker, notCalled, runCases, runCasesUncalled, sameJson, statusIs, launcher } from '../check.js';
import { type Exchange, mediaType } from '../../platform/exchange.js';
import { DEFAULT_PORT, DefaultPortTakenError } from '../../platform/ports.js';
import { fail, pass, skip } from '../result.js';

const MB = 1024 * 1024;

/** A body of `bytes` bytes that is valid for its content type. */
function bodyOf(contentType: string, bytes: number): Buffer {
  if (contentType === 'application/json') return Buffer.from(`"${'a'.repeat(bytes - 2)}"`);
  return Buffer.alloc(bytes, 0x61);
}

/** Stack frames, file paths or framework HTML pages in an error answer. */
export function leaks(text: string, volume: string): string | undefined {
  const patterns: [RegExp, string][] = [
    [/\n\s+at\s+\S/, 'a stack frame ("at …")'],
    [/Traceback \(most recent call last\)/, 'a Python traceback'],
    [/<!DOCTYPE|<html/i, 'an HTML page'],
    [/\.(?:js|mjs|cjs|ts|py):\d+/, 'a source file position'],
    [/(?:^|[\s"'(])\/(?:usr|app|opt|home|srv|var)\//, 'a file path'],
  ];
  if (volume && text.includes(`${volume}/`)) return `the function path ${volume}/`;
  return patterns.find(([pattern]) => pattern.test(text))?.[1];
}

/**
 * Samples /healthz while `slow` runs. One answer over 1 s on a busy machine is noise: it is asked twice
 * more at once, and only when the middle of the three is over 1 s (or one is not 200) is it a finding.
 */
async function healthzDuring(subject: Subject, slow: Promise<Exchange>): Promise<{ worst: Exchange | undefined; samples: number; bad: Exchange | undefined; retried: number }> {
  let settled = false;
  void slow.then(() => (settled = true));
  let worst: Exchange | undefined;
  let samples = 0;
  let retried = 0;
  const ask = (): Promise<Exchange> => subject.call({ path: '/healthz', timeoutMs: 2000 });
  while (!settled) {
    const answer = await ask();
    if (settled) break;
    samples += 1;
    if (!worst || answer.ms > worst.ms) worst = answer;
    if (answer.status !== 200) return { worst, samples, bad: answer, retried };
    if (answer.ms >= 1000) {
      retried += 1;
      const again = [answer, await ask(), await ask()].sort((a, b) => a.ms - b.ms);
      const middle = again[1] as Exchange;
      if (middle.ms >= 1000 || again.some((x) => x.status !== 200)) return { worst, samples, bad: middle, retried };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { worst, samples, bad: undefined, retried };
}

export const httpChecks: Check[] = [
  {
    clause: 'HTTP-PORT',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: async (ctx) => {
      const hint = 'listen on 8080 unless FUNC_PORT says otherwise';
      let subject: Subject;
      try {
        // The launcher holds the machine-wide lease on 8080 until the container is removed.
        subject = await launcher(ctx)('default-port', { defaultPort: true });
      } catch (error) {
        // A container of this run holding 8080 is the image's own doing (it ignores FUNC_PORT): LOAD-READY
        // says so; with another program on 8080 nothing can be judged here.
        if (error instanceof DefaultPortTakenError) return error.holder ? { status: 'blocked', message: `blocked by LOAD-READY: ${error.message}` } : skip(`not assessed: ${error.message}`);
        throw error;
      }
      try {
        const ready = await ctx.waitReady(subject);
        if (!ready.ready) return failure(`without FUNC_PORT: ${ready.reason}`, undefined, subject, hint);
        const answer = await subject.call({ path: '/value/string' });
        if (answer.status !== 200) return failure('without FUNC_PORT the function does not answer on 8080', answer, subject, hint);
        const main = ctx.startup.ready ? ` (the main container uses FUNC_PORT=${ctx.subject.port})` : '';
        return pass(`listens on ${DEFAULT_PORT} by default and on FUNC_PORT when set${main}`);
      } finally {
        // Free 8080 for the next user at once.
        await subject.remove();
      }
    },
  },
  {
    clause: 'HTTP-HEALTH',
    placement: 'main',
    run: async (ctx) => {
      const subject = ctx.subject;
      const plain = await subject.call({ path: '/healthz' });
      if (plain.status !== 200 || plain.text.trim() !== 'OK') return failure('GET /healthz must answer 200 "OK"', plain, subject);
      const slow = subject.call({ path: '/sleep?ms=1500', timeoutMs: 5000 });
      const { worst, samples, bad, retried } = await healthzDuring(subject, slow);
      const slowAnswer = await slow;
      if (bad) return failure(`GET /healthz during a slow invocation answered ${bad.status ?? 'nothing'} after ${bad.ms} ms (must be 200 within 1 s)`, bad, subject, 'answer /healthz without waiting for invocations');
      if (samples === 0 && slowAnswer.ms >= 1400) {
        return failure(`GET /healthz answered only after the 1.5 s invocation ended (${slowAnswer.ms} ms): it waits behind invocations (one request at a time?)`, slowAnswer, subject, 'serve /healthz beside running invocations (threads, or an event loop that user code does not block)');
      }
      if (samples === 0) {
        return failure(`could not sample /healthz while an invocation was running: GET /sleep?ms=1500 answered after ${slowAnswer.ms} ms, not 1.5 s (does the query reach extensions.request? see EV-REQUEST)`, slowAnswer, subject);
      }
      const noise = retried ? `; ${retried} slow sample(s) re-asked on a busy machine and answered in time` : '';
      return pass(`200 "OK"; ${samples} probes during a 1.5 s invocation, slowest ${worst?.ms ?? 0} ms${noise}`);
    },
  },
  {
    clause: 'HTTP-METRICS',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          {
            name: 'GET /metrics',
            request: { path: '/metrics' },
            expect: (x) => {
              const missing = ['function_calls_total', 'function_failures_total', 'function_duration_seconds_bucket'].filter((name) => !x.text.includes(name));
              return statusIs(x, 200) ?? (missing.length ? `missing ${missing.join(', ')}` : undefined);
            },
          },
        ],
        'Prometheus text with function_calls_total, function_failures_total, function_duration_seconds',
      ),
  },
  {
    clause: 'HTTP-FAVICON',
    placement: 'main',
    run: (ctx) => runCasesUncalled(ctx.subject, [{ name: 'GET /favicon.ico', request: { path: '/favicon.ico' }, expect: (x) => statusIs(x, 204) }], ['/favicon.ico'], 'GET /favicon.ico', '204 without calling the function'),
  },
  {
    clause: 'HTTP-ROUTE',
    placement: 'main',
    run: async (ctx) => {
      const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
      const paths = methods.map((method) => marker(`route-${method.toLowerCase()}`));
      const cases: Case[] = methods.map((method, i) => ({
        name: `${method} ${paths[i]}`,
        request: { method, path: `${paths[i]}/deeper?q=1`, ...(method === 'GET' || method === 'HEAD' ? {} : { body: 'x', headers: { 'content-type': 'text/plain' } }) },
        expect: (x) => statusIs(x, 200) ?? (x.headers['access-control-allow-origin'] === '*' ? undefined : 'no "Access-Control-Allow-Origin: *" on the function response'),
      }));
      const preflight = marker('route-options');
      cases.push({
        name: `OPTIONS ${preflight} (CORS preflight)`,
        request: { method: 'OPTIONS', path: preflight, headers: { origin: 'http://rtcheck.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-rtcheck' } },
        expect: (x) => {
          if (x.status === undefined || x.status < 200 || x.status > 299) return `expected a 2xx preflight answer, got ${x.status}`;
          if (!/\bPUT\b/i.test(x.headers['access-control-allow-methods'] ?? '')) return 'Access-Control-Allow-Methods does not echo PUT';
          if (!/x-rtcheck/i.test(x.headers['access-control-allow-headers'] ?? '')) return 'Access-Control-Allow-Headers does not echo x-rtcheck';
          return undefined;
        },
      });
      const outcome = await runCases(ctx.subject, cases, 'GET, POST, PUT, PATCH, DELETE, HEAD reach the function with ACAO *; OPTIONS preflight answered by the runtime');
      if (outcome.status !== 'pass') return outcome;
      const called = await calledPaths(ctx.subject);
      const missed = paths.filter((path) => !called.some((c) => c.startsWith(path)));
      if (missed.length) return fail(`these requests did not reach the function: ${missed.join(', ')}`, { logTail: await ctx.subject.logTail() });
      return (await notCalled(ctx.subject, [preflight], 'the OPTIONS preflight')) ?? outcome;
    },
  },
  {
    clause: 'HTTP-BODY',
    placement: 'main',
    run: (ctx) => {
      const cases: [string, Record<string, string>, string | Buffer | undefined, unknown][] = [
        ['JSON object', { 'content-type': 'application/json' }, '{"a":[1,2]}', { type: 'object', value: { a: [1, 2] } }],
        ['JSON number with charset', { 'content-type': 'application/json; charset=utf-8' }, '42', { type: 'number', value: 42 }],
        ['JSON string', { 'content-type': 'application/json' }, '"str"', { type: 'string', value: 'str' }],
        ['text', { 'content-type': 'text/plain; charset=utf-8' }, 'hi there', { type: 'string', value: 'hi there' }],
        ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&b=x+y', { type: 'object', value: { a: '1', b: 'x y' } }],
        ['bytes', { 'content-type': 'application/octet-stream' }, Buffer.from([0, 1, 2, 255]), { type: 'bytes', base64: 'AAEC/w==' }],
      ];
      const list: Case[] = cases.map(([name, headers, body, expected]) => ({
        name: `${name} (${headers['content-type']})`,
        request: { method: 'POST', path: '/echo', headers, body },
        expect: (x) => {
          const echo = echoOf(x);
          if (!echo) return statusIs(x, 200) ?? 'the probe did not echo';
          return sameJson(echo.data, expected) ? undefined : `data was ${JSON.stringify(echo.data)}, expected ${JSON.stringify(expected)}`;
        },
      }));
      list.push({
        name: 'no body',
        request: { method: 'GET', path: '/echo' },
        expect: (x) => {
          const echo = echoOf(x);
          if (!echo) return statusIs(x, 200) ?? 'the probe did not echo';
          return echo.data.type === 'undefined' || echo.data.type === 'null' ? undefined : `data was ${JSON.stringify(echo.data)}, expected none`;
        },
      });
      return runCases(ctx.subject, list, 'JSON (any value, any charset), text, form, bytes and no body parse as specified');
    },
  },
  {
    clause: 'HTTP-LIMIT',
    placement: 'main',
    run: (ctx) => {
      const limitMb = Number(ctx.env.REQ_MB_LIMIT ?? '1');
      const over = Math.ceil(limitMb * MB * 1.5);
      const types = ['application/json', 'text/plain', 'application/octet-stream'];
      const paths = types.map(() => marker('limit'));
      const cases: Case[] = types.map((type, i) => ({
        name: `${(over / MB).toFixed(1)} MB of ${type} (REQ_MB_LIMIT=${limitMb})`,
        request: { method: 'POST', path: paths[i]!, headers: { 'content-type': type }, body: bodyOf(type, over), timeoutMs: 10_000 },
        expect: (x) => statusIs(x, 413),
      }));
      const under = marker('under-limit');
      cases.push({
        name: `${((limitMb * MB) / 2 / MB).toFixed(1)} MB of application/json (under the limit)`,
        request: { method: 'POST', path: under, headers: { 'content-type': 'application/json' }, body: bodyOf('application/json', (limitMb * MB) / 2) },
        expect: (x) => statusIs(x, 200),
      });
      return runCasesUncalled(ctx.subject, cases, paths, 'an over-limit body', `bodies over ${limitMb} MB get 413 for every content type; user code not called`, 'check the size of every body before parsing and before user code, for every content type');
    },
  },
  {
    clause: 'HTTP-BADJSON',
    placement: 'main',
    run: (ctx) => {
      const path = marker('badjson');
      return runCasesUncalled(
        ctx.subject,
        [
          {
            name: 'POST malformed application/json',
            request: { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{"rtcheck": ' },
            expect: (x) => {
              if (x.status !== 400) return `expected status 400, got ${x.status}`;
              if (mediaType(x) !== 'text/plain') return `expected a text/plain reason, got "${x.headers['content-type'] ?? ''}"`;
              if (x.text.trim() === '' || x.text.length > 300) return 'expected a short reason in the body';
              return undefined;
            },
          },
        ],
        [path],
        'a malformed JSON body',
        '400 with a short plain-text reason; user code not called',
      );
    },
  },
  {
    clause: 'HTTP-NOLEAK',
    placement: 'main',
    run: async (ctx) => {
      const volume = ctx.subject.sourceDir;
      const requests = [
        { path: '/throw' },
        { path: '/throw-value' },
        { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"broken' },
        { method: 'POST', path: '/echo', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"specversion":"1.0"}' },
      ];
      for (const request of requests) {
        const answer = await ctx.subject.call(request);
        const leak = leaks(answer.text, volume);
        if (leak) return failure(`the ${answer.status ?? 'missing'} answer carries ${leak}`, answer, ctx.subject, 'answer errors with a short fixed text; log details to stderr only');
      }
      return pass('error answers (500, 400) carry no stack, path or HTML page');
    },
  },
];
