// The project's own base images keep the whole contract under both launches: rtcheck --strict passes
// each with every clause of sections 1–9 (own entrypoint) and 11 (Kyma's buildless launch).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliToEnd } from '../support/cli.js';
import { packDirectory } from '../../src/image/archive.js';
import { testEngine, uniqueTag } from '../support/engine.js';
import { askFunction } from '../support/rtbuild.js';
import { PROJECT_RUNTIMES } from '../../src/platform/runtimes.js';
import { CLAUSES, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const fixtures = join(import.meta.dirname, '..', 'fixtures');

interface JsonReport {
  runtime: string;
  results: { clause: string; level: string; launch: string; status: string; message: string }[];
  counts: { pass: number; fail: number; warn: number; skip: number };
  exitCode: number;
  launches: { kyma?: { port: number } };
}

const CHECKED = CLAUSES.filter((clause) => RTCHECK_SECTIONS.includes(clause.section)).length;

for (const runtime of PROJECT_RUNTIMES) {
  const image = runtime.project?.devTag as string;
  test(`KB-LAUNCH + KB-TERM + sections 1–9: rtcheck --strict passes ${image} under both launches, exit 0`, async () => {
    const run = await runCliToEnd('rtcheck', [image, '--strict', '--json', '-'], { timeoutMs: 180_000 });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.equal(report.runtime, runtime.id, 'the runtime is detected from FUNC_RUNTIME');
    const notPassed = report.results.filter((r) => r.status !== 'pass').map((r) => `${r.clause} (${r.launch}) ${r.status}: ${r.message}`);
    assert.deepEqual(notPassed, [], 'every clause passes, none skipped');
    assert.equal(report.counts.pass, CHECKED);
    assert.deepEqual([...new Set(report.results.map((r) => r.launch))], ['entrypoint', 'kyma']);
  });
}

// Function images built by rtbuild on the project's base images, and on a custom image derived from
// one: each passes rtcheck (its own sources are hidden by the probes, like an emptyDir) and, run as
// the platform runs it, answers with the Function's output.
const FINAL_IMAGES = [
  { base: 'rt/nodejs20:dev', example: 'hello-nodejs', runtime: 'nodejs20' },
  { base: 'rt/nodejs24:dev', example: 'hello-nodejs', runtime: 'nodejs24' },
  { base: 'rt/python312:dev', example: 'hello-python', runtime: 'python312' },
  { base: 'custom', example: 'hello-python', runtime: 'python312' },
] as const;

for (const { base, example, runtime } of FINAL_IMAGES) {
  test(`FIN-BASE: ${example} built by rtbuild on ${base === 'custom' ? 'a custom image derived from rt/python312:dev' : base} passes rtcheck and answers`, async () => {
    const engine = await testEngine();
    const tag = `rt-test/final-${example}:${uniqueTag()}`;
    let baseImage: string = base;
    if (base === 'custom') {
      baseImage = `rt-test/custom-runtime:${uniqueTag()}`;
      await engine.buildImage(await packDirectory(join(fixtures, 'rtbuild', 'custom-runtime')), { tags: [baseImage] });
    }
    try {
      const built = await runCliToEnd('rtbuild', ['--base-image', baseImage, '--source', join(examples, example), '--tag', tag]);
      assert.equal(built.status, 0, built.stderr);
      const info = await engine.inspectImage(tag);
      assert.equal(info.env.FUNC_RUNTIME, runtime, 'FIN-BASE: the base image\'s env is inherited');
      assert.equal(info.user, '1000', 'FIN-BASE: the final user is the base image\'s numeric user');

      const run = await runCliToEnd('rtcheck', [tag, '--json', '-']);
      const report = JSON.parse(run.stdout) as JsonReport;
      const problems = report.results.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.clause}: ${r.message}`);
      assert.equal(run.status, 0, `${run.stderr}\n${problems.join('\n')}`);
      assert.deepEqual(report.results.filter((r) => r.status === 'fail').map((r) => r.clause), []);

      const answer = await askFunction(engine, tag, {
        env: { FUNC_NAME: example },
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': '/s', 'ce-id': '1' },
          body: '{"n":1}',
        },
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), { message: `Hello from ${example} on ${runtime}`, type: 't', data: { n: 1 } });
    } finally {
      await engine.removeImage(tag, { force: true });
      if (base === 'custom') await engine.removeImage(baseImage, { force: true });
    }
  });
}
