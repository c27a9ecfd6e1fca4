// Pushing and pulling against real registries (CNCF Distribution), never a mock.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packEntries } from '../../src/image/archive.js';
import type { Engine } from '../../src/engine/index.js';
import { PushFailedError } from '../../src/errors.js';
import { resolveRegistryAuth } from '../../src/registry/auth.js';
import { formatReference, parseReference } from '../../src/image/reference.js';
import { REGISTRY, baseImage, testEngine, uniqueTag } from '../support/engine.js';
import { startRegistry } from '../support/registry.js';

/** A tiny image unique to this run, so that every push really uploads something. */
async function buildUniqueImage(engine: Engine, tag: string): Promise<string> {
  const dockerfile = `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nCOPY marker.txt /marker.txt\n`;
  const context = packEntries([
    { path: 'Dockerfile', type: 'file', content: Buffer.from(dockerfile) },
    { path: 'marker.txt', type: 'file', content: Buffer.from(tag) },
  ]);
  return (await engine.buildImage(context, { tags: [tag], buildArgs: { BASE_IMAGE: baseImage('node') } })).id;
}

describe('registry: push and pull', () => {
  let engine: Engine;
  const localTag = `rt-test/push:${uniqueTag()}`;
  let imageId: string;

  before(async () => {
    engine = await testEngine();
    imageId = await buildUniqueImage(engine, localTag);
  });
  after(async () => {
    await engine.removeImage(localTag, { force: true });
  });

  test('a push to the local registry succeeds and the image can be pulled back by digest', async () => {
    const remote = `${REGISTRY}/rt-test/push:${uniqueTag()}`;
    await engine.tagImage(localTag, parseReference(remote));
    const progress: string[] = [];
    const pushed = await engine.pushImage(parseReference(remote), { onProgress: (e) => progress.push(e.text) });
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(formatReference(pushed.reference), remote);
    assert.ok(progress.some((line) => /Pushed|Layer already exists/.test(line)), progress.join('\n'));

    const manifest = await fetch(`http://${REGISTRY}/v2/rt-test/push/manifests/${pushed.digest}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(manifest.status, 200, 'the registry serves the manifest under the reported digest');

    // Drop the local name so the pull really comes from the registry.
    await engine.removeImage(remote);
    const byDigest = `${REGISTRY}/rt-test/push@${pushed.digest}`;
    await engine.pullImage(parseReference(byDigest));
    const pulled = await engine.inspectImage(byDigest);
    assert.equal(pulled.id, imageId);
    assert.ok(pulled.repoDigests.includes(byDigest), `repo digests: ${pulled.repoDigests.join(', ')}`);
    await engine.removeImage(byDigest);
  });

  test('a push to a registry that refuses it fails with a PushFailedError carrying the registry text', async () => {
    const readOnly = await startRegistry({ readOnly: true });
    const remote = `${readOnly.address}/rt-test/refused:${uniqueTag()}`;
    try {
      await engine.tagImage(localTag, parseReference(remote));
      await assert.rejects(engine.pushImage(parseReference(remote)), (error: unknown) => {
        assert.ok(error instanceof PushFailedError, `got ${String(error)}`);
        assert.equal(error.code, 'PUSH_FAILED');
        assert.equal(error.kind, 'subject');
        assert.match(error.message, new RegExp(`push of ${remote.replace(/[.]/g, '\\.')} failed: .+`));
        assert.match(error.engineMessage, /read-only|unsupported|denied|405/i);
        return true;
      });
    } finally {
      await engine.removeImage(remote);
      await readOnly.stop();
    }
  });

  describe('credentials from the Docker config', () => {
    const credentials = { username: 'rt-user', password: `pw-${uniqueTag()}` };
    let secured: Awaited<ReturnType<typeof startRegistry>>;
    let configDir: string;

    before(async () => {
      secured = await startRegistry({ credentials });
      configDir = await mkdtemp(join(tmpdir(), 'rt-docker-config-'));
    });
    after(async () => {
      await secured.stop();
      await rm(configDir, { recursive: true, force: true });
    });

    test('a push without credentials is refused with a hint to log in', async () => {
      const remote = `${secured.address}/rt-test/secured:${uniqueTag()}`;
      await engine.tagImage(localTag, parseReference(remote));
      try {
        await assert.rejects(engine.pushImage(parseReference(remote)), (error: unknown) => {
          assert.ok(error instanceof PushFailedError);
          assert.match(error.engineMessage, /auth|unauthorized/i);
          assert.match(error.hint ?? '', /docker login/);
          return true;
        });
      } finally {
        await engine.removeImage(remote);
      }
    });

    test('a push with credentials from the config "auths" succeeds and no secret appears in messages', async () => {
      const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { [secured.address]: { auth } } }));
      const resolved = await resolveRegistryAuth(secured.address, { env: { DOCKER_CONFIG: configDir } });
      assert.deepEqual(resolved, { serveraddress: secured.address, ...credentials });

      const remote = `${secured.address}/rt-test/secured:${uniqueTag()}`;
      await engine.tagImage(localTag, parseReference(remote));
      const progress: string[] = [];
      try {
        const pushed = await engine.pushImage(parseReference(remote), { auth: resolved, onProgress: (e) => progress.push(e.text) });
        assert.match(pushed.digest, /^sha256:/);
        assert.ok(!progress.join('\n').includes(credentials.password), 'the password never shows in progress');
      } finally {
        await engine.removeImage(remote);
      }
    });
  });
});
