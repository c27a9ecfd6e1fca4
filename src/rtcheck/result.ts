// What a check produces: a plain value that every reporter renders the same way, and the one rule
// that turns a list of results into an exit code.
import type { ClauseId, Level } from './clauses.js';
import type { LaunchKind } from '../platform/function-container.js';

/**
 * blocked: not assessed because a clause it depends on failed (the report names that root cause,
 * KB-LAUNCH say, instead of failing every dependent with its own message).
 */
export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'blocked';

/** What was sent, what came back and what the container said: enough to act on without re-running. */
export interface Evidence {
  request?: string;
  response?: string;
  logTail?: string;
  /** "request": logTail holds the log lines of the request shown; otherwise the container's last lines. */
  logScope?: 'request';
}

/** What a check decides; the runner adds clause, level and time. */
export interface Outcome {
  status: 'pass' | 'fail' | 'skip' | 'blocked';
  /** One line: what was seen (on pass) or what is wrong (on fail) or why it was not checked (on skip). */
  message: string;
  evidence?: Evidence;
  hint?: string;
  /** KB-CONTRACT: the results of the checks it re-ran. */
  parts?: CheckResult[];
}

export interface CheckResult {
  clause: ClauseId;
  level: Level;
  /** The launch the clause was judged under: sections 1–9 the image's own entrypoint, section 11 Kyma's. */
  launch: LaunchKind;
  /** A failed SHOULD is reported as "warn" (or "fail" with --strict). */
  status: Status;
  ms: number;
  message: string;
  evidence?: Evidence;
  hint?: string;
  /** KB-CONTRACT: the checks of sections 3–8 re-run under Kyma's launch, one result each. */
  parts?: CheckResult[];
}

/** How one launch came up in a run (for the report header). */
export interface LaunchSummary {
  /** Milliseconds from start to the first healthy /healthz of its main container. */
  readyMs: number | undefined;
  /** The port its containers were reached on. */
  port: number | undefined;
  /** What the report must say about that port (e.g. FUNC_PORT used because 8080 was taken). */
  portNote?: string;
  /** Kyma's launch: the controller revision emulated. */
  emulates?: string;
}

export interface RunSummary {
  image: string;
  runtime: string | undefined;
  /** Milliseconds from start to the first healthy /healthz of the main container of the image's own entrypoint. */
  readyMs: number | undefined;
  launches: Partial<Record<LaunchKind, LaunchSummary>>;
  totalMs: number;
  strict: boolean;
  results: CheckResult[];
  /** Ids of the containers left behind with --keep. */
  kept?: string[];
}

export function pass(message: string): Outcome {
  return { status: 'pass', message };
}

export function skip(message: string): Outcome {
  return { status: 'skip', message };
}

export function blocked(by: readonly string[]): Outcome {
  return { status: 'blocked', message: `blocked by ${by.join(', ')} (see there)` };
}

export function fail(message: string, evidence: Evidence = {}, hint?: string): Outcome {
  return { status: 'fail', message, evidence, ...(hint ? { hint } : {}) };
}

/** A failed SHOULD becomes a warning unless `strict`. */
export function statusFor(outcome: Outcome['status'], level: Level, strict: boolean): Status {
  if (outcome === 'fail' && level === 'SHOULD' && !strict) return 'warn';
  return outcome;
}

export interface Counts {
  pass: number;
  fail: number;
  warn: number;
  skip: number;
  blocked: number;
}

export function countResults(results: readonly CheckResult[]): Counts {
  const counts: Counts = { pass: 0, fail: 0, warn: 0, skip: 0, blocked: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/** 0 when nothing failed (skips and warnings do not fail a run), 1 otherwise. */
export function exitCodeForResults(results: readonly CheckResult[]): 0 | 1 {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
