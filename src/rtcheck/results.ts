// The results of one run as they come in, keyed by launch and clause, and the one way a check is run:
// against the global deadline, never throwing (a check that breaks is a failed check), and "blocked"
// when a clause it needs has failed.
import type { LaunchKind } from '../platform/function-container.js';
import type { Check, CheckContext } from './check.js';
import { type Clause, type ClauseId, clauseById } from './clauses.js';
import { clauseHint } from './hints.js';
import { bounded, printable } from '../platform/text.js';
import { type CheckResult, type Evidence, type Outcome, blocked, fail, statusFor } from './result.js';

/** What one result may keep: a noisy or hostile image must not make the report huge or binary. */
const MESSAGE_CHARS = 2000;
const EVIDENCE_CHARS = 8000;

function boundedEvidence(evidence: Evidence): Evidence {
  const cap = (text: string): string => printable(bounded(text, EVIDENCE_CHARS));
  return {
    ...(evidence.request !== undefined ? { request: cap(evidence.request) } : {}),
    ...(evidence.response !== undefined ? { response: cap(evidence.response) } : {}),
    ...(evidence.logTail !== undefined ? { logTail: cap(evidence.logTail) } : {}),
    ...(evidence.logScope ? { logScope: evidence.logScope } : {}),
  };
}

export class Results {
  private readonly byKey = new Map<string, CheckResult>();

  constructor(private readonly strict: boolean) {}

  private static key(launch: LaunchKind, clause: ClauseId): string {
    return `${launch}:${clause}`;
  }

  record(launch: LaunchKind, clause: Clause, outcome: Outcome, ms: number): CheckResult {
    // Every failure and warning says what to try: the check's own hint, else the clause's.
    const hint = outcome.status === 'fail' ? (outcome.hint ?? clauseHint(clause.id)) : outcome.hint;
    const result: CheckResult = {
      clause: clause.id,
      level: clause.level,
      launch,
      status: statusFor(outcome.status, clause.level, this.strict),
      ms,
      message: printable(bounded(outcome.message, MESSAGE_CHARS)),
      ...(outcome.evidence ? { evidence: boundedEvidence(outcome.evidence) } : {}),
      ...(hint ? { hint } : {}),
      ...(outcome.parts ? { parts: outcome.parts } : {}),
    };
    this.byKey.set(Results.key(launch, clause.id), result);
    return result;
  }

  get(launch: LaunchKind, clause: ClauseId): CheckResult | undefined {
    return this.byKey.get(Results.key(launch, clause));
  }

  /** The needed clauses that failed or were blocked themselves. */
  failedNeeds(launch: LaunchKind, needs: readonly ClauseId[]): ClauseId[] {
    return needs.filter((id) => {
      const status = this.get(launch, id)?.status;
      return status === 'fail' || status === 'blocked';
    });
  }
}

/** Runs one check under the global deadline; a check that throws or outlives the deadline fails. */
export async function runCheck(check: Check, ctx: CheckContext, timeoutSeconds: number): Promise<{ outcome: Outcome; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve(fail(`did not finish before the global deadline (--timeout ${timeoutSeconds} s)`)), ctx.remainingMs());
  });
  try {
    const outcome = await Promise.race([
      Promise.resolve()
        .then(() => check.run(ctx))
        .catch((error: unknown) => fail(`the check could not complete: ${error instanceof Error ? error.message : String(error)}`)),
      expired,
    ]);
    return { outcome, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `check` unless a clause it needs has failed (then it is blocked by that clause); records the result. */
export async function judge(results: Results, launch: LaunchKind, check: Check, ctx: () => CheckContext, timeoutSeconds: number): Promise<CheckResult> {
  const clause = clauseById(check.clause) as Clause;
  const roots = results.failedNeeds(launch, check.needs ?? []);
  if (roots.length > 0) return results.record(launch, clause, blocked(roots), 0);
  const { outcome, ms } = await runCheck(check, ctx(), timeoutSeconds);
  const result = results.record(launch, clause, outcome, ms);
  ctx().log(`${launch === 'kyma' ? "[kyma] " : ''}${clause.id}: ${result.status}`);
  return result;
}

/** Runs `work` over `items`, `size` at a time. */
export async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(size, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}
