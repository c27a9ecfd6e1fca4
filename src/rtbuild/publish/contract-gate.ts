// The gate of `rtbuild base`: the image must keep the runtime contract, as the rtcheck suite finds
// (every MUST clause; with strict, SHOULD clauses too), before it is published under any name.
import type { Engine } from '../../engine/index.js';
import { ContractFailedError } from '../../errors.js';
import { type Reference, formatReference } from '../../image/reference.js';
import type { Gate } from './gated.js';

/**
 * The rtcheck suite (checks, peers, probes), loaded when a gate first runs: building a function
 * image never needs it, so `rtbuild` without `base` does not load it.
 */
async function rtcheck() {
  const [{ runConformance }, { renderText }, { renderJson }, { countResults, exitCodeForResults }] = await Promise.all([
    import('../../rtcheck/runner.js'),
    import('../../rtcheck/report/text.js'),
    import('../../rtcheck/report/json.js'),
    import('../../rtcheck/result.js'),
  ]);
  return { runConformance, renderText, renderJson, countResults, exitCodeForResults };
}

export interface ContractVerdict {
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
  ms: number;
  /** rtcheck's JSON report of the run (what `rtcheck IMAGE --json` prints). */
  report: unknown;
}

export interface ContractGateOptions {
  engine: Engine;
  /** The runtime id; undefined: rtcheck reads FUNC_RUNTIME of the image. */
  runtime: string | undefined;
  strict: boolean;
  report: (line: string) => void;
}

export interface ContractGate {
  gate: Gate;
  /** The verdict of the last check, once one ran. */
  verdict(): ContractVerdict | undefined;
}

export function contractGate(options: ContractGateOptions): ContractGate {
  let last: ContractVerdict | undefined;
  const gate: Gate = async (image, reference: Reference) => {
    const name = formatReference(reference);
    options.report(`rtbuild base: checking ${name} against the runtime contract (rtcheck)`);
    const started = Date.now();
    const { runConformance, renderText, renderJson, countResults, exitCodeForResults } = await rtcheck();
    const summary = await runConformance({
      engine: options.engine,
      image: image.id,
      // The report's header names what is checked: the tag (the image has no name yet; its id is in the hint).
      label: name,
      ...(options.runtime ? { runtime: options.runtime } : {}),
      strict: options.strict,
      log: () => {},
    });
    options.report(renderText(summary).trimEnd());
    const counts = countResults(summary.results);
    last = { passed: counts.pass, failed: counts.fail, warned: counts.warn, skipped: counts.skip, ms: Date.now() - started, report: JSON.parse(renderJson(summary)) as unknown };
    if (exitCodeForResults(summary.results) !== 0) {
      const failed = summary.results.filter((r) => r.status === 'fail').map((r) => r.clause);
      throw new ContractFailedError(`${name} does not keep the runtime contract (failed: ${failed.join(', ')}); it was not pushed`, {
        // The image has no name yet (nothing was published): its id is how to find it again.
        hint: `fix the clauses listed in the report above; rtcheck ${image.id} shows the same report`,
      });
    }
  };
  return { gate, verdict: () => last };
}
