// What a check is and what it may use. A check cites one clause (a typed ClauseId), says under which
// launch it runs and where (the image config alone, how the main container came up, requests to the
// long-lived main container, or containers of its own), which clauses it needs to have passed, and
// returns an Outcome. Checks are data; the runner decides when and where they run.
import type { ImageInfo } from '../engine/index.js';
import { type Exchange, type Request, describeRequest, describeResponse, parseJson } from '../platform/exchange.js';
import type { FunctionContainer, LaunchKind, Readiness, RegistryConfig } from '../platform/function-container.js';
import type { KymaFunction, KymaSource } from '../platform/kyma.js';
import type { FunctionResource } from '../platform/function-resource.js';
import type { ArchiveEntry } from '../image/archive.js';
import type { Family, Runtime, RuntimeFamily } from '../platform/runtimes.js';
import type { ClauseId } from './clauses.js';
import type { Peers } from './peers/index.js';
import type { CheckResult, Evidence, Outcome } from './result.js';
import { fail, pass } from './result.js';

/** A function container rtcheck started; checks call it, read its logs and judge it. */
export type Subject = FunctionContainer;

export interface RuntimeInfo {
  id: string;
  /** Also the folder of its probes: src/rtcheck/probes/<family>/. */
  family: RuntimeFamily;
  facts: Family;
  runtime: Runtime;
  /** The module file the runtime must load, as copied into the volume. */
  moduleFile: string;
}

/** How the main container of a launch came up; LOAD-READY, IMG-RESTRICTED and KB-LAUNCH judge it. */
export interface Startup {
  ready: boolean;
  readyMs: number | undefined;
  /** Whether the serving main container runs under the restricted profile (false after a fallback). */
  restricted: boolean;
  /** The first invocation, sent right after the first healthy /healthz. */
  first: Exchange | undefined;
  /** Why the restricted start failed (when it did), with the container's last log lines. */
  restrictedFailure: { reason: string; logTail: string } | undefined;
  /** Why no main container became ready at all. */
  failure: { reason: string; logTail: string; exitCode?: number } | undefined;
  /** The status /healthz answered while the function itself served (HTTP-HEALTH fails; readiness is judged by the function). */
  healthzBroken: number | undefined;
}

/** A probe route every probe serves: what readiness falls back to when /healthz is broken. */
export const PROBE_READY_PATH = '/value/string';

export interface LaunchOptions {
  /** A probe folder under src/rtcheck/probes/<family>/, default "main". */
  probe?: string;
  env?: Record<string, string>;
  /** Platform variables this container does not get (e.g. PUBLISHER_PROXY_ADDRESS). */
  unsetEnv?: string[];
  /** Listen on 8080: FUNC_PORT is not set. */
  defaultPort?: boolean;
  volume?: string;
  user?: string;
}

/** What starting a container as Kyma's controller does takes (the port is the run's). */
export interface KymaStart {
  source: KymaSource;
  gitSources?: readonly ArchiveEntry[];
  registryConfig: RegistryConfig;
  /** More variables of the Function (spec.env), after rtcheck's own. */
  env?: Record<string, string>;
}

/** What checks of Kyma's launch (section 11) may use beyond the main container. */
export interface KymaTools {
  /** Starts one more container as the controller does, on the launch's port, after the main one is gone. */
  start(role: string, start: KymaStart): Promise<Subject>;
  /** KB-CONTRACT: the checks of sections 3–8 against the main container, one result each. */
  rerunContract(): Promise<CheckResult[]>;
  /** The startup probe's budget: 30 × 5 s. */
  readonly startupBudgetMs: number;
  /** Looks at the image as the launch needs it (what is missing: sh, npm, the start script, …). */
  diagnose(): Promise<string[]>;
}

export interface CheckContext {
  imageRef: string;
  image: ImageInfo;
  runtime: RuntimeInfo;
  /** The launch the check runs under. */
  launchKind: LaunchKind;
  /** The env the platform gives the main container's function (FUNC_NAME, FUNC_TIMEOUT, …). */
  env: Record<string, string>;
  startup: Startup;
  /** The serving main container; only "main" checks use it, and only once it is ready. */
  subject: Subject;
  /** The peers as this launch's containers see them (their own publisher path). */
  peers: Peers;
  /**
   * Starts a short container of the image under the image's own entrypoint with the platform settings
   * and overrides; removed by the runner. Undefined where a check runs again under Kyma's launch
   * (KB-CONTRACT): the parts that need a container of their own run under the own entrypoint only.
   */
  launch: ((role: string, options?: LaunchOptions) => Promise<Subject>) | undefined;
  /** Healthy /healthz, then the function answering (a runtime healthy too early fails LOAD-READY only). */
  waitReady(subject: Subject, timeoutMs?: number): Promise<Readiness>;
  /** Milliseconds left before the global deadline. */
  remainingMs(): number;
  /** Progress for --verbose. */
  log(line: string): void;
  /** Under Kyma's launch only. */
  kyma?: KymaTools;
  /** With --function: the Function resource that runs the image on Kyma (section 12). */
  fn?: { resource: FunctionResource; kyma: KymaFunction };
}

export type Placement = 'static' | 'startup' | 'main' | 'final' | 'own';

