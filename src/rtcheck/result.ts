// What a check produces: a plain value that every reporter renders the same way, and the one rule
// that turns a list of results into an exit code.
import type { Level } from './clauses.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip';

/** What was sent, what came back and what the container said: enough to act on without re-running. */
export interface Evidence {
  request?: string;
  response?: string;
  logTail?: string;
}

/** What a check decides; the runner adds clause, level and time. */
export interface Outcome {
  status: 'pass' | 'fail' | 'skip';
  /** One line: what was seen (on pass) or what is wrong (on fail) or why it was not checked (on skip). */
  message: string;
  evidence?: Evidence;
  hint?: string;
}

export interface CheckResult {
  clause: string;
  level: Level;
  /** A failed SHOULD is reported as "warn" (or "fail" with --strict). */
  status: Status;
  ms: number;
  message: string;
  evidence?: Evidence;
  hint?: string;
}

export interface RunSummary {
  image: string;
  runtime: string | undefined;
  /** Milliseconds from start to the first healthy /healthz of the main subject container. */
  readyMs: number | undefined;
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
}

export function countResults(results: readonly CheckResult[]): Counts {
  const counts: Counts = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/** 0 when nothing failed (skips and warnings do not fail a run), 1 otherwise. */
export function exitCodeForResults(results: readonly CheckResult[]): 0 | 1 {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
