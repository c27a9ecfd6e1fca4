// Section 2, loading the function: the probe is found at the contract's path, readiness means loaded,
// and a broken module makes the process fail fast with one clear line.
import { DEFAULT_INSTALL_VOLUME, FAMILIES, type RuntimeFamily } from '../../platform/runtimes.js';
import { type Check, type CheckContext, failure, launcher, logsWhen, runCases } from '../check.js';
import { describeResponse } from '../../platform/exchange.js';
import { type Outcome, fail, pass } from '../result.js';

/** How long LOAD-FAIL allows, from start to exit (5 s, plus the engine's own latency). */
const FAIL_FAST_MS = 5000;
const ENGINE_SLACK_MS = 750;


/** What the main probe proves about loading, by being served at all. */
const MAIN_STYLE: Record<RuntimeFamily, string> = {
  nodejs: 'handler.js with module.exports = { main: async … }',
  python: 'handler.py with def main',
};

interface LoadVariant {
  probe: string;
  env: (volume: string) => Record<string, string>;
  answer: string;
  what: string;
}

/** More ways to find and export the handler, one short container each (side by side). */
const LOAD_VARIANTS: Record<RuntimeFamily, LoadVariant[]> = {
  nodejs: [
    { probe: 'load-alt', env: () => ({ MOD_NAME: 'rtcheck_alt', FUNC_HANDLER: 'entry' }), answer: 'alt hello', what: 'rtcheck_alt.mjs export entry (MOD_NAME, FUNC_HANDLER)' },
    { probe: 'load-esm-default', env: () => ({}), answer: 'esm default hello', what: 'handler.mjs with export default { main }' },
    { probe: 'load-cjs-exports', env: () => ({}), answer: 'cjs exports hello', what: 'handler.cjs with exports.main' },
    { probe: 'load-override', env: (volume) => ({ HANDLER_PATH: `${volume}/sub/handler.js` }), answer: 'override hello', what: 'HANDLER_PATH' },
  ],
  python: [
    { probe: 'load-alt', env: () => ({ MOD_NAME: 'rtcheck_alt', FUNC_HANDLER: 'entry' }), answer: 'alt hello', what: 'rtcheck_alt.py def entry (MOD_NAME, FUNC_HANDLER)' },
    { probe: 'load-override', env: (volume) => ({ FUNCTION_PATH: `${volume}/sub` }), answer: 'override hello', what: 'FUNCTION_PATH' },
  ],
};

/** The broken functions LOAD-FAIL starts, one container each, side by side. */
const BROKEN: [probe: string, what: string][] = [
  ['load-fail-syntax', 'a syntax error'],
  ['load-fail-export', 'a non-callable main'],
  ['load-fail-missing', 'no module'],
];

