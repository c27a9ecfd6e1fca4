// The human report: results grouped by launch (the image's own entrypoint, Kyma's buildless launch),
// one line per clause, then for each failure or warning what was sent, what came back, the container's
// last lines and a hint. KB-CONTRACT's re-run checks show under it when they fail or warn.
import { clauseById } from '../clauses.js';
import { type CheckResult, type RunSummary, countResults } from '../result.js';

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP', blocked: 'BLKD' };

function indent(text: string, prefix = '      '): string {
  return text.replace(/\n+$/, '').replace(/^/gm, prefix);
}

export function resultLine(result: CheckResult, width: number): string {
  const time = (result.status === 'skip' || result.status === 'blocked') && result.ms === 0 ? '' : ` (${result.ms} ms)`;
  return `${LABEL[result.status]}  ${result.clause.padEnd(width)}  ${result.level.padEnd(6)}  ${result.message}${time}`;
}

function problems(results: readonly CheckResult[]): CheckResult[] {
  return results.filter((r) => r.status === 'fail' || r.status === 'warn');
}

export function details(result: CheckResult): string {
  const where = result.launch === 'kyma' && clauseById(result.clause)?.section !== 11 ? ", under Kyma's launch" : '';
  const lines = [`--- ${result.clause} (${result.level}${where}) ${clauseById(result.clause)?.text ?? ''}`, `    ${result.message}`];
  const evidence = result.evidence ?? {};
  if (evidence.request) lines.push('    sent:', indent(evidence.request));
  if (evidence.response) lines.push('    got:', indent(evidence.response));
  // "From this request on": other requests ran beside it, and a line of theirs may fall in between.
  if (evidence.logTail) lines.push(evidence.logScope === 'request' ? '    container log (from this request on):' : '    container log (last lines):', indent(evidence.logTail));
  if (result.hint) lines.push(`    hint: ${result.hint}`);
  for (const part of problems(result.parts ?? [])) lines.push(indent(details(part), '  '));
  return lines.join('\n');
}

function heading(summary: RunSummary, launch: 'entrypoint' | 'kyma'): string {
  const facts = summary.launches[launch];
  const ready = facts?.readyMs === undefined ? '' : `, ready in ${facts.readyMs} ms`;
  if (launch === 'entrypoint') return `The image's own entrypoint (sources in $KUBELESS_INSTALL_VOLUME; sections 1–9)${ready}`;
  const port = facts?.port === undefined ? '' : `, port ${facts.port}`;
  const lines = [`Kyma's buildless launch (section 11; emulating ${facts?.emulates ?? "Kyma's controller"})${port}${ready}`];
  if (facts?.portNote) lines.push(`  note: ${facts.portNote}`);
  return lines.join('\n');
}

export function renderText(summary: RunSummary): string {
  const width = Math.max(12, ...summary.results.map((r) => r.clause.length));
  const counts = countResults(summary.results);
  const out = [`rtcheck ${summary.image} (runtime ${summary.runtime ?? 'unknown'})`];
  for (const launch of ['entrypoint', 'kyma'] as const) {
    const mine = summary.results.filter((r) => r.launch === launch);
    if (mine.length === 0) continue;
    out.push('', heading(summary, launch), ...mine.map((result) => resultLine(result, width)));
  }
  const shown = problems(summary.results);
  if (shown.length > 0) out.push('', ...shown.map(details));
  const blockedCount = counts.blocked ? `, ${counts.blocked} blocked` : '';
  out.push(
    '',
    `${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warnings, ${counts.skip} skipped${blockedCount} in ${(summary.totalMs / 1000).toFixed(1)} s${summary.strict ? ' (--strict)' : ''}`,
  );
  return `${out.join('\n')}\n`;
}
