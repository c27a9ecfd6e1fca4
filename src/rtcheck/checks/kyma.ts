// Section 11, Kyma's buildless launch: the image started as Kyma's controller starts it (`sh -c SCRIPT`,
// its user, volumes and environment; see src/platform/kyma.ts) must serve the Function, with Git
// sources and with dependencies installed at start, keep sections 3–8, answer the controller's probes
// in time, and drain on SIGTERM.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Exchange } from '../../platform/exchange.js';
import { type Check, type CheckContext, PROBE_READY_PATH, type Subject, failure } from '../check.js';
import { startPackageRegistry } from '../peers/package-registry.js';
import { probeDir, probeEntries, probeSource } from '../probes.js';
import { type Outcome, fail, pass } from '../result.js';
import { readFile } from 'node:fs/promises';

/** The controller's readiness probe timeout; liveness allows 4 s. */
const READINESS_TIMEOUT_MS = 2000;
/** How long after SIGTERM rtcheck waits before it calls the stop a failure (Kubernetes' grace period is 30 s). */
const TERM_BOUND_S = 10;
/** What GET /value/escapes of the main probe returns: backslashes that a shell's echo must not expand. */
const ESCAPES = String.raw`tab\t newline\n backslash\\`;

function tools(ctx: CheckContext): NonNullable<CheckContext['kyma']> {
  if (!ctx.kyma) throw new Error('this check runs under Kyma\'s launch only');
  return ctx.kyma;
}

const LAUNCH_HINT =
  "start the server from `npm start` in /usr/src/app (Node) or `python server.py` in / (Python), loading HANDLER_PATH / FUNCTION_PATH; see docs/CONTRACT.md section 11 and rtcheck's report header for the controller revision";

/** Starts a container under the launch, waits within the startup probe's budget, and asks `path`. */
async function startAndAsk(ctx: CheckContext, role: string, start: Parameters<NonNullable<CheckContext['kyma']>['start']>[1], path: string): Promise<{ subject: Subject; answer?: Exchange; reason?: string; readyMs?: number }> {
  const kyma = tools(ctx);
  const subject = await kyma.start(role, start);
  const ready = await subject.waitReady(Math.min(kyma.startupBudgetMs, ctx.remainingMs()), ctx.startup.healthzBroken !== undefined ? { fallbackPath: PROBE_READY_PATH } : {});
  if (!ready.ready) return { subject, reason: ready.reason };
  return { subject, answer: await subject.call({ path }), readyMs: ready.ms };
}