/** Starts the image with one broken function: it must print one line naming the module and exit non-zero within 5 s, never healthy. */
async function failsFast(ctx: CheckContext, probe: string, what: string): Promise<Outcome> {
  const subject = await launcher(ctx)(probe, { probe });
  // 5 s, plus what starting this image costs on this machine right now (the main container's time to
  // ready in this run): a busy CI runner slows the start, not the runtime's duty to fail fast.
  const allowance = ENGINE_SLACK_MS + Math.max(0, ctx.startup.readyMs ?? 0);
  const limit = subject.startedAt + FAIL_FAST_MS + allowance;
  let done = false;
  const exited = subject.container.wait({ signal: AbortSignal.timeout(Math.max(0, limit - Date.now())) }).then(
    (code) => ((done = true), { code, at: Date.now() }),
    () => ((done = true), undefined),
  );
  let healthy = false;
  while (!done && Date.now() < limit) {
    const answer = await subject.call({ path: '/healthz', timeoutMs: 500 });
    if (answer.status === 200) healthy = true;
    if (!done) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const result = await exited;
  const logs = await logsWhen(subject, ({ stderr }) => stderr.trim() !== '', 1000);
  const evidence = { logTail: await subject.logTail() };
  const hint = 'on a load error print one line to stderr (path and reason) and exit non-zero at once';
  const file = ctx.runtime.moduleFile;
  if (healthy) return fail(`with ${what}: /healthz answered 200 although the function cannot be loaded`, evidence, hint);
  if (!result) return fail(`with ${what}: still running ${((FAIL_FAST_MS + allowance) / 1000).toFixed(1)} s after start (5 s, plus ${allowance} ms this machine needs to start the image)`, evidence, hint);
  if (result.code === 0) return fail(`with ${what}: exited with code 0`, evidence, hint);
  const lines = logs.stderr.split('\n').filter((line) => line.trim() !== '');
  const named = lines.find((line) => line.includes(file));
  if (!named) return fail(`with ${what}: stderr has no line naming ${file}`, evidence, hint);
  if (lines.some((line) => /^\s+at\s|^Traceback|^\s+File "/.test(line))) return fail(`with ${what}: stderr carries a stack trace instead of one clear line`, evidence, hint);
  return pass(`${what}: exit ${result.code} after ${result.at - subject.startedAt} ms ("${named.trim()}")`);
}

export const loadChecks: Check[] = [
  {
    clause: 'LOAD-PATH',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: async (ctx) => {
      const hint = 'load $KUBELESS_INSTALL_VOLUME/$MOD_NAME.<ext> (MOD_NAME default handler) and call its export named by FUNC_HANDLER (default main); honour HANDLER_PATH (Node) and FUNCTION_PATH (Python)';
      if (ctx.startup.ready) {
        const answer = await ctx.subject.call({ path: '/value/string' });
        if (answer.status !== 200 || answer.text !== 'hello') return failure(`${MAIN_STYLE[ctx.runtime.family]} was not served`, answer, ctx.subject, hint);
      }
      const variants = LOAD_VARIANTS[ctx.runtime.family];
      const outcomes = await Promise.all(
        variants.map(async (variant) => {
          const subject = await launcher(ctx)(variant.probe, { probe: variant.probe, env: variant.env(ctx.image.env.KUBELESS_INSTALL_VOLUME || DEFAULT_INSTALL_VOLUME) });
          const ready = await ctx.waitReady(subject);
          const answer = ready.ready ? await subject.call({ path: '/' }) : undefined;
          if (answer?.status === 200 && answer.text === variant.answer) return pass(variant.what);
          return failure(`${variant.what} was not served${ready.ready ? '' : `: ${ready.reason}`}`, answer, subject, hint);
        }),
      );
      return outcomes.find((outcome) => outcome.status !== 'pass') ?? pass([MAIN_STYLE[ctx.runtime.family], ...outcomes.map((outcome) => outcome.message)].join('; '));
    },
  },
  {
    clause: 'LOAD-DEPS',
    placement: 'main',
    run: (ctx) => {
      // The folder rtbuild installs dependencies into, which is where the runtimes must resolve them.
      const folder = FAMILIES[ctx.runtime.family].dependencyDir;
      return runCases(
        ctx.subject,
        [
          {
            name: `GET /dep imports a package from $KUBELESS_INSTALL_VOLUME/${folder}`,
            request: { path: '/dep' },
            expect: (x) => (x.status === 200 && x.text === 'dependency ok' ? undefined : 'expected 200 "dependency ok"'),
          },
        ],
        `a package in $KUBELESS_INSTALL_VOLUME/${folder} resolves for user code`,
        `resolve user imports from $KUBELESS_INSTALL_VOLUME/${folder}`,
      );
    },
  },
  {
    clause: 'LOAD-READY',
    placement: 'startup',
    quick: true,
    run: async (ctx) => {
      const { startup } = ctx;
      if (startup.healthzBroken !== undefined) {
        return { status: 'blocked', message: `blocked by HTTP-HEALTH: /healthz answers ${startup.healthzBroken}, so readiness cannot be judged by it (the function itself answers)` };
      }
      if (!startup.ready) {
        const reason = startup.failure?.reason ?? 'the subject did not become ready';
        return fail(reason, { logTail: startup.failure?.logTail ?? '' }, reason.startsWith('the image ignores FUNC_PORT')
          ? 'listen on FUNC_PORT when it is set (rtcheck gives each container its own port; Kyma\'s launch sets none and uses 8080); or check only Kyma\'s launch with --launch kyma'
          : 'listen on FUNC_PORT when it is set (rtcheck sets it to a free port; the default is 8080) and answer GET /healthz 200 once the function is loaded');
      }
      const first = startup.first;
      if (!first || first.status !== 200 || first.text !== 'hello') {
        return failure(`healthy after ${startup.readyMs} ms, but the first invocation right after did not succeed`, first, ctx.subject, 'answer /healthz with 200 only after the function module has loaded');
      }
      return pass(`healthy after ${startup.readyMs} ms; the first invocation right after answered ${describeResponse(first).split('\n')[0]}`);
    },
  },
  {
    clause: 'LOAD-FAIL',
    placement: 'own',
    run: async (ctx) => {
      const outcomes = await Promise.all(BROKEN.map(([probe, what]) => failsFast(ctx, probe, what)));
      const failed = outcomes.find((outcome) => outcome.status !== 'pass');
      return failed ?? pass(outcomes.map((outcome) => outcome.message).join('; '));
    },
  },
];
