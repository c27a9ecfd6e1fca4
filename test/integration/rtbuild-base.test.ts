// rtbuild base: base images are built, proven against the contract by rtcheck, and only then pushed
// (to the real registry on 127.0.0.1:5000).
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import type { BaseImageResult } from '../../src/rtbuild/base-image/release.js';
import { REGISTRY, testEngine, uniqueTag } from '../support/engine.js';
import { copyFixture, jsonResult, runRtbuild } from '../support/rtbuild.js';

async function registryTags(repository: string): Promise<{ status: number; tags: string[] }> {
  const response = await fetch(`http://${REGISTRY}/v2/${repository}/tags/list`);
  const body = (await response.json()) as { tags?: string[] | null };
  return { status: response.status, tags: body.tags ?? [] };
}

describe('rtbuild base', () => {
  let engine: Engine;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    engine = await testEngine();
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  /** A copy of a fixture folder outside any git checkout. */
  const outsideGit = async (fixture: string): Promise<string> => {
    const { root, dir } = await copyFixture(fixture);
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    return dir;
  };

  test('builds the nodejs20 base image, passes rtcheck, pushes the version and git-revision tags', async () => {
    const version = `1.0.0-${uniqueTag()}`;
    const tag = `${REGISTRY}/rt-test/nodejs20:${version}`;
    const run = await runRtbuild(['base', 'nodejs20', '--tag', tag, '--push', '--json']);
    const result = jsonResult<BaseImageResult>(run);

    assert.equal(result.conformance?.failed, 0);
    assert.ok((result.conformance?.passed ?? 0) >= 40, `passed ${result.conformance?.passed}`);
    assert.match(run.stderr, /rtcheck|IMG-USER/);
    assert.equal(result.tags[0], tag);
    assert.equal(result.tags.length, 2, 'the version tag and the git revision tag');
    assert.deepEqual(result.pushed.map((p) => p.reference), result.tags);
    for (const pushed of result.pushed) assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);

    const listed = await registryTags('rt-test/nodejs20');
    assert.ok(listed.tags.includes(version), `registry tags: ${listed.tags.join(', ')}`);
    const info = await engine.inspectImage(tag);
    assert.equal(info.labels['org.opencontainers.image.version'], version);
    assert.match(info.labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}$/);
    assert.equal(info.env.FUNC_RUNTIME, 'nodejs20');
    for (const t of result.tags) await engine.removeImage(t, { force: true });
  });

  test('an image that fails the contract is not pushed and not tagged; --json prints the result with the rtcheck report; fresh labels (issue 12)', async () => {
    const repository = `rt-test/broken-${uniqueTag()}`;
    const tag = `${REGISTRY}/${repository}:1.0.0`;
    const run = await runRtbuild(['base', '--context', await outsideGit('base-runs-as-root'), '--tag', tag, '--push', '--json']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error: .* does not keep the runtime contract \(failed: [^)]*IMG-USER[^)]*\); it was not pushed/);
    assert.equal((await registryTags(repository)).status, 404, 'the registry never heard of the repository');

    const result = JSON.parse(run.stdout) as BaseImageResult & { error: { code: string }; conformance: { report: { image: string; results: { clause: string; status: string }[] } } };
    assert.equal(result.error.code, 'CONTRACT_FAILED', 'the result comes with the error');
    assert.ok(result.conformance.failed > 0);
    assert.ok(result.conformance.report.results.some((r) => r.clause === 'IMG-USER' && r.status === 'fail'), 'the gate\'s rtcheck report is in the result');
    assert.equal(result.conformance.report.image, tag, 'the report names the tag');
    assert.match(run.stderr, new RegExp(`^rtcheck ${tag.replace(/[.]/g, '\\.')} \\(runtime`, 'm'), 'the text report\'s header names the tag, not sha256:…');
    assert.deepEqual(result.pushed, []);

    // Untagged: nothing names the refused image; the hint gives its id.
    assert.equal(await engine.findImage(tag), undefined, 'the refused candidate is not tagged');
    assert.match(run.stderr, new RegExp(`^hint: .*rtcheck ${result.imageId} shows the same report`, 'm'));
    const labels = (await engine.inspectImage(result.imageId)).labels;
    const upstream = (await engine.inspectImage('rt/nodejs20:dev')).labels;
    assert.ok(upstream['org.opencontainers.image.revision'] && upstream['org.opencontainers.image.description'], 'the upstream has both');
    assert.equal(labels['org.opencontainers.image.revision'], undefined, 'outside git: no revision (not the upstream\'s, the toolchain\'s own)');
    assert.equal(labels['org.opencontainers.image.description'], undefined, 'not the upstream\'s description');
    assert.equal(labels['org.opencontainers.image.version'], '1.0.0');
    assert.equal(labels['org.opencontainers.image.base.name'], 'rt/nodejs20:dev', 'the Dockerfile\'s default of ARG BASE_IMAGE');
    assert.match(labels['org.opencontainers.image.created'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await engine.removeImage(result.imageId, { force: true });
  });

  test('--base-image for a Dockerfile that does not take ARG BASE_IMAGE: exit 2 before any build', async () => {
    const dir = await outsideGit('base-runs-as-root');
    await writeFile(join(dir, 'Dockerfile'), 'FROM rt/nodejs20:dev\nUSER 0\n');
    const run = await runRtbuild(['base', '--context', dir, '--base-image', 'rt/nodejs22:dev', '--tag', `${REGISTRY}/rt-test/no-arg:1`]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /does not take its base image from ARG BASE_IMAGE: --base-image rt\/nodejs22:dev would not change what it is built FROM/);
    assert.doesNotMatch(run.stderr, /building/);
  });

  test('bad input: exit 2 before any work', async () => {
    const unknown = await runRtbuild(['base', 'cobol85', '--tag', `${REGISTRY}/x/y:1`]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown runtime "cobol85"/);
    const noVersion = await runRtbuild(['base', 'nodejs20', '--tag', `${REGISTRY}/x/y`]);
    assert.equal(noVersion.status, 2);
    assert.match(noVersion.stderr, /needs a version tag/);
    const both = await runRtbuild(['base', 'nodejs20', '--context', '.', '--tag', `${REGISTRY}/x/y:1`]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /exactly one of a runtime/);
  });
});
