// rtcheck's orchestration: inspect the image, start the peers, run the static checks, bring up one
// long-lived main subject for most HTTP checks, run the checks that need containers of their own beside
// it, all under one global deadline; remove every container in `finally`.
import { join } from 'node:path';
import type { Container, Engine } from '../engine/index.js';
import { InvalidInputError } from '../errors.js';
import { findUpward } from '../project-files.js';
import { type Check, type CheckContext, type LaunchOptions, type RuntimeId, type RuntimeInfo, type Startup } from './check.js';
import { imageChecks } from './checks/image.js';
import { loadChecks } from './checks/load.js';
import { httpChecks, DEFAULT_PORT } from './checks/http.js';
import { eventChecks } from './checks/event.js';
import { sdkChecks } from './checks/sdk.js';
import { contextChecks } from './checks/context.js';
import { responseChecks } from './checks/response.js';
import { tracingChecks } from './checks/tracing.js';
import { lifecycleChecks } from './checks/lifecycle.js';
import { type Clause } from './clauses.js';
import { startPeers } from './peers/index.js';
import { freeLoopbackPort } from '../platform/ports.js';
import { type CheckResult, type Outcome, type RunSummary, fail, skip, statusFor } from './result.js';
import { selectClauses } from './select.js';
import { type Subject, startSubject, waitReady } from './subject.js';

export const CHECKS: readonly Check[] = [
  ...imageChecks,
  ...loadChecks,
  ...httpChecks,
  ...eventChecks,
  ...sdkChecks,
  ...contextChecks,
  ...responseChecks,
  ...tracingChecks,
  ...lifecycleChecks,
];

export const RUNTIMES: Record<RuntimeId, Omit<RuntimeInfo, 'id'>> = {
  nodejs20: { family: 'nodejs', moduleFile: 'handler.js' },
  python312: { family: 'python', moduleFile: 'handler.py' },
};

/** The env the platform (Kyma's function controller) gives a function container; FUNC_PORT is added per container. */
export function platformEnv(runtime: RuntimeId, peers: { tracesUrl: string; publisherUrl: string }): Record<string, string> {
  return {
    FUNC_RUNTIME: runtime,
    FUNC_NAME: 'rtcheck-probe',
    FUNC_TIMEOUT: '2',
    REQ_MB_LIMIT: '1',
    SERVICE_NAMESPACE: 'rtcheck',
    FUNC_MEMORY_LIMIT: '128Mi',
    TRACE_COLLECTOR_ENDPOINT: peers.tracesUrl,
    PUBLISHER_PROXY_ADDRESS: peers.publisherUrl,
  };
}

export function resolveRuntime(flag: string | undefined, declared: string | undefined): RuntimeInfo {
  const id = flag ?? declared;
  if (!id) {
    throw new InvalidInputError('the image does not set FUNC_RUNTIME (IMG-RUNTIME) and no --runtime was given', {
      hint: `pass --runtime ${Object.keys(RUNTIMES).join('|')}`,
    });
  }
  if (!(id in RUNTIMES)) {
    throw new InvalidInputError(`unknown runtime "${id}"${flag ? '' : ' (from FUNC_RUNTIME in the image)'}`, {
      hint: `rtcheck knows ${Object.keys(RUNTIMES).join(', ')}; pass --runtime to choose one`,
    });
  }
  return { id: id as RuntimeId, ...RUNTIMES[id as RuntimeId] };
}

/** src/rtcheck/probes of the project, from the sources or from the built CLIs in dist/. */
function probesRoot(): string {
  return findUpward(import.meta.dirname, join('src', 'rtcheck', 'probes')) ?? join(import.meta.dirname, 'probes');
}

