// Testing the tester: rtcheck against its own fixture runtimes on the real engine. The reference
// runtime passes every clause rtcheck checks, under both launches; each broken variant fails (or warns
// on) exactly the clauses its expect.json names, under the launches it names.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { runConformance } from '../../src/rtcheck/runner.js';
import { type RunSummary, exitCodeForResults } from '../../src/rtcheck/result.js';
import { renderText } from '../../src/rtcheck/report/text.js';
import { CLAUSES, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';
import type { Engine } from '../../src/engine/index.js';
import { baseImage, testEngine } from '../support/engine.js';
import { brokenFixtures, fixtureExpectation, fixtureImage } from '../support/rtcheck.js';

function withStatus(summary: RunSummary, status: string): string[] {
  return summary.results.filter((r) => r.status === status).map((r) => r.clause).sort();
}

// Read before the tests are declared: one test per fixture folder.
const broken = await Promise.all((await brokenFixtures()).map(async (name) => ({ name, expectation: await fixtureExpectation(name) })));

describe('rtcheck against its fixture runtimes', () => {
  let engine: Engine;
  before(async () => {
    engine = await testEngine();
  });

  async function check(fixture: string, options: { strict?: boolean; only?: string } = {}): Promise<RunSummary> {
    const expectation = await fixtureExpectation(fixture);
    const image = await fixtureImage(engine, fixture, baseImage('node'));
    return runConformance({ engine, image, timeoutSeconds: 120, launches: expectation.launches, ...(expectation.runtime ? { runtime: expectation.runtime } : {}), ...options });
  }

  test('the reference runtime passes every clause rtcheck checks under both launches (exit 0)', async () => {
    const summary = await check('good');
    const report = renderText(summary);
    assert.deepEqual(withStatus(summary, 'fail'), [], report);
    assert.deepEqual(withStatus(summary, 'warn'), [], report);
    assert.deepEqual(withStatus(summary, 'skip'), [], report);
    assert.deepEqual(withStatus(summary, 'blocked'), [], report);
    assert.equal(summary.results.length, CLAUSES.filter((c) => RTCHECK_SECTIONS.includes(c.section)).length, 'every clause of sections 1–9 and 11 is checked');
    const contract = summary.results.find((r) => r.clause === 'KB-CONTRACT');
    assert.ok((contract?.parts?.length ?? 0) >= 25, `KB-CONTRACT re-ran ${contract?.parts?.length} checks of sections 3–8`);
    assert.equal(typeof summary.readyMs, 'number');
    assert.equal(summary.launches.kyma?.port, 8080, report);
  });

  for (const { name: fixture, expectation } of broken) {
    const fails = expectation.fails;
    const warns = expectation.warns ?? [];
    const what = [...fails.map((c) => `fails ${c}`), ...warns.map((c) => `warns on ${c}`)].join(' and ');
    // A fixture that breaks nothing (slow-first-emit: a correct runtime, slow once) must pass every clause.
    const name = what
      ? `${[...fails, ...warns].join(' + ')}: the ${fixture} runtime ${what}`
      : `${(expectation.proves ?? []).join(' + ')}: the ${fixture} runtime passes every clause`;
    test(`${name} (${expectation.launches.join(', ')})`, async (t) => {
      const summary = await check(fixture);
      const report = renderText(summary);
      const port = summary.results.find((r) => r.clause === 'HTTP-PORT');
      // rtcheck does not assess HTTP-PORT while something else on this machine holds 127.0.0.1:8080;
      // the skip carries rtcheck's own reason.
      if (fails.includes('HTTP-PORT') && port?.status === 'skip') return t.skip(port.message);
      assert.deepEqual(withStatus(summary, 'fail'), [...fails].sort(), report);
      assert.deepEqual(withStatus(summary, 'warn'), [...warns].sort(), report);
      assert.equal(exitCodeForResults(summary.results), fails.length > 0 ? 1 : 0);
      if (expectation.says) {
        const first = summary.results.find((r) => r.clause === (fails[0] ?? warns[0]));
        assert.match(first?.message ?? '', new RegExp(expectation.says), report);
      }
      // A hint on every failure and warning.
      for (const result of summary.results.filter((r) => r.status === 'fail' || r.status === 'warn')) {
        assert.ok(result.hint, `${result.clause} carries a hint`);
      }
      // Root cause first: the clauses that cannot be judged because another failed say "blocked by" it
      // instead of failing one by one with their own message.
      assert.deepEqual(withStatus(summary, 'blocked'), [...(expectation.blocked ?? [])].sort(), report);
    });
  }

  test('HTTP-METRICS: a failed SHOULD is a failure with --strict', async () => {
    const strict = await check('no-metrics', { strict: true, only: 'http' });
    assert.deepEqual(withStatus(strict, 'fail'), ['HTTP-METRICS'], renderText(strict));
    assert.equal(exitCodeForResults(strict.results), 1);
  });
});
