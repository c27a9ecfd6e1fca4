// rtcheck's clause selection (--only / --skip) and the clause table against the spec.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLAUSES, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';
import { CHECKS } from '../../src/rtcheck/runner.js';
import { selectClauses } from '../../src/rtcheck/select.js';
import { InvalidInputError } from '../../src/errors.js';
import { clauseHint } from '../../src/rtcheck/hints.js';
import { Results } from '../../src/rtcheck/results.js';
import { fail, pass } from '../../src/rtcheck/result.js';

const ids = (selection: Parameters<typeof selectClauses>[0]): string[] => selectClauses(selection).map((c) => c.id);

test('no --only/--skip: every clause of sections 1–9 and 11, in contract order, none of sections 10 and 12', () => {
  const all = ids({});
  assert.equal(all[0], 'IMG-USER');
  assert.equal(all.at(-1), 'KB-TERM');
  assert.ok(!all.some((id) => id.startsWith('FIN-') || id.startsWith('OVR-')));
  assert.equal(all.length, CLAUSES.filter((c) => RTCHECK_SECTIONS.includes(c.section)).length);
});

test('--launch: one launch keeps only its clauses (sections 1–9 under the entrypoint, 11 under Kyma\'s launch)', () => {
  assert.equal(ids({ launches: ['entrypoint'] }).at(-1), 'LC-LOG');
  assert.deepEqual(ids({ launches: ['kyma'] }), ['KB-LAUNCH', 'KB-GIT', 'KB-DEPS', 'KB-CONTRACT', 'KB-PROBES', 'KB-TERM']);
  assert.deepEqual(ids({ only: 'kyma,LC-TERM', launches: ['entrypoint'] }), ['LC-TERM']);
});

test('--only takes ids and groups in any case, separated by commas or spaces', () => {
  assert.deepEqual(ids({ only: 'http-limit' }), ['HTTP-LIMIT']);
  assert.deepEqual(ids({ only: 'LC-TERM, image' }), ['IMG-USER', 'IMG-VOLUME', 'IMG-RUNTIME', 'IMG-SIGNALS', 'IMG-PORT-EXPOSE', 'IMG-RESTRICTED', 'IMG-ANYUID', 'LC-TERM']);
  assert.deepEqual(ids({ only: 'HTTP-LIMIT HTTP-BADJSON' }), ['HTTP-LIMIT', 'HTTP-BADJSON']);
});

test('--skip removes ids and groups, also from an --only selection', () => {
  const skipped = ids({ skip: 'tracing,LC-TERM' });
  assert.ok(!skipped.some((id) => id.startsWith('TR-')));
  assert.ok(!skipped.includes('LC-TERM'));
  assert.ok(skipped.includes('LC-LOG'));
  assert.deepEqual(ids({ only: 'lifecycle', skip: 'LC-LOG' }), ['LC-TERM']);
});

test('an unknown id or group, or one outside rtcheck (FIN-*), is an InvalidInputError naming it', () => {
  for (const token of ['HTTP-NOPE', 'network', 'FIN-BASE', 'final']) {
    assert.throws(() => selectClauses({ only: token }), (error: unknown) => error instanceof InvalidInputError && error.message.includes(token));
  }
  assert.throws(() => selectClauses({ skip: 'bogus' }), InvalidInputError);
});

test('clauses.ts has every clause of the contract with the same id, level and order (docs/CONTRACT.md)', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'CONTRACT.md'), 'utf8');
  const fromDoc = [...doc.matchAll(/^- \*\*([A-Z0-9-]+)\*\* (MUST|SHOULD):/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(CLAUSES.map((c) => `${c.id} ${c.level}`), fromDoc);
});

test('every check cites a clause of sections 1–9 or 11 (or, with --function, OVR-MANIFEST and OVR-BAKED), once', () => {
  const cited = CHECKS.map((check) => check.clause);
  assert.equal(new Set(cited).size, cited.length, 'one check per clause');
  for (const id of cited) assert.ok(selectClauses({ only: id, withFunction: true }).length === 1, `${id} is a clause rtcheck checks`);
  assert.throws(() => selectClauses({ only: 'OVR-BAKED' }), InvalidInputError, 'section 12 needs --function');
  assert.deepEqual(ids({ launches: ['kyma'], withFunction: true }).slice(-2), ['OVR-BAKED', 'OVR-MANIFEST']);
});

test('every clause rtcheck checks has a hint, so no failure or warning comes without one', () => {
  for (const clause of CLAUSES.filter((c) => RTCHECK_SECTIONS.includes(c.section))) {
    assert.ok((clauseHint(clause.id) ?? '').length > 20, `${clause.id} has a hint`);
  }
});

test('a failure without a hint of its own gets its clause\'s hint; a pass gets none', () => {
  const results = new Results(false);
  const clause = CLAUSES.find((c) => c.id === 'LOAD-READY')!;
  const failed = results.record('entrypoint', clause, fail('ECONNREFUSED 127.0.0.1:37901'), 5);
  assert.match(failed.hint ?? '', /FUNC_PORT/);
  assert.equal(results.record('entrypoint', clause, pass('ok'), 5).hint, undefined);
});
