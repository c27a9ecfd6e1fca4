// JUnit XML for CI: one testcase per clause; fail → <failure>, warn → passes with the warning in
// <system-out>, skip → <skipped>.
import { clauseById } from '../clauses.js';
import { type CheckResult, type RunSummary, countResults } from '../result.js';
import { details } from './text.js';

/** Text fit for XML attributes and content: the five entities, and no characters XML 1.0 forbids. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function testcase(result: CheckResult): string {
  const group = `${clauseById(result.clause)?.group ?? 'other'}${result.launch === 'kyma' && clauseById(result.clause)?.section !== 11 ? '.kyma' : ''}`;
  const open = `    <testcase classname="rtcheck.${group}" name="${xmlEscape(result.clause)}" time="${(result.ms / 1000).toFixed(3)}"`;
  switch (result.status) {
    case 'pass':
      return `${open}/>`;
    case 'skip':
    case 'blocked':
      return `${open}>\n      <skipped message="${xmlEscape(result.message)}"/>\n    </testcase>`;
    case 'warn':
      return `${open}>\n      <system-out>${xmlEscape(`warning (SHOULD): ${details(result)}`)}</system-out>\n    </testcase>`;
    case 'fail':
      return `${open}>\n      <failure message="${xmlEscape(result.message)}" type="${result.level}">${xmlEscape(details(result))}</failure>\n    </testcase>`;
  }
}

export function renderJunit(summary: RunSummary): string {
  const counts = countResults(summary.results);
  const name = xmlEscape(`rtcheck ${summary.image}`);
  const attrs = `tests="${summary.results.length}" failures="${counts.fail}" errors="0" skipped="${counts.skip + counts.blocked}" time="${(summary.totalMs / 1000).toFixed(3)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" ${attrs}>`,
    `  <testsuite name="${name}" ${attrs}>`,
    ...summary.results.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
