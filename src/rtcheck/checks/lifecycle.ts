// Section 9, lifecycle: SIGTERM with a request in flight lets it finish, then the process exits 0.
import { type Check, failure, launcher, logsWhen, marker } from '../check.js';
import { randomBytes } from 'node:crypto';
import { type Exchange, parseJson } from '../../platform/exchange.js';
import { fail, pass } from '../result.js';

/** How long after SIGTERM new requests may still be served (the signal takes a while on a busy machine). */
const SERVE_WINDOW_MS = 1500;

export const lifecycleChecks: Check[] = [
  {
    clause: 'LC-TERM',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: async (ctx) => {
      const timeout = 5;
      const subject = await launcher(ctx)('sigterm', { env: { FUNC_TIMEOUT: String(timeout) } });
      const ready = await ctx.waitReady(subject);
      if (!ready.ready) return failure(ready.reason, undefined, subject);
      const hint =
        'on SIGTERM stop accepting, let in-flight invocations finish, flush spans and exit 0; run as PID 1 (exec form) or under an init that forwards signals, and as PID 1 install a SIGTERM handler (Node and Python get no default one there)';
      const { traceId, spanId } = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
      const inFlight = subject.call({ path: '/sleep?ms=1500', headers: { traceparent: `00-${traceId}-${spanId}-01` }, timeoutMs: (timeout + 3) * 1000 });
      // Signal only once the invocation is surely running.
      const deadline = Date.now() + 3000;
      for (;;) {
        const poll = await subject.call({ path: '/__rtcheck/inflight' });
        const count = parseJson(poll);
        if (typeof count === 'number' && count > 0) break;
        if (poll.ms >= 1400) return failure('rtcheck could not signal with an invocation in flight: the runtime answered only after the slow invocation ended (one request at a time? see HTTP-HEALTH)', poll, subject, hint);
        if (Date.now() > deadline) return failure('the slow invocation never started', await inFlight, subject, hint);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const signalled = Date.now();
      await subject.container.kill('SIGTERM');
      // A new request after SIGTERM must not be served (refused, or answered with an error status).
      let servedAfterTerm: Exchange | undefined;
      let refused = false;
      while (!refused && !servedAfterTerm && Date.now() - signalled < SERVE_WINDOW_MS * 2) {
        const late = await subject.call({ path: '/value/string', timeoutMs: 500 });
        if (late.status === undefined || late.status >= 500) refused = true;
        else if (Date.now() - signalled > SERVE_WINDOW_MS) servedAfterTerm = late;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const exit = await subject.container
        .wait({ signal: AbortSignal.timeout((timeout + 3) * 1000) })
        .then((code) => ({ code, ms: Date.now() - signalled }))
        .catch(() => undefined);
      const answer = await inFlight;
      if (answer.status !== 200 || answer.text !== 'slept') return failure('the invocation in flight at SIGTERM did not complete with 200', answer, subject, hint);
      if (!exit) return fail(`still running ${timeout + 3} s after SIGTERM`, { logTail: await subject.logTail() }, hint);
      if (exit.code !== 0) return fail(`exited with ${exit.code} after SIGTERM`, { logTail: await subject.logTail() }, hint);
      if (servedAfterTerm) return failure(`still serving new requests ${SERVE_WINDOW_MS} ms after SIGTERM`, servedAfterTerm, subject, hint);
      const flushed = ctx.peers.spans().some((span) => span.traceId === traceId) || (await ctx.peers.collector.waitFor(() => ctx.peers.spans().some((span) => span.traceId === traceId), 500)) !== undefined;
      // A runtime that exports nothing at all fails TR-EXPORT; its flush on SIGTERM cannot be judged here.
      if (ctx.peers.spans().length === 0) return pass(`stopped accepting, completed the in-flight invocation, exited 0 ${exit.ms} ms after SIGTERM (span flush not judged: no span reached the collector in this run, see TR-EXPORT)`);
      if (!flushed) return fail('the span of the invocation in flight at SIGTERM was not exported before exit', { logTail: await subject.logTail() }, hint);
      return pass(`stopped accepting, completed the in-flight invocation, flushed its span, exited 0 ${exit.ms} ms after SIGTERM`);
    },
  },
  {
    clause: 'LC-LOG',
    placement: 'main',
    run: async (ctx) => {
      const path = `${ctx.subject.sourceDir}/${ctx.runtime.moduleFile}`;
      const startLine = (logs: { stdout: string; stderr: string }): string | undefined =>
        `${logs.stdout}\n${logs.stderr}`.split('\n').find((l) => l.includes(path) && l.includes(ctx.runtime.id) && /\d+(\.\d+)?\s*m?s\b/.test(l));
      const line = startLine(await logsWhen(ctx.subject, (logs) => startLine(logs) !== undefined));
      if (!line) return fail(`no start-up line naming the runtime (${ctx.runtime.id}), the handler path (${path}) and the load time`, { logTail: await ctx.subject.logTail() }, 'print one line at start: runtime, version, handler path, load time');

      // The access log, in a container of its own with KYMA_INTERNAL_LOGGER_ENABLED=true.
      const hint = 'with KYMA_INTERNAL_LOGGER_ENABLED=true, log one line per request naming its path';
      const logged = await launcher(ctx)('access-log', { env: { KYMA_INTERNAL_LOGGER_ENABLED: 'true' } });
      const ready = await ctx.waitReady(logged);
      if (!ready.ready) return fail(`with KYMA_INTERNAL_LOGGER_ENABLED=true the runtime did not become ready: ${ready.reason ?? 'no answer'}`, { logTail: await logged.logTail() }, hint);
      const requestPath = marker('access-log');
      await logged.call({ path: requestPath });
      const accessLine = (logs: { stdout: string; stderr: string }): string | undefined => `${logs.stdout}\n${logs.stderr}`.split('\n').find((l) => l.includes(requestPath));
      const access = accessLine(await logsWhen(logged, (logs) => accessLine(logs) !== undefined));
      if (!access) return fail(`with KYMA_INTERNAL_LOGGER_ENABLED=true, no log line names the request GET ${requestPath}`, { logTail: await logged.logTail() }, hint);
      return pass(`start-up line: ${line.trim()}; access log: ${access.trim().slice(0, 120)}`);
    },
  },
];
