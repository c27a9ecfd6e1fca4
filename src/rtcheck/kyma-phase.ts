// Section 11 under Kyma's buildless launch, exactly as the controller starts a pod: no FUNC_PORT, the
// pod's port 8080. Port 8080 is one per machine with host networking, so the whole phase holds the
// machine-wide lease on it and runs its containers one after another: the main container (KB-LAUNCH,
// KB-PROBES, KB-CONTRACT's re-run of sections 3–8, then KB-TERM's SIGTERM), then KB-GIT's and KB-DEPS'.
// When something that is not rtcheck holds 8080, the containers get FUNC_PORT and the report says so.
import { type Check, type CheckContext, type KymaTools, PROBE_READY_PATH, type Subject } from './check.js';
import { type Clause, clauseById } from './clauses.js';
import { MAIN_CONCURRENCY, emptyStartup, settle } from './entrypoint-phase.js';
import { diagnoseKymaLaunch } from './kyma-diagnose.js';
import { DEFAULT_PORT, freeLoopbackPort, leaseDefaultPort, portInUse } from '../platform/ports.js';
import { kymaControllerName } from '../platform/kyma.js';
import type { Readiness } from '../platform/function-container.js';
import { probeSource } from './probes.js';
import { type CheckResult, type LaunchSummary, blocked } from './result.js';
import { Results, judge, pool } from './results.js';
import type { Session } from './session.js';

/** The controller's startup probe: 30 failures × 5 s. */
export const STARTUP_BUDGET_MS = 150_000;

export async function runKymaPhase(session: Session, checks: readonly Check[], contractChecks: readonly Check[], results: Results, strict: boolean, timeoutSeconds: number): Promise<LaunchSummary> {
  const summary: LaunchSummary = { readyMs: undefined, port: undefined, emulates: kymaControllerName() };
  if (checks.length === 0) return summary;
  const wants = (...placements: Check['placement'][]): Check[] => checks.filter((check) => placements.includes(check.placement));
  const lease = await leaseDefaultPort(session.deadline, session.log);
  try {
    let port = { port: DEFAULT_PORT, viaEnv: false };
    if (await portInUse(DEFAULT_PORT)) {
      port = { port: await freeLoopbackPort(), viaEnv: true };
      const holder = (await session.ownContainerOn(DEFAULT_PORT)) ?? 'another process';
      summary.portNote = `127.0.0.1:${DEFAULT_PORT} is held by ${holder}, so these containers got FUNC_PORT=${port.port}; Kyma's pod listens on ${DEFAULT_PORT} (an image that ignores FUNC_PORT fails here and may work on Kyma)`;
    }
    summary.port = port.port;
    const startup = emptyStartup();
    let main: Subject | undefined;
    const family = session.runtime.facts;
    const tools: KymaTools = {
      start: (role, start) => session.startKyma(role, { ...start, port }),
      startupBudgetMs: STARTUP_BUDGET_MS,
      diagnose: () => diagnoseKymaLaunch(session),
      rerunContract: async () => {
        // The checks of sections 3–8 against the main container, as under the own entrypoint; their
        // parts that need containers of their own stay with the own entrypoint (ctx.launch is unset).
        const parts = new Results(strict);
        const ctx = (): CheckContext => ({ ...context(), kyma: undefined });
        await pool(contractChecks, MAIN_CONCURRENCY, async (check) => {
          // A broken /healthz under this launch is KB-PROBES' failure (the pod never gets traffic), not a second one here.
          if (check.clause === 'HTTP-HEALTH' && startup.healthzBroken !== undefined) {
            return parts.record('kyma', clauseById(check.clause) as Clause, blocked(['KB-PROBES']), 0);
          }
          return judge(parts, 'kyma', check, ctx, timeoutSeconds);
        });
        return contractChecks.map((check) => parts.get('kyma', check.clause)).filter((result): result is CheckResult => result !== undefined);
      },
    };
    const context = (): CheckContext => ({
      imageRef: session.imageRef,
      image: session.image,
      runtime: session.runtime,
      launchKind: 'kyma',
      env: session.functionEnv(),
      startup,
      subject: main as Subject,
      peers: session.peers('kyma'),
      launch: undefined,
      waitReady: (subject, timeoutMs) => subject.waitReady(Math.min(timeoutMs ?? STARTUP_BUDGET_MS, session.remainingMs())),
      remainingMs: () => session.remainingMs(),
      log: session.log,
      kyma: tools,
      ...(session.fn ? { fn: session.fn } : {}),
    });
    const run = (check: Check): Promise<unknown> => judge(results, 'kyma', check, context, timeoutSeconds);

    if (wants('startup', 'main', 'final').length > 0) {
      const source = await probeSource(family, 'main');
      // An image without `sh` cannot even be started this way: that is KB-LAUNCH's failure, not rtcheck's.
      const started = await session.startKyma('kb-main', { source: { kind: 'inline', source, dependencies: '' }, registryConfig: { kind: 'missing' }, port }, 'main').then(
        (subject) => subject,
        (error: unknown) => error instanceof Error ? error : new Error(String(error)),
      );
      let ready: Readiness =
        started instanceof Error
          ? { ready: false as const, ms: 0, reason: `the engine could not start it: ${started.message}` }
          : await started.waitReady(Math.min(STARTUP_BUDGET_MS, session.remainingMs()), { fallbackPath: PROBE_READY_PATH });
      if (!(started instanceof Error)) main = started;
      const impostor = ready.ready && main ? await session.impostor(main) : undefined;
      if (impostor) ready = { ready: false, ms: ready.ms, reason: `what answers on 127.0.0.1:${port.port} is ${impostor}, not the container started as Kyma's controller starts it` };
      if (ready.ready && main) {
        startup.first = await main.call({ path: '/value/string' });
        startup.ready = true;
        startup.readyMs = ready.ms;
        startup.healthzBroken = ready.healthzBroken;
        summary.readyMs = ready.ms;
        session.log(`kyma main container ready in ${ready.ms} ms`);
      } else if (!ready.ready) {
        startup.failure = { reason: ready.reason, logTail: main ? await main.logTail(40) : '', ...(ready.exitCode !== undefined ? { exitCode: ready.exitCode } : {}) };
      }
      for (const check of wants('startup')) await run(check);
      const notReady = (check: Check): Promise<unknown> =>
        Promise.resolve(results.record('kyma', clauseById(check.clause) as Clause, blocked(['KB-LAUNCH']), 0));
      if (startup.ready && main) await settle(main, Math.min(10_000, session.remainingMs()));
      await Promise.all(wants('main').map((check) => (startup.ready ? run(check) : notReady(check))));
      for (const check of wants('final')) await (startup.ready ? run(check) : notReady(check));
      await main?.remove();
    }
    // One container at a time on the launch's port: each check removes its own before the next starts.
    for (const check of wants('own')) await run(check);
  } finally {
    await lease.release();
  }
  return summary;
}
