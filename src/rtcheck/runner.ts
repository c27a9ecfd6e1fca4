// rtcheck's orchestration: inspect the image, start the peers, run the static checks, then both
// launches side by side (the image's own entrypoint: sections 1–9; Kyma's buildless launch: section
// 11), all under one global deadline; every container is removed in `finally`.
import type { Engine } from '../engine/index.js';
import type { LaunchKind } from '../platform/function-container.js';
import type { Check, CheckContext } from './check.js';
import { imageChecks } from './checks/image.js';
import { loadChecks } from './checks/load.js';
import { httpChecks } from './checks/http.js';
import { eventChecks } from './checks/event.js';
import { sdkChecks } from './checks/sdk.js';
import { contextChecks } from './checks/context.js';
import { responseChecks } from './checks/response.js';
import { tracingChecks } from './checks/tracing.js';
import { lifecycleChecks } from './checks/lifecycle.js';
import { kymaChecks } from './checks/kyma.js';
import { overrideChecks } from './checks/override.js';
import type { FunctionResource } from '../platform/function-resource.js';
import { kymaFunctionOf } from '../platform/function-resource.js';
import { type Clause, KB_CONTRACT_SECTIONS, clauseById } from './clauses.js';
import { emptyStartup, runEntrypointPhase } from './entrypoint-phase.js';
import { runKymaPhase } from './kyma-phase.js';
import { startPeers } from './peers/index.js';
import { type CheckResult, type RunSummary, skip } from './result.js';
import { Results, judge } from './results.js';
import { launchOf, selectClauses } from './select.js';
import { Session, resolveRuntime } from './session.js';

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
  ...kymaChecks,
  ...overrideChecks,
];

/** KB-CONTRACT re-runs these under Kyma's launch: the checks of sections 3–8 that send requests to one running function. */
export const CONTRACT_CHECKS: readonly Check[] = CHECKS.filter((check) => check.placement === 'main' && KB_CONTRACT_SECTIONS.includes(clauseById(check.clause)?.section ?? 0));

export const LAUNCHES: readonly LaunchKind[] = ['entrypoint', 'kyma'];

export interface RunOptions {
  engine: Engine;
  image: string;
  /** How the report names the image (rtbuild base: the tag it is checked for), when not `image`. */
  label?: string;
  runtime?: string | undefined;
  only?: string | undefined;
  skip?: string | undefined;
  /** Which launches to check (default both). */
  launches?: readonly LaunchKind[];
  strict?: boolean;
  quick?: boolean;
  /** Leave the containers for inspection (their ids are logged). */
  keep?: boolean;
  timeoutSeconds?: number;
  log?: (line: string) => void;
  /** The Function resource that runs the image on Kyma (--function): adds OVR-MANIFEST and OVR-BAKED. */
  fn?: FunctionResource | undefined;
}

export async function runConformance(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const timeoutSeconds = options.timeoutSeconds ?? 180;
  const log = options.log ?? ((): void => undefined);
  const strict = options.strict ?? false;
  const launches = options.launches ?? LAUNCHES;

  const selected = selectClauses({ only: options.only, skip: options.skip, launches, withFunction: options.fn !== undefined });
  const fn = options.fn ? { resource: options.fn, kyma: kymaFunctionOf(options.fn) } : undefined;
  const image = await options.engine.inspectImage(options.image);
  const runtime = resolveRuntime(options.runtime, image.env.FUNC_RUNTIME);
  const results = new Results(strict);
  const byClause = new Map(CHECKS.map((check) => [check.clause, check]));

  const planned: Check[] = [];
  for (const clause of selected) {
    const check = byClause.get(clause.id);
    const launch = launchOf(clause);
    if (!check) results.record(launch, clause, skip('not checked by this version of rtcheck'), 0);
    else if (options.quick && !check.quick) results.record(launch, clause, skip('skipped by --quick'), 0);
    else planned.push(check);
  }
  const under = (launch: LaunchKind): Check[] => planned.filter((check) => (check.launch ?? 'entrypoint') === launch);

  const session = new Session(options.engine, options.image, image, runtime, await startPeers(), started + timeoutSeconds * 1000, options.keep ?? false, log, fn);
  const summary: RunSummary = { image: options.label ?? options.image, runtime: runtime.id, readyMs: undefined, launches: {}, totalMs: 0, strict, results: [] };
  let kept: string[] = [];
  try {
    const staticContext = (): CheckContext => ({
      imageRef: options.image,
      image,
      runtime,
      launchKind: 'entrypoint',
      env: session.entrypointEnv(),
      startup: emptyStartup(),
      subject: undefined as never,
      peers: session.peers('entrypoint'),
      launch: undefined,
      waitReady: () => Promise.reject(new Error('static checks start no containers')),
      remainingMs: () => session.remainingMs(),
      log,
      ...(fn ? { fn } : {}),
    });
    for (const launch of launches) {
      for (const check of under(launch).filter((c) => c.placement === 'static')) await judge(results, launch, check, staticContext, timeoutSeconds);
    }
    // Kyma's launch takes port 8080 once the own entrypoint's main container is judged (see runEntrypointPhase).
    let mainJudged!: () => void;
    const judged = new Promise<void>((resolve) => (mainJudged = resolve));
    if (!launches.includes('entrypoint')) mainJudged();
    const [startup, kyma] = await Promise.all([
      launches.includes('entrypoint') ? runEntrypointPhase(session, under('entrypoint').filter((c) => c.placement !== 'static'), results, timeoutSeconds, mainJudged) : undefined,
      launches.includes('kyma') ? judged.then(() => runKymaPhase(session, under('kyma').filter((c) => c.placement !== 'static'), CONTRACT_CHECKS, results, strict, timeoutSeconds)) : undefined,
    ]);
    if (startup) summary.launches.entrypoint = { readyMs: startup.readyMs, port: undefined };
    summary.readyMs = startup?.readyMs;
    if (kyma) summary.launches.kyma = kyma;
  } finally {
    kept = await session.close();
  }
  summary.results = selected.map((clause: Clause) => results.get(launchOf(clause), clause.id)).filter((result): result is CheckResult => result !== undefined);
  summary.totalMs = Date.now() - started;
  if (options.keep) summary.kept = kept;
  return summary;
}
