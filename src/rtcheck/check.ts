// What a check is and what it may use. A check cites one clause, says where it runs (the image config
// alone, the long-lived main subject, or a short container of its own) and returns an Outcome.
import type { RuntimeFamily } from '../platform/runtimes.js';
import type { ImageInfo } from '../engine/index.js';
import { type Exchange, type Request, describeRequest, describeResponse, parseJson } from '../platform/exchange.js';
import type { Peers } from './peers/index.js';
import type { Evidence, Outcome } from './result.js';
import { fail, pass } from './result.js';
import type { Readiness, Subject } from './subject.js';

export type RuntimeId = 'nodejs20' | 'python312';

export interface RuntimeInfo {
  id: RuntimeId;
  /** Also the folder of its probes: src/rtcheck/probes/<family>/. */
  family: RuntimeFamily;
  /** The module file the runtime must load, as copied into the volume. */
  moduleFile: string;
}

/** How the main subject came up; LOAD-READY and IMG-RESTRICTED judge it. */
export interface Startup {
  ready: boolean;
  readyMs: number | undefined;
  /** Whether the serving subject runs under the restricted profile (false after a fallback). */
  restricted: boolean;
  /** The first invocation, sent right after the first healthy /healthz. */
  first: Exchange | undefined;
  /** Why the restricted start failed (when it did), with the container's last log lines. */
  restrictedFailure: { reason: string; logTail: string } | undefined;
  /** Why no subject became ready at all. */
  failure: { reason: string; logTail: string } | undefined;
}

export interface LaunchOptions {
  /** A probe folder under src/rtcheck/probes/<runtime>/, default "main". */
  probe?: string;
  env?: Record<string, string>;
  /** Platform variables this container does not get (e.g. PUBLISHER_PROXY_ADDRESS). */
  unsetEnv?: string[];
  /** Listen on 8080: FUNC_PORT is not set. */
  defaultPort?: boolean;
  volume?: string;
  user?: string;
}

export interface CheckContext {
  imageRef: string;
  image: ImageInfo;
  runtime: RuntimeInfo;
  /** The env the platform gives the main subject. */
  env: Record<string, string>;
  startup: Startup;
  /** The serving main subject; only "main" checks use it, and only once it is ready. */
  subject: Subject;
  peers: Peers;
  /** Starts a short container of the image with the same platform settings and overrides; removed by the runner. */
  launch(role: string, options?: LaunchOptions): Promise<Subject>;
  /** Healthy /healthz, then the function answering (a runtime healthy too early fails LOAD-READY only). */
  waitReady(subject: Subject, timeoutMs?: number): Promise<Readiness>;
  /** Milliseconds left before the global deadline. */
  remainingMs(): number;
}

export type Placement = 'static' | 'startup' | 'main' | 'own';

export interface Check {
  clause: string;
  /** static: image config only; startup: judges how the main subject came up; main: requests to it; own: its own container. */
  placement: Placement;
  /** Runs under --quick. */
  quick?: boolean;
  run(ctx: CheckContext): Promise<Outcome> | Outcome;
}

/** Evidence of one exchange plus the subject's last log lines. */
export async function evidenceOf(exchange: Exchange | undefined, subject?: Subject): Promise<Evidence> {
  const evidence: Evidence = {};
  if (exchange) {
    evidence.request = describeRequest(exchange.request);
    evidence.response = describeResponse(exchange);
  }
  if (subject) evidence.logTail = await subject.logTail();
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
    const logs = await subject.container.logs();
    if (wanted(logs) || Date.now() >= until) return logs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
