// rtbuild base: base images are built, proven against the contract by rtcheck, and only then pushed
// (to the real registry on 127.0.0.1:5000).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import type { BaseImageResult } from '../../src/rtbuild/base-image/release.js';
import { REGISTRY, testEngine, uniqueTag } from '../support/engine.js';
import { FIXTURES, jsonResult, runRtbuild } from '../support/rtbuild.js';

async function registryTags(repository: string): Promise<{ status: number; tags: string[] }> {
  const response = await fetch(`http://${REGISTRY}/v2/${repository}/tags/list`);
  const body = (await response.json()) as { tags?: string[] | null };
  return { status: response.status, tags: body.tags ?? [] };
}

describe('rtbuild base', () => {
  let engine: Engine;
  before(async () => {
    engine = await testEngine();
  });

  test('builds the nodejs20 base image, passes rtcheck, pushes the version and git-revision tags', async () => {
    const version = `1.0.0-${uniqueTag()}`;
    const tag = `${REGISTRY}/rt-test/nodejs20:${version}`;
    const run = await runRtbuild(['base', 'nodejs20', '--tag', tag, '--push', '--json']);
    const result = jsonResult<BaseImageResult>(run);

    assert.equal(result.conformance.failed, 0);
    assert.ok(result.conformance.passed >= 40, `passed ${result.conformance.passed}`);
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

  test('an image that fails the contract is not pushed: exit 1 naming the failed clause', async () => {
    const repository = `rt-test/broken-${uniqueTag()}`;
    const tag = `${REGISTRY}/${repository}:1.0.0`;
    const run = await runRtbuild(['base', '--context', join(FIXTURES, 'base-runs-as-root'), '--tag', tag, '--push']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error: .* does not keep the runtime contract \(failed: [^)]*IMG-USER[^)]*\); it was not pushed/);
    const listed = await registryTags(repository);
    assert.equal(listed.status, 404, 'the registry never heard of the repository');
    await engine.removeImage(tag, { force: true });
    // Nothing named the refused image; the hint gives its id.
    const refused = /^hint: .*rtcheck (sha256:[0-9a-f]{64}) shows the same report/m.exec(run.stderr)?.[1];
    assert.ok(refused, run.stderr);
    await engine.removeImage(refused, { force: true });
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
