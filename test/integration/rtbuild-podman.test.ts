// rtbuild on Podman's Docker-compatible API (issue 12, item 5) next to Docker's engine: `rtbuild base`
// shows Podman's build steps and keeps no label of the upstream image; a function image builds (Podman
// builds with Buildah: no fast path); org.opencontainers.image.base.digest means the same on both
// engines: the base image's manifest digest in its registry, or no label for a base never pushed.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type Engine, connectEngine } from '../../src/engine/index.js';
import { parseReference } from '../../src/image/reference.js';
import { buildBaseImage } from '../../src/rtbuild/base-image/builder.js';
import { parseBaseRequest } from '../../src/rtbuild/base-image/request.js';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { REGISTRY, testEngine, uniqueTag } from '../support/engine.js';
import { deleteFromRegistry } from '../support/registry.js';
import { copyFixture, intoPodman, jsonResult, podmanPull, runRtbuild } from '../support/rtbuild.js';

const PODMAN_HOST = process.env.PODMAN_HOST;
if (!PODMAN_HOST) throw new Error('PODMAN_HOST is not set: run the tests through "make test", which starts Podman (scripts/podman.sh)');
const BASE = 'rt/nodejs20:dev';
const DIGEST_LABEL = 'org.opencontainers.image.base.digest';

describe('rtbuild on Podman', () => {
  let docker: Engine;
  let podman: Engine;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    docker = await testEngine();
    podman = await connectEngine({ env: { DOCKER_HOST: PODMAN_HOST } });
    await intoPodman(podman, PODMAN_HOST, BASE);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('rtbuild base on Podman shows its build steps (STEP n/m) and passes on no label of the upstream image', async () => {
    const { root, dir } = await copyFixture('base-runs-as-root');
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const request = parseBaseRequest(undefined, { tag: `localhost/rt-test/podman-base:${uniqueTag()}`, context: dir, upstream: undefined, push: false, strict: false }, {});
    const lines: string[] = [];
    const image = await buildBaseImage(podman, request, (line) => lines.push(line), {});
    cleanups.push(() => podman.removeImage(image.id, { force: true }));
    // Buildah adds the build's labels as steps of their own.
    assert.ok(lines.some((line) => /^ {2}STEP 1\/\d+: FROM /.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /^ {2}STEP 2\/\d+: USER 0/.test(line)), lines.join('\n'));

    const [labels, upstream] = [(await podman.inspectImage(image.id)).labels, (await podman.inspectImage(BASE)).labels];
    assert.ok(upstream['org.opencontainers.image.revision'] && upstream['org.opencontainers.image.description'], 'the upstream has both');
    assert.equal(labels['org.opencontainers.image.revision'], undefined, 'not in git: no revision, not the upstream one');
    assert.equal(labels['org.opencontainers.image.description'], undefined, 'not the upstream description');
    assert.equal(labels['org.opencontainers.image.base.name'], BASE);
    assert.match(labels['org.opencontainers.image.version'] ?? '', /^t\d+/);
  });

  test('FIN-LABELS: base.digest is the manifest digest of the base image in its registry, on Docker and on Podman alike', async () => {
    const repository = `rt-test/digest-base-${uniqueTag()}`;
    const pushedBase = `${REGISTRY}/${repository}:1`;
    await docker.tagImage(BASE, parseReference(pushedBase));
    cleanups.push(() => docker.removeImage(pushedBase, { force: true }));
    cleanups.push(() => deleteFromRegistry(REGISTRY, repository, '1'));
    const { digest } = await docker.pushImage(parseReference(pushedBase));
    await podmanPull(PODMAN_HOST, pushedBase);
    cleanups.push(() => podman.removeImage(pushedBase, { force: true }));

    const source = (await copyFixture('node-hello')).root;
    cleanups.push(() => rm(source, { recursive: true, force: true }));
    const labelsOn = async (engineHost: string | undefined, base: string): Promise<{ digest: string | undefined; path: string }> => {
      const tag = `rt-test/podman-digest:${uniqueTag()}`;
      const env: Record<string, string> = engineHost ? { DOCKER_HOST: engineHost } : {};
      const result = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', base, '--source', `${source}/node-hello`, '--tag', tag, '--json'], env));
      const engine = engineHost ? podman : docker;
      cleanups.push(() => engine.removeImage(tag, { force: true }));
      return { digest: (await engine.inspectImage(tag)).labels[DIGEST_LABEL], path: result.path };
    };
    const onDocker = await labelsOn(undefined, pushedBase);
    const onPodman = await labelsOn(PODMAN_HOST, pushedBase);
    assert.equal(onDocker.digest, digest, 'Docker: the digest the registry gave the push');
    assert.equal(onPodman.digest, digest, 'Podman: the same');

    // A base built here and never pushed: no digest in any registry, so no label (not Docker's image id,
    // not the digest of Podman's local storage).
    assert.equal((await labelsOn(undefined, BASE)).digest, undefined, 'Docker');
    assert.equal((await labelsOn(PODMAN_HOST, BASE)).digest, undefined, 'Podman');
    assert.equal(onPodman.path, 'build', 'Podman builds with Buildah: no fast path');
  });
});
