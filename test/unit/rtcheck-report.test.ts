// rtcheck's results → exit code, and the text, JSON and JUnit renderers of the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderJson } from '../../src/rtcheck/report/json.js';
import { renderJunit, xmlEscape } from '../../src/rtcheck/report/junit.js';
import { renderText } from '../../src/rtcheck/report/text.js';
import { type CheckResult, type RunSummary, exitCodeForResults, statusFor } from '../../src/rtcheck/result.js';

const passed: CheckResult = { clause: 'IMG-USER', level: 'MUST', launch: 'entrypoint', status: 'pass', ms: 1, message: 'user 1000 is numeric and not root' };
const failed: CheckResult = {
  clause: 'HTTP-LIMIT',
  level: 'MUST',
  launch: 'entrypoint',
  status: 'fail',
  ms: 120,
  message: '1.5 MB of text/plain: expected status 413, got 200',
  evidence: { request: 'POST /rtcheck-limit-x\ncontent-type: text/plain', response: '200 (3 ms)\n\n<oops & "quotes">', logTail: '[stderr]\nboom \u0000 \u001b[31m' },
  hint: 'check the size of every body',
};
const warned: CheckResult = { clause: 'IMG-PORT-EXPOSE', level: 'SHOULD', launch: 'entrypoint', status: 'warn', ms: 0, message: 'exposes no port, not 8080/tcp', hint: 'add `EXPOSE 8080`' };
const skipped: CheckResult = { clause: 'LC-LOG', level: 'SHOULD', launch: 'entrypoint', status: 'skip', ms: 0, message: 'skipped by --quick' };

function summary(results: CheckResult[]): RunSummary {
  return { image: 'rt/nodejs20:dev', runtime: 'nodejs20', readyMs: 420, launches: { entrypoint: { readyMs: 420, port: undefined } }, totalMs: 4321, strict: false, results };
}

test('exit code: 0 when nothing failed (warnings and skips do not fail), 1 when a clause failed', () => {
  assert.equal(exitCodeForResults([passed, warned, skipped]), 0);
  assert.equal(exitCodeForResults([passed, failed]), 1);
  assert.equal(exitCodeForResults([]), 0);
});

test('a failed SHOULD is a warning, and a failure with --strict; a failed MUST always fails', () => {
  assert.equal(statusFor('fail', 'SHOULD', false), 'warn');
  assert.equal(statusFor('fail', 'SHOULD', true), 'fail');
  assert.equal(statusFor('fail', 'MUST', false), 'fail');
  assert.equal(statusFor('pass', 'SHOULD', true), 'pass');
  assert.equal(statusFor('skip', 'MUST', true), 'skip');
});

test('text: one line per clause; each failure shows what was sent, what came back, the log tail and a hint', () => {
  const text = renderText(summary([passed, failed, warned, skipped]));
  const lines = text.split('\n');
  assert.match(lines[0]!, /^rtcheck rt\/nodejs20:dev \(runtime nodejs20\)$/);
  assert.match(text, /^The image's own entrypoint .*, ready in 420 ms$/m);
  assert.ok(lines.some((l) => /^PASS {2}IMG-USER .* MUST .*\(1 ms\)$/.test(l)));
  assert.ok(lines.some((l) => /^FAIL {2}HTTP-LIMIT .*expected status 413, got 200 \(120 ms\)$/.test(l)));
  assert.ok(lines.some((l) => /^WARN {2}IMG-PORT-EXPOSE/.test(l)));
  assert.ok(lines.some((l) => /^SKIP {2}LC-LOG .*skipped by --quick$/.test(l)));
  assert.match(text, /--- HTTP-LIMIT \(MUST\)[\s\S]*sent:\n {6}POST \/rtcheck-limit-x[\s\S]*got:\n {6}200 \(3 ms\)[\s\S]*container log \(last lines\):\n {6}\[stderr\][\s\S]*hint: check the size of every body/);
  assert.match(text, /--- IMG-PORT-EXPOSE \(SHOULD\)[\s\S]*hint: add `EXPOSE 8080`/);
  assert.doesNotMatch(text, /--- IMG-USER|--- LC-LOG/);
  assert.match(text, /1 passed, 1 failed, 1 warnings, 1 skipped in 4\.3 s\n$/);
});

test('JSON: the summary with counts and the exit code', () => {
  const parsed = JSON.parse(renderJson(summary([passed, failed]))) as { counts: Record<string, number>; exitCode: number; results: CheckResult[] };
  assert.deepEqual(parsed.counts, { pass: 1, fail: 1, warn: 0, skip: 0, blocked: 0 });
  assert.equal(parsed.exitCode, 1);
  assert.deepEqual(parsed.results[1], failed);
});

test('JUnit: one testcase per clause; failure, skipped and warning elements; counts on the suite', () => {
  const xml = renderJunit(summary([passed, failed, warned, skipped]));
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
  assert.equal(xml.match(/<testcase /g)?.length, 4);
  assert.match(xml, /<testsuite name="rtcheck rt\/nodejs20:dev" tests="4" failures="1" errors="0" skipped="1" time="4\.321">/);
  assert.match(xml, /<testcase classname="rtcheck\.image" name="IMG-USER" time="0\.001"\/>/);
  assert.match(xml, /<testcase classname="rtcheck\.http" name="HTTP-LIMIT" time="0\.120">\n {6}<failure message="1\.5 MB of text\/plain: expected status 413, got 200" type="MUST">/);
  assert.match(xml, /<skipped message="skipped by --quick"\/>/);
  assert.match(xml, /<system-out>warning \(SHOULD\): /);
});

test('JUnit escaping: markup, quotes and characters XML forbids cannot break the document', () => {
  assert.equal(xmlEscape(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  assert.equal(xmlEscape('nul\u0000 esc\u001b tab\tok'), 'nul\uFFFD esc\uFFFD tab\tok');
  const xml = renderJunit(summary([failed]));
  assert.ok(xml.includes('&lt;oops &amp; &quot;quotes&quot;&gt;'));
  const forbidden = [...xml].filter((ch) => ch.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(ch));
  assert.deepEqual(forbidden, []);
  // Every element opened is closed: a crude well-formedness check without an XML parser.
  const opened = xml.match(/<(testsuites|testsuite|testcase|failure|system-out)[ >]/g)?.length ?? 0;
  const closed = (xml.match(/<\/(testsuites|testsuite|testcase|failure|system-out)>/g)?.length ?? 0) + (xml.match(/<testcase [^>]*\/>/g)?.length ?? 0);
  assert.equal(opened, closed);
});