export interface Check {
  clause: ClauseId;
  /**
   * static: image config only; startup: judges how the main container came up; main: requests to it;
   * final: ends the main container (after every main check); own: containers of its own.
   */
  placement: Placement;
  /** The launch it runs under; default: the image's own entrypoint (sections 1–9). */
  launch?: LaunchKind;
  /** Clauses whose failure makes this one impossible to judge: then it is "blocked by" them. */
  needs?: readonly ClauseId[];
  /**
   * Needs a runtime that comes up at all: when the launch's main container never became ready, it is
   * "blocked by" that launch's start-up clause (LOAD-READY) rather than failing for the same reason.
   */
  needsRunning?: boolean;
  /** Runs under --quick. */
  quick?: boolean;
  run(ctx: CheckContext): Promise<Outcome> | Outcome;
}

/** Starts a container of its own, or says why this check cannot here (KB-CONTRACT re-runs). */
export function launcher(ctx: CheckContext): (role: string, options?: LaunchOptions) => Promise<Subject> {
  if (!ctx.launch) throw new Error('containers of its own are started under the image\'s own entrypoint only');
  return ctx.launch;
}

/** Evidence of one exchange plus the container's log lines of that request (else its last lines). */
export async function evidenceOf(exchange: Exchange | undefined, subject?: Subject): Promise<Evidence> {
  const evidence: Evidence = {};
  if (exchange) {
    evidence.request = describeRequest(exchange.request);
    evidence.response = describeResponse(exchange);
  }
  if (subject) {
    const own = exchange ? await subject.logsFor(exchange.id) : undefined;
    evidence.logTail = own ?? (await subject.logTail());
    if (own !== undefined) evidence.logScope = 'request';
  }
  return evidence;
}

/** A failed outcome carrying the exchange and the log tail. */
export async function failure(message: string, exchange: Exchange | undefined, subject: Subject | undefined, hint?: string): Promise<Outcome> {
  return fail(message, await evidenceOf(exchange, subject), hint);
}

/** A path no other request uses, so the probe's call list shows whether this request reached user code. */
export function marker(name: string): string {
  return `/rtcheck-${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The paths user code was called with so far (the probe records them). */
export async function calledPaths(subject: Subject): Promise<string[]> {
  const answer = await subject.call({ path: '/__rtcheck/calls' });
  const list = parseJson(answer);
  return Array.isArray(list) ? list.map(String) : [];
}

/** What the echo route of the probe reports about one invocation. */
export interface Echo {
  data: { type: string; value?: unknown; base64?: string };
  ce: Record<string, string | null>;
  present: string[];
  tracer: string;
  attrData?: boolean;
  context: Record<string, unknown>;
  request: {
    method?: string;
    path?: string;
    query?: Record<string, unknown>;
    header?: string;
    /** The raw request body, base64 (Node: request.rawBody; Python: request.body). */
    rawBase64?: string | null;
    /** The parsed JSON body (Node: request.body; Python: request.json). */
    json?: unknown;
  } | null;
}

export function echoOf(exchange: Exchange): Echo | undefined {
  if (exchange.status !== 200) return undefined;
  const parsed = parseJson(exchange) as Echo | undefined;
  return parsed && typeof parsed === 'object' && 'data' in parsed && 'ce' in parsed ? parsed : undefined;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** One request and what must be true of its answer: undefined when it is, otherwise what is wrong. */
export interface Case {
  name: string;
  request: Request;
  expect(exchange: Exchange): string | undefined;
}

/** Sends the cases in order; the first answer that is wrong fails the check with its evidence. */
export async function runCases(subject: Subject, cases: readonly Case[], passMessage: string, hint?: string): Promise<Outcome> {
  for (const item of cases) {
    const exchange = await subject.call(item.request);
    const problem = exchange.status === undefined ? `no answer: ${exchange.error ?? ''}` : item.expect(exchange);
    if (problem !== undefined) return failure(`${item.name}: ${problem}`, exchange, subject, hint);
  }
  return pass(passMessage);
}

/** "expected 200, got 500" or undefined. */
export function statusIs(exchange: Exchange, status: number): string | undefined {
  return exchange.status === status ? undefined : `expected status ${status}, got ${exchange.status}`;
}

/** runCases, then fails when any of `uncalled` (path prefixes) reached user code: `what` names those requests. */
export async function runCasesUncalled(subject: Subject, cases: readonly Case[], uncalled: readonly string[], what: string, passMessage: string, hint?: string): Promise<Outcome> {
  const outcome = await runCases(subject, cases, passMessage, hint);
  return outcome.status === 'pass' ? ((await notCalled(subject, uncalled, what)) ?? outcome) : outcome;
}

/** Fails when any of `paths` reached user code. */
export async function notCalled(subject: Subject, paths: readonly string[], what: string): Promise<Outcome | undefined> {
  const called = await calledPaths(subject);
  const reached = paths.filter((path) => called.some((c) => c.startsWith(path)));
  if (reached.length === 0) return undefined;
  return fail(`${what} reached the function (user code was called for ${reached.join(', ')})`, { logTail: await subject.logTail() });
}

/**
 * The container's logs once `wanted` holds for them, or the last logs read after `timeoutMs`: the engine
 * copies container output asynchronously, so a line printed just before an answer may not be there yet.
 */
export async function logsWhen(subject: Subject, wanted: (logs: { stdout: string; stderr: string }) => boolean, timeoutMs = 2000): Promise<{ stdout: string; stderr: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const logs = await subject.logs();
    if (wanted(logs) || Date.now() >= until) return logs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
