// Build failures as data: both builders' streams (captured from the engine) become a BuildFailedError
// that says which stage, step and command failed, its exit code and that step's output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { BuildNetworks, buildImage } from '../../src/engine/build.js';
import { ClassicSteps, runStepExit } from '../../src/engine/build-failure.js';
import type { EngineHttp } from '../../src/engine/http.js';
import type { Builder } from '../../src/engine/index.js';
import { messageText } from '../../src/engine/json-stream.js';
import { BuildFailedError } from '../../src/errors.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'engine');

/** The user-facing summary of a failure whose engine text is `engineMessage`. */
function summary(engineMessage: string): string {
  return new BuildFailedError({ engineMessage, ...runStepExit(engineMessage) }).message.replace(/^image build failed: /, '');
}

/** Plays a captured build stream through the engine's build, as the engine's HTTP answer delivers it. */
async function replay(file: string, builder: Builder): Promise<BuildFailedError> {
  const lines = readFileSync(join(fixtures, file), 'utf8').split('\n').filter(Boolean).map((line) => `${line}\n`);
  const http = { target: {}, request: () => Promise.resolve(Readable.from(lines)) } as unknown as EngineHttp;
  const progress: string[] = [];
  const failure = await buildImage(http, new BuildNetworks(http), Readable.from([]), { builder, networkMode: 'none', onProgress: (e) => progress.push(e.text) }).then(
    () => assert.fail('the build should fail'),
    (error: unknown) => error,
  );
  assert.ok(failure instanceof BuildFailedError, String(failure));
  assert.ok(!progress.join('\n').includes('\u001b['), 'no terminal colour codes in progress');
  return failure;
}

test('a failed RUN step is named by its first command and exit code, from either builder', () => {
  const command = 'npm ci --omit=dev; status=$?; rm -rf /rtbuild-secrets; [ "$status" -eq 0 ] || exit "$status"';
  const expected = 'the step "RUN npm ci --omit=dev" exited with code 1';
  assert.equal(summary(`The command '/bin/sh -c ${command}' returned a non-zero code: 1`), expected);
  assert.equal(summary(`executor failed running [/bin/sh -c ${command}]: exit code: 1`), expected);
  assert.equal(summary(`failed to solve: executor failed running [/bin/sh -c ${command}]: exit code: 1`), expected);
  assert.equal(summary(`process "/bin/sh -c ${command}" did not complete successfully: exit code: 1`), expected, 'later BuildKit releases');
  assert.equal(summary(`executor failed running [/bin/sh -c ${'x'.repeat(100)}]: exit code: 2`), `the step "RUN ${'x'.repeat(79)}…" exited with code 2`);
  assert.equal(summary('failed to compute cache key: "/nope" not found'), 'failed to compute cache key: "/nope" not found');
});

test('a failed step shows only its own output (classic builder)', () => {
  const steps = new ClassicSteps();
  const log = 'Step 6/9 : RUN x\n ---> Running in abc123\n\u001b[91mnpm error code E404\n\u001b[0m\nRemoving intermediate container abc123';
  for (const line of (messageText({ stream: log }) ?? '').split('\n')) steps.line(line);
  assert.deepEqual(steps.failedStep()?.output, ['npm error code E404']);
});

for (const [builder, file, step] of [
  ['buildkit', 'buildkit-trace/failing-deps-stage.jsonl', '2/2'],
  ['classic', 'classic-stream/failing-deps-stage.jsonl', '3/5'],
] as const) {
  test(`${builder}: a RUN step failing in the deps stage is known by stage, step, command, exit code and its own output`, async () => {
    const failure = await replay(file, builder);
    assert.equal(failure.code, 'BUILD_FAILED');
    assert.equal(failure.stage, 'deps');
    assert.equal(failure.step, step);
    assert.equal(failure.instruction, 'RUN echo installing-dependencies && echo "npm error code E404" >&2 && exit 1');
    assert.equal(failure.command, 'echo installing-dependencies && echo "npm error code E404" >&2 && exit 1');
    assert.equal(failure.exitCode, 1);
    assert.deepEqual(failure.output, ['installing-dependencies', 'npm error code E404']);
    assert.equal(failure.message, 'image build failed: the step "RUN echo installing-dependencies && echo "npm error code E404" >&2 && exit 1" exited with code 1');
    assert.equal(failure.details, 'installing-dependencies\nnpm error code E404');
  });
}

test('buildkit: a RUN step of a lone unnamed stage has a step but no stage', async () => {
  const failure = await replay('buildkit-trace/failing-run.jsonl', 'buildkit');
  assert.equal(failure.stage, undefined);
  assert.equal(failure.step, '2/2');
  assert.equal(failure.exitCode, 3);
  assert.deepEqual(failure.output, ['before-failing']);
});

test('classic: the stage is the one of the last FROM step, named or numbered like BuildKit numbers it', () => {
  const steps = new ClassicSteps();
  for (const line of ['Step 1/4 : FROM a AS deps', 'Step 2/4 : RUN x', 'Step 3/4 : FROM a', 'Step 4/4 : COPY --from=deps /x /x']) steps.line(line);
  assert.deepEqual(steps.failedStep(), { stage: 'stage-1', step: '4/4', instruction: 'COPY --from=deps /x /x', output: [] });
});

test('a failure that is not a RUN exit keeps the engine text and names the step in its evidence', () => {
  const failure = new BuildFailedError({ engineMessage: 'failed to compute cache key: "/nope" not found', stage: 'deps', step: '2/3', instruction: 'COPY nope /', output: [] });
  assert.equal(failure.message, 'image build failed: failed to compute cache key: "/nope" not found');
  assert.equal(failure.details, '[deps 2/3] COPY nope /');
  assert.equal(failure.exitCode, undefined);
});