export const kymaChecks: Check[] = [
  {
    clause: 'KB-LAUNCH',
    launch: 'kyma',
    placement: 'startup',
    quick: true,
    run: async (ctx) => {
      const { startup } = ctx;
      const how = "started as Kyma's controller starts it";
      const healthz = startup.healthzBroken === undefined ? '' : ` (its /healthz answers ${startup.healthzBroken}: see KB-PROBES)`;
      if (!startup.ready) {
        const missing = await tools(ctx).diagnose();
        const reason = startup.failure?.reason ?? 'it did not become ready';
        const what = missing.length > 0 ? `the image lacks what the launch runs: ${missing.join('; ')}` : `${reason}; sh, ${ctx.runtime.family === 'nodejs' ? 'npm and the start script of /usr/src/app/package.json' : 'pip, python and /server.py'} are there, so the server itself failed (see the log)`;
        return fail(`${how}: ${what}`, { logTail: startup.failure?.logTail ?? '' }, LAUNCH_HINT);
      }
      const first = startup.first;
      if (!first || first.status !== 200 || first.text !== 'hello') {
        return failure(`${how}: healthy after ${startup.readyMs} ms, but the Function's first invocation did not answer 200 "hello"`, first, ctx.subject, LAUNCH_HINT);
      }
      const escapes = await ctx.subject.call({ path: '/value/escapes' });
      if (escapes.status !== 200 || escapes.text !== ESCAPES) {
        return failure(
          `${how}: the inline source did not reach the runtime unchanged: a string with backslash escapes came back as ${JSON.stringify(escapes.text.slice(0, 80))}, expected ${JSON.stringify(ESCAPES)}`,
          escapes,
          ctx.subject,
          "SCRIPT writes the source with `echo \"${FUNC_HANDLER_SOURCE}\"`: the image's sh must not expand backslash escapes in echo (dash does; bash and busybox do not)",
        );
      }
      return pass(`${how}: served the inline source ${startup.readyMs} ms after start, unchanged (backslashes too)${healthz}`);
    },
  },
  {
    clause: 'KB-GIT',
    launch: 'kyma',
    placement: 'own',
    needs: ['KB-LAUNCH'],
    run: async (ctx) => {
      const sources = await probeEntries(ctx.runtime.facts, 'kb-git');
      const files = sources.filter((entry) => entry.type === 'file').map((entry) => entry.path);
      const { subject, answer, reason } = await startAndAsk(ctx, 'kb-git', { source: { kind: 'git' }, gitSources: sources, registryConfig: { kind: 'missing' } }, '/');
      try {
        const hint = 'the launch copies /git-repository/src/* into the working directory; load the handler from there and resolve its relative imports';
        if (reason !== undefined) return failure(`with sources from a Git repository (${files.join(', ')}): ${reason}`, undefined, subject, hint);
        if (answer?.status !== 200 || answer.text !== 'hello from git, through several files') return failure('with sources from a Git repository, the handler did not answer through its helper modules', answer, subject, hint);
        return pass(`${files.length} files in folders from /git-repository/src served: ${files.join(', ')}`);
      } finally {
        await subject.remove();
      }
    },
  },
  {
    clause: 'KB-DEPS',
    launch: 'kyma',
    placement: 'own',
    needs: ['KB-LAUNCH'],
    run: async (ctx) => {
      const facts = ctx.runtime.facts;
      const registry = await startPackageRegistry(facts, join(probeDir(facts, 'kb-deps'), 'packages'));
      try {
        const dependencies = (await readFile(join(probeDir(facts, 'kb-deps'), facts.name === 'nodejs' ? 'dependencies.json' : 'dependencies.txt'), 'utf8')).trim();
        const source = await probeSource(facts, 'kb-deps');
        const started = Date.now();
        const { subject, answer, reason, readyMs } = await startAndAsk(
          ctx,
          'kb-deps',
          { source: { kind: 'inline', source, dependencies }, registryConfig: { kind: 'file', content: registry.config } },
          '/dep',
        );
        try {
          const fetched = registry.requests.filter((r) => r.authorized && r.status === 200).length;
          const where = `from rtcheck's ${facts.name === 'nodejs' ? 'npm registry' : 'pip index'} on 127.0.0.1 that answers only with the credentials in package-registry-config/${facts.registryConfigFile}`;
          const hint = `install FUNC_HANDLER_DEPENDENCIES with the credentials the mounted package-registry-config/${facts.registryConfigFile} names, and keep the runtime's own libraries first (LOAD-DEPS)`;
          if (reason !== undefined) {
            const refused = registry.requests.filter((r) => !r.authorized).length;
            return failure(`dependencies ${where}: ${reason} (${fetched} authorized downloads, ${refused} refused without credentials)`, undefined, subject, hint);
          }
          if (answer?.status !== 200 || answer.text !== 'kb dependency ok') return failure(`the dependency installed ${where} did not resolve for user code`, answer, subject, hint);
          const span = await subject.call({ path: '/span' });
          if (span.status !== 200 || span.text !== 'span') {
            return failure(
              "with the Function's dependencies installed (among them a pin of another OpenTelemetry API), event.tracer does not work: the Function's libraries replaced the runtime's (or event.tracer does not work at all: see TR-TRACER under KB-CONTRACT)",
              span,
              subject,
              hint,
            );
          }
          return pass(`installed ${where} (${fetched} authorized downloads), ready ${readyMs ?? Date.now() - started} ms after start; resolves for user code; the runtime's own OpenTelemetry still wins over the Function's pin`);
        } finally {
          await subject.remove();
        }
      } finally {
        await registry.close();
      }
    },
  },
  {
    clause: 'KB-CONTRACT',
    launch: 'kyma',
    placement: 'main',
    needs: ['KB-LAUNCH'],
    run: async (ctx) => {
      const parts = await tools(ctx).rerunContract();
      const failed = parts.filter((part) => part.status === 'fail');
      const warned = parts.filter((part) => part.status === 'warn');
      const held = parts.filter((part) => part.status === 'blocked');
      const passed = parts.filter((part) => part.status === 'pass').length;
      const also = [warned.length ? `warnings: ${warned.map((p) => p.clause).join(', ')}` : '', held.length ? `blocked: ${held.map((p) => `${p.clause} (${p.message})`).join(', ')}` : ''].filter(Boolean);
      const outcome: Outcome = failed.length
        ? fail(`under Kyma's launch ${failed.map((part) => part.clause).join(', ')} failed (of ${parts.length} checks of sections 3–8; details below)`, {}, 'the same server must behave the same under both launches: compare the failing clauses with the image\'s own entrypoint')
        : pass(`${passed} of ${parts.length} checks of sections 3–8 passed under this launch${also.length ? `; ${also.join('; ')}` : ''}`);
      return { ...outcome, parts };
    },
  },
  {
    clause: 'KB-PROBES',
    launch: 'kyma',
    placement: 'main',
    needs: ['KB-LAUNCH'],
    run: async (ctx) => {
      const readyMs = ctx.startup.readyMs ?? 0;
      const budget = tools(ctx).startupBudgetMs;
      const hint = 'answer /healthz on 8080 without waiting for invocations, and start (dependency install included) within the startup probe budget';
      if (ctx.startup.healthzBroken !== undefined) {
        return fail(`GET /healthz on ${ctx.subject.port} answers ${ctx.startup.healthzBroken} although the function serves: the controller's startup probe never succeeds, so the pod is restarted and never gets traffic`, {}, hint);
      }
      if (readyMs > budget) return fail(`ready ${readyMs} ms after start, beyond the startup probe's budget of ${budget / 1000} s`, {}, hint);
      const slow = ctx.subject.call({ path: '/sleep?ms=1500', timeoutMs: 5000 });
      let done = false;
      void slow.then(() => (done = true));
      const samples: Exchange[] = [];
      while (!done) {
        const answer = await ctx.subject.call({ path: '/healthz', timeoutMs: READINESS_TIMEOUT_MS * 2 });
        if (!done) samples.push(answer);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const slowAnswer = await slow;
      if (samples.length === 0) {
        return slowAnswer.ms >= 1400
          ? failure(`GET /healthz answered only after the 1.5 s invocation ended: it waits behind invocations (one request at a time?), so the controller's probes time out while a Function runs`, slowAnswer, ctx.subject, hint)
          : failure(`could not sample /healthz while an invocation was running: GET /sleep?ms=1500 answered after ${slowAnswer.ms} ms (does the query reach extensions.request? see EV-REQUEST under KB-CONTRACT)`, slowAnswer, ctx.subject, hint);
      }
      // The readiness probe fails on one answer slower than 2 s; one slow sample on a busy machine is
      // noise, two are a pattern.
      const late = samples.filter((answer) => answer.status !== 200 || answer.ms >= READINESS_TIMEOUT_MS);
      if (late.length >= 2) return failure(`${late.length} of ${samples.length} GET /healthz during a 1.5 s invocation missed the readiness probe's 2 s (status ${late[0]?.status ?? 'none'}, ${late[0]?.ms} ms)`, late[0], ctx.subject, hint);
      const slowest = Math.max(...samples.map((answer) => answer.ms));
      return pass(`ready ${readyMs} ms after start (startup budget ${budget / 1000} s); ${samples.length} /healthz during a 1.5 s invocation, slowest ${slowest} ms`);
    },
  },
  {
    clause: 'KB-TERM',
    launch: 'kyma',
    placement: 'final',
    needs: ['KB-LAUNCH'],
    run: async (ctx) => {
      const subject = ctx.subject;
      const traceId = randomBytes(16).toString('hex');
      const hint =
        "the controller's `sh` is PID 1 and passes no signal on: install a /bin/sh that runs the script under an init forwarding SIGTERM to its process group (see base-images/shared/pid1-sh), and drain, flush spans and exit 0 on SIGTERM";
      const inFlight = subject.call({ path: '/sleep?ms=1500', headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }, timeoutMs: (TERM_BOUND_S + 3) * 1000 });
      const started = Date.now();
      for (;;) {
        const poll = await subject.call({ path: '/__rtcheck/inflight' });
        if (Number(poll.text.trim()) > 0) break;
        if (poll.ms >= 1400) return failure('rtcheck could not signal with an invocation in flight: the runtime answered only after the slow invocation ended (one request at a time? see KB-PROBES)', poll, subject, hint);
        if (Date.now() - started > 3000) return failure('the slow invocation never started', await inFlight, subject, hint);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const signalled = Date.now();
      await subject.container.kill('SIGTERM');
      const exit = await subject.container
        .wait({ signal: AbortSignal.timeout(TERM_BOUND_S * 1000) })
        .then((code) => ({ code, ms: Date.now() - signalled }))
        .catch(() => undefined);
      if (!exit) await subject.container.kill('SIGKILL').catch(() => undefined);
      const answer = await inFlight;
      const completed = answer.status === 200 && answer.text === 'slept';
      const hasSpan = (): boolean => ctx.peers.spans().some((span) => span.traceId === traceId);
      const flushed = hasSpan() || (await ctx.peers.collector.waitFor(hasSpan, 500)) !== undefined;
      // A runtime that exports nothing at all fails TR-EXPORT; its flush cannot be judged here.
      const exportsAtAll = ctx.peers.spans().length > 0;
      const span = !exportsAtAll ? 'span flush not judged (no span reached the collector in this run: see TR-EXPORT)' : `its span ${flushed ? 'was' : 'was not'} exported`;
      const seen = `stopped: ${exit ? `exit ${exit.code} after ${(exit.ms / 1000).toFixed(1)} s` : `still running ${TERM_BOUND_S} s after SIGTERM (Kubernetes sends SIGKILL after 30 s)`}; in-flight invocation ${completed ? 'completed' : `cut (${answer.status ?? answer.error ?? 'no answer'})`}; ${span}`;
      if (!exit || exit.code !== 0 || !completed || (exportsAtAll && !flushed)) return fail(seen, { logTail: await subject.logTail() }, hint);
      return pass(seen);
    },
  },
];
