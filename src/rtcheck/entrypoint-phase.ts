// Sections 1–9 under the image's own entrypoint: one long-lived main container (restricted profile,
// probe in $KUBELESS_INSTALL_VOLUME, FUNC_PORT) for the checks that only send it requests, checks that
// judge how it came up, and checks with containers of their own beside it.
import { availableParallelism } from 'node:os';
import { type Check, type CheckContext, type LaunchOptions, PROBE_READY_PATH, type Startup, type Subject } from './check.js';
import { type Clause, clauseById } from './clauses.js';
import { DEFAULT_PORT, DefaultPortTakenError, type PortLease, freeLoopbackPort, leaseDefaultPort, portInUse } from '../platform/ports.js';
import type { Readiness } from '../platform/function-container.js';
import { blocked } from './result.js';
import { type Results, judge, pool } from './results.js';
import type { Session } from './session.js';

const READY_TIMEOUT_MS = 20_000;
/** How long the main container may take from healthy to answering (LOAD-READY fails that window). */
const SETTLE_MS = 10_000;
/** How many checks talk to a main container at once. */
export const MAIN_CONCURRENCY = 4;

/**
 * How long a short container may take to get ready: many times what the main container took (the same
 * image on the same machine, in this run, so it scales with how busy the machine is), at least 10 s, at
 * most 30 s: a runtime that never listens where expected still fails in seconds, not minutes.
 */
export function ownReadyTimeout(mainReadyMs: number | undefined): number {
  return mainReadyMs === undefined ? READY_TIMEOUT_MS : Math.min(30_000, Math.max(10_000, 10 * mainReadyMs));
}

/** How many checks with containers of their own run at once: starting containers is what a small machine runs out of. */
export const OWN_CONCURRENCY = Math.max(2, availableParallelism());

/**
 * Waits until the function answers: a runtime may be healthy before its function is loaded. LOAD-READY
 * judges that window; every other check starts after it, so that it fails only its own clause.
 */