export interface RunOptions {
  engine: Engine;
  image: string;
  runtime?: string | undefined;
  only?: string | undefined;
  skip?: string | undefined;
  strict?: boolean;
  quick?: boolean;
  /** Leave the containers for inspection (their ids are logged). */
  keep?: boolean;
  timeoutSeconds?: number;
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 20_000;
/** How long the main subject may take from healthy to answering (LOAD-READY fails that window). */
const SETTLE_MS = 10_000;
/**
 * How long a short container may take to get ready: a few times what the main subject took (the same
 * image on the same machine), so a runtime that never listens where expected fails in seconds, not 20 s.
 */
export function ownReadyTimeout(mainReadyMs: number | undefined): number {
  return mainReadyMs === undefined ? READY_TIMEOUT_MS : Math.min(READY_TIMEOUT_MS, Math.max(5000, 4 * mainReadyMs));
}

/** How many checks talk to the main subject at once. */
const MAIN_CONCURRENCY = 4;

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(size, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

export async function runConformance(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const deadline = started + (options.timeoutSeconds ?? 90) * 1000;
  const remainingMs = (): number => Math.max(0, deadline - Date.now());
  const log = options.log ?? ((): void => undefined);
  const { engine } = options;
  const strict = options.strict ?? false;

  const selected = selectClauses({ only: options.only, skip: options.skip });
  const image = await engine.inspectImage(options.image);
  const runtime = resolveRuntime(options.runtime, image.env.FUNC_RUNTIME);
  const byClause = new Map(CHECKS.map((check) => [check.clause, check]));
  const results = new Map<string, CheckResult>();
  const record = (clause: Clause, outcome: Outcome, ms: number): void => {
    results.set(clause.id, { clause: clause.id, level: clause.level, status: statusFor(outcome.status, clause.level, strict), ms, message: outcome.message, ...(outcome.evidence ? { evidence: outcome.evidence } : {}), ...(outcome.hint ? { hint: outcome.hint } : {}) });
  };

  const planned: { clause: Clause; check: Check }[] = [];
  for (const clause of selected) {
    const check = byClause.get(clause.id);
    if (!check) record(clause, skip('not checked by this version of rtcheck'), 0);
    else if (options.quick && !check.quick) record(clause, skip('skipped by --quick'), 0);
    else planned.push({ clause, check });
  }
  const wants = (...placements: Check['placement'][]): { clause: Clause; check: Check }[] => planned.filter((p) => placements.includes(p.check.placement));

  const containers: Container[] = [];
  const peers = await startPeers();
  const env = platformEnv(runtime.id, peers);
  const volume = image.env.KUBELESS_INSTALL_VOLUME || '/kubeless';
  const startup: Startup = { ready: false, readyMs: undefined, restricted: true, first: undefined, restrictedFailure: undefined, failure: undefined };
  let mainSubject: Subject | undefined;

  // Set once clean-up has begun: a check that outlived the deadline must not start containers after it.
  let closed = false;
  const track = (container: Container): void => {
    containers.push(container);
    if (closed && !options.keep) void container.remove().catch(() => undefined);
  };
  const launch = async (role: string, launchOptions: LaunchOptions = {}, restricted = startup.restricted): Promise<Subject> => {
    if (closed) throw new Error('the run is over (global deadline)');
    const port = launchOptions.defaultPort ? DEFAULT_PORT : await freeLoopbackPort();
    const subjectEnv: Record<string, string> = { ...env, ...(launchOptions.defaultPort ? {} : { FUNC_PORT: String(port) }), ...launchOptions.env };
    for (const name of launchOptions.unsetEnv ?? []) delete subjectEnv[name];
    const subject = await startSubject(
      engine,
      {
        role,
        image: options.image,
        probeDir: join(probesRoot(), runtime.family, launchOptions.probe ?? 'main'),
        volume: launchOptions.volume ?? volume,
        env: subjectEnv,
        port,
        restricted,
        ...(launchOptions.user !== undefined ? { user: launchOptions.user } : {}),
      },
      track,
    );
    log(`started ${role} container ${subject.container.id.slice(0, 12)} on ${subject.url}${restricted ? ' (restricted profile)' : ''}`);
    return subject;
  };

  const context = (): CheckContext => ({
    imageRef: options.image,
    image,
    runtime,
    env,
    startup,
    // Only "main" checks use it, and they run only once it is ready.
    subject: mainSubject as Subject,
    peers,
    launch: (role, launchOptions) => launch(role, launchOptions),
    waitReady: async (subject, timeoutMs) => {
      const budget = timeoutMs ?? ownReadyTimeout(startup.readyMs);
      const ready = await waitReady(subject, Math.min(budget, remainingMs()));
      if (!ready.ready || (await settle(subject, Math.min(budget, remainingMs())))) return ready;
      return { ready: false, ms: Date.now() - subject.startedAt, reason: 'healthy, but GET /value/string never answered 200' };
    },
    remainingMs,
  });

  const runOne = async ({ clause, check }: { clause: Clause; check: Check }): Promise<void> => {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve(fail(`did not finish before the global deadline (--timeout ${options.timeoutSeconds ?? 90} s)`)), remainingMs());
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => check.run(context()))
          .catch((error: unknown) => fail(`the check could not complete: ${error instanceof Error ? error.message : String(error)}`)),
        expired,
      ]);
      record(clause, outcome, Date.now() - t0);
    } finally {
      clearTimeout(timer);
    }
    log(`${clause.id}: ${results.get(clause.id)?.status ?? '?'}`);
  };

  try {
    for (const item of wants('static')) await runOne(item);

    if (wants('startup', 'main', 'own').length > 0) {
      mainSubject = await launch('main', {}, true);
      let ready = await waitReady(mainSubject, Math.min(READY_TIMEOUT_MS, remainingMs()));
      if (!ready.ready) {
        // Does it work without the restricted profile? Then only IMG-RESTRICTED fails.
        startup.restrictedFailure = { reason: ready.reason, logTail: await mainSubject.logTail() };
        if (!options.keep) await mainSubject.container.remove();
        mainSubject = await launch('main-unrestricted', {}, false);
        ready = await waitReady(mainSubject, Math.min(READY_TIMEOUT_MS, remainingMs()));
        startup.restricted = false;
      }
      if (ready.ready) {
        startup.first = await mainSubject.call({ path: '/value/string' });
        startup.ready = true;
        startup.readyMs = ready.ms;
        log(`main subject ready in ${ready.ms} ms`);
      } else {
        startup.failure = { reason: ready.reason, logTail: await mainSubject.logTail() };
        startup.restricted = true;
      }
      for (const item of wants('startup')) await runOne(item);

      const mainChecks = wants('main');
      if (startup.ready && mainChecks.length > 0) await settle(mainSubject, Math.min(SETTLE_MS, remainingMs()));
      await Promise.all([
        pool(mainChecks, MAIN_CONCURRENCY, async (item) => {
          if (startup.ready) await runOne(item);
          else record(item.clause, skip('not assessed: the subject did not become ready (see LOAD-READY)'), 0);
        }),
        Promise.all(wants('own').map(runOne)),
      ]);
    }
  } finally {
    closed = true;
    if (!options.keep) await Promise.all(containers.map((container) => container.remove().catch(() => undefined)));
    await peers.close();
  }

  return {
    image: options.image,
    runtime: runtime.id,
    readyMs: startup.readyMs,
    totalMs: Date.now() - started,
    strict,
    results: selected.map((clause) => results.get(clause.id)).filter((result): result is CheckResult => result !== undefined),
    ...(options.keep ? { kept: containers.map((container) => container.id) } : {}),
  };
}

/**
 * Waits until the function answers: a runtime may be healthy before its function is loaded. LOAD-READY
 * judges that window; every other check starts after it, so that it fails only its own clause.
 */
async function settle(subject: Subject, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await subject.call({ path: '/value/string', timeoutMs: 2000 });
    if (answer.status === 200) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
