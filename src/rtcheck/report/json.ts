// The machine report: the run summary as it is, plus the counts and the exit code it leads to.
import { type RunSummary, countResults, exitCodeForResults } from '../result.js';

export function renderJson(summary: RunSummary): string {
  return `${JSON.stringify({ ...summary, counts: countResults(summary.results), exitCode: exitCodeForResults(summary.results) }, null, 2)}\n`;
}