export async function settle(subject: Subject, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await subject.call({ path: '/value/string', timeoutMs: 2000 });
    if (answer.status === 200) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function emptyStartup(): Startup {
  return { ready: false, readyMs: undefined, restricted: true, first: undefined, restrictedFailure: undefined, failure: undefined, healthzBroken: undefined };
}

/**
 * `mainJudged` is called once the main container has come up or been given up (and, then, removed):
 * Kyma's launch waits for it before it takes port 8080, which an image that ignores FUNC_PORT would
 * otherwise be holding through this launch's containers.
 */
export async function runEntrypointPhase(session: Session, checks: readonly Check[], results: Results, timeoutSeconds: number, mainJudged: () => void = () => undefined): Promise<Startup> {
  const startup = emptyStartup();
  const wants = (...placements: Check['placement'][]): Check[] => checks.filter((check) => placements.includes(check.placement));
  let main: Subject | undefined;
  const leases: PortLease[] = [];

  const launch = async (role: string, options: LaunchOptions = {}, restricted = startup.restricted): Promise<Subject> => {
    if (!options.defaultPort) return session.startEntrypoint(role, { ...options, port: await freeLoopbackPort(), restricted });
    // HTTP-PORT: the default port is shared by the whole machine; the lease is held until the container is gone.
    const lease = await leaseDefaultPort(session.deadline, session.log);
    leases.push(lease);
    try {
      if (await portInUse(DEFAULT_PORT)) throw new DefaultPortTakenError(await session.ownContainerOn(DEFAULT_PORT));
      const subject = await session.startEntrypoint(role, { ...options, port: DEFAULT_PORT, restricted });
      const remove = subject.remove.bind(subject);
      subject.remove = async () => {
        try {
          await remove();
        } finally {
          await lease.release();
        }
      };
      return subject;
    } catch (error) {
      await lease.release();
      throw error;
    }
  };
  const waitReady = async (subject: Subject, timeoutMs?: number): Promise<Readiness> => {
    const budget = Math.min(timeoutMs ?? ownReadyTimeout(startup.readyMs), session.remainingMs());
    const ready = await subject.waitReady(budget, startup.healthzBroken !== undefined ? { fallbackPath: PROBE_READY_PATH } : {});
    if (!ready.ready) return ready;
    const impostor = await session.impostor(subject);
    if (impostor) return { ready: false, ms: ready.ms, reason: `what answers on 127.0.0.1:${subject.port} is ${impostor}, not this container` };
    if (await settle(subject, Math.min(budget, session.remainingMs()))) return ready;
    return { ready: false, ms: Date.now() - subject.startedAt, reason: 'healthy, but GET /value/string never answered 200' };
  };
  const context = (): CheckContext => ({
    imageRef: session.imageRef,
    image: session.image,
    runtime: session.runtime,
    launchKind: 'entrypoint',
    env: session.entrypointEnv(),
    startup,
    // Only "main" checks use it, and they run only once it is ready.
    subject: main as Subject,
    peers: session.peers('entrypoint'),
    launch: (role, options) => launch(role, options),
    waitReady,
    remainingMs: () => session.remainingMs(),
    log: session.log,
  });
  const run = (check: Check): Promise<unknown> => judge(results, 'entrypoint', check, context, timeoutSeconds);

  if (wants('startup', 'main', 'own').length === 0) {
    mainJudged();
    return startup;
  }
  try {
    // Checks with containers of their own only (--only HTTP-PORT, say) need no main container.
    if (wants('startup', 'main').length === 0) {
      mainJudged();
      await pool(wants('own'), OWN_CONCURRENCY, run);
    } else await runMainAndOwn();
  } finally {
    mainJudged();
    // A check cut off by the deadline may not have given its lease back.
    await Promise.all(leases.map((lease) => lease.release()));
  }
  return startup;

  async function runMainAndOwn(): Promise<void> {
  main = await launch('main', {}, true);
  const fallback = { fallbackPath: PROBE_READY_PATH };
  let ready = await main.waitReady(Math.min(READY_TIMEOUT_MS, session.remainingMs()), fallback);
  // With host networking, an image that ignores FUNC_PORT answers on 8080 for every container of the
  // run: make sure the answers come from this container, and name that root cause when they do not.
  let ignoresPort = false;
  const judge = async (subject: Subject, readiness: Readiness): Promise<Readiness> => {
    const impostor = readiness.ready ? await session.impostor(subject) : undefined;
    if (impostor) return { ready: false, ms: readiness.ms, reason: `what answers on 127.0.0.1:${subject.port} is ${impostor}, not the main container` };
    if (readiness.ready) return readiness;
    const elsewhere = await session.ownContainerOn(DEFAULT_PORT);
    if (!elsewhere) return readiness;
    ignoresPort = true;
    return { ...readiness, reason: `the image ignores FUNC_PORT: ${elsewhere} answers on ${DEFAULT_PORT} instead (${readiness.reason})` };
  };
  ready = await judge(main, ready);
  // An image that ignores FUNC_PORT would fail without the profile too: that root cause stands.
  if (!ready.ready && !ignoresPort) {
    // Does it work without the restricted profile? Then only IMG-RESTRICTED fails.
    startup.restrictedFailure = { reason: ready.reason, logTail: await main.logTail() };
    if (!session.keep) await main.remove();
    main = await launch('main-unrestricted', {}, false);
    ready = await judge(main, await main.waitReady(Math.min(READY_TIMEOUT_MS, session.remainingMs()), fallback));
    startup.restricted = false;
  }
  if (ready.ready) {
    startup.first = await main.call({ path: '/value/string' });
    startup.ready = true;
    startup.readyMs = ready.ms;
    startup.healthzBroken = ready.healthzBroken;
    session.log(`main container ready in ${ready.ms} ms${ready.healthzBroken ? ` (its /healthz answers ${ready.healthzBroken}; the function answers)` : ''}`);
  } else {
    startup.failure = { reason: ready.reason, logTail: await main.logTail(), ...(ready.exitCode !== undefined ? { exitCode: ready.exitCode } : {}) };
    startup.restricted = true;
    // It may hold a port it should not (8080, ignoring FUNC_PORT): gone at once, for the other launch.
    if (!session.keep) await main.remove();
  }
  mainJudged();
  for (const check of wants('startup')) await run(check);

  const mainChecks = wants('main');
  if (startup.ready && mainChecks.length > 0) await settle(main, Math.min(SETTLE_MS, session.remainingMs()));
  await Promise.all([
    pool(mainChecks, MAIN_CONCURRENCY, async (check) => {
      if (startup.ready) return run(check);
      return results.record('entrypoint', clauseById(check.clause) as Clause, blocked(['LOAD-READY']), 0);
    }),
    pool(wants('own'), OWN_CONCURRENCY, (check) =>
      check.needsRunning && !startup.ready ? Promise.resolve(results.record('entrypoint', clauseById(check.clause) as Clause, blocked(['LOAD-READY']), 0)) : run(check),
    ),
  ]);
  }
}
