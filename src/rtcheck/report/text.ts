// The human report: one line per clause, then for each failure or warning what was sent, what came
// back, the container's last lines and a hint.
import { clauseById } from '../clauses.js';
import { type CheckResult, type RunSummary, countResults } from '../result.js';

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

function indent(text: string, prefix = '      '): string {
  return text.replace(/\n+$/, '').replace(/^/gm, prefix);
}

export function resultLine(result: CheckResult, width: number): string {
  const time = result.status === 'skip' && result.ms === 0 ? '' : ` (${result.ms} ms)`;
  return `${LABEL[result.status]}  ${result.clause.padEnd(width)}  ${result.level.padEnd(6)}  ${result.message}${time}`;
}

export function details(result: CheckResult): string {
  const lines = [`--- ${result.clause} (${result.level}) ${clauseById(result.clause)?.text ?? ''}`, `    ${result.message}`];
  const evidence = result.evidence ?? {};
  if (evidence.request) lines.push('    sent:', indent(evidence.request));
  if (evidence.response) lines.push('    got:', indent(evidence.response));
  if (evidence.logTail) lines.push('    container log (last lines):', indent(evidence.logTail));
  if (result.hint) lines.push(`    hint: ${result.hint}`);
  return lines.join('\n');
}

export function renderText(summary: RunSummary): string {
  const width = Math.max(12, ...summary.results.map((r) => r.clause.length));
  const counts = countResults(summary.results);
  const ready = summary.readyMs === undefined ? '' : `, ready in ${summary.readyMs} ms`;
  const out = [`rtcheck ${summary.image} (runtime ${summary.runtime ?? 'unknown'}${ready})`, ''];
  out.push(...summary.results.map((result) => resultLine(result, width)));
  const problems = summary.results.filter((r) => r.status === 'fail' || r.status === 'warn');
  if (problems.length > 0) out.push('', ...problems.map(details));
  out.push(
    '',
    `${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warnings, ${counts.skip} skipped in ${(summary.totalMs / 1000).toFixed(1)} s${summary.strict ? ' (--strict)' : ''}`,
  );
  return `${out.join('\n')}\n`;
}
