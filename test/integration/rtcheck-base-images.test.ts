// The project's own base images keep the whole contract: rtcheck passes them with no failed clause.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliToEnd } from '../support/cli.js';
import { testEngine, uniqueTag } from '../support/engine.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

interface JsonReport {
  runtime: string;
  results: { clause: string; level: string; status: string; message: string }[];
  counts: { pass: number; fail: number; warn: number; skip: number };
  exitCode: number;
}

for (const [image, runtime] of [
  ['rt/nodejs20:dev', 'nodejs20'],
  ['rt/python312:dev', 'python312'],
] as const) {
  test(`rtcheck passes ${image}: every MUST and SHOULD clause of sections 1-9, exit 0`, async () => {
    const run = await runCliToEnd('rtcheck', [image, '--strict', '--json', '-']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.equal(report.runtime, runtime, 'the runtime is detected from FUNC_RUNTIME');
    const notPassed = report.results.filter((r) => r.status !== 'pass').map((r) => `${r.clause} ${r.status}: ${r.message}`);
    assert.deepEqual(notPassed, [], 'every clause passes, none skipped');
    assert.ok(report.counts.pass >= 45, `passed ${report.counts.pass}`);
  });
}

test('rtcheck passes a final Function image built by rtbuild on rt/nodejs20:dev (its own sources are hidden by the probes)', async () => {
  const tag = `rt-test/final-hello:${uniqueTag()}`;
  const built = await runCliToEnd('rtbuild', ['--base-image', 'rt/nodejs20:dev', '--source', join(examples, 'hello-nodejs'), '--tag', tag]);
  assert.equal(built.status, 0, built.stderr);
  try {
    const run = await runCliToEnd('rtcheck', [tag, '--json', '-']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(report.results.filter((r) => r.status === 'fail').map((r) => r.clause), []);
  } finally {
    await (await testEngine()).removeImage(tag, { force: true });
  }
});
