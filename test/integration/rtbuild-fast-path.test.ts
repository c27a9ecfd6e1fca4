// The fast path (issue 16): after a handler edit, rtbuild appends the source layer to the image without a
// build, and the image is the one the engine's BuildKit makes of the same sources: the same layers byte
// for byte (diff ids), the same config apart from the times each path records, the same sizes. With
// --push it goes to the registry straight (the source layer, the config and a manifest). When the engine
// no longer has the dependency layer, rtbuild builds.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { configFromSave } from '../../src/image/docker-archive.js';
import { parseReference } from '../../src/image/reference.js';
import { projectRuntime } from '../../src/platform/runtimes.js';
import { digestOf } from '../../src/registry/client.js';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { REGISTRY, uniqueTag } from '../support/engine.js';
import { deleteFromRegistry } from '../support/registry.js';
import { RtbuildWorkspace, askFunction, askUnderKymaLaunch, jsonResult, runRtbuild, startNpmRegistry } from '../support/rtbuild.js';
import { parseFunctionResources } from '../../src/platform/function-resource.js';

const NODE_BASE = projectRuntime('nodejs20').project.devTag;
const PYTHON_BASE = projectRuntime('python312').project.devTag;

type Config = { created?: string; history: { created?: string }[]; rootfs: { diff_ids: string[] }; config: Record<string, unknown> };

describe('rtbuild fast path', () => {
  const ws = new RtbuildWorkspace();
  const { images, cleanups } = ws;
  let engine: Engine;
  let cacheDir: string;
  let registry: Awaited<ReturnType<typeof startNpmRegistry>>;
  const env = (): Record<string, string> => ({ RTBUILD_CACHE_DIR: cacheDir, SOURCE_DATE_EPOCH: '1700000000' });

  before(async () => {
    await ws.open();
    ({ engine, cacheDir } = ws);
    registry = await startNpmRegistry();
  });
  after(async () => {
    await registry.stop();
    await ws.close();
  });

  const workdir = (fixture: string): Promise<string> => ws.workdir(fixture);
  const build = async (args: string[], extraEnv: Record<string, string> = {}): Promise<{ result: FunctionImageResult; stderr: string }> => {
    const run = await runRtbuild([...args, '--json'], { ...env(), ...extraEnv });
    const result = jsonResult<FunctionImageResult>(run);
    images.push(result.imageId);
    return { result, stderr: run.stderr };
  };
  const configOf = async (image: string): Promise<Config> => JSON.parse(((await configFromSave(await engine.saveImage(image), image)) as Buffer).toString('utf8')) as Config;
  /** The config without what each path must record for itself: when it made the image and its own entries. */
  const withoutTimes = (config: Config, baseEntries: number): Config => ({
    ...config,
    created: undefined,
    history: config.history.map((entry, index) => (index < baseEntries ? entry : { ...entry, created: undefined })),
  });

  const cases = [
    { what: 'a Node function with an npm dependency (function image: dependency and source layers)', fixture: 'node-deps', base: NODE_BASE, handler: 'handler.js', args: () => ['--network', 'host', '--npm-registry', registry.url] },
    { what: 'a Python function with a vendored wheel, for Kyma (override image: ENV PYTHONPATH, no source layer)', fixture: 'python-file-deps', base: PYTHON_BASE, handler: 'handler.py', args: () => ['--for', 'kyma'] },
    { what: 'a Node function without dependencies (no build at all)', fixture: 'node-hello', base: NODE_BASE, handler: 'handler.js', args: () => [] },
  ];
  for (const c of cases) {
    test(`FIN-LAYERS: the fast path and BuildKit make the same image of the same sources: ${c.what}`, async () => {
      const dir = await workdir(c.fixture);
      const tag = `rt-test/fast-${c.fixture}:${uniqueTag()}`;
      images.push(tag);
      const args = ['--base-image', c.base, '--source', dir, '--tag', tag, ...c.args()];
      await build([...args, '--no-fast-path']);
      const handler = join(dir, c.handler);
      await writeFile(handler, `${await readFile(handler, 'utf8')}\n${c.handler.endsWith('.py') ? '#' : '//'} edited\n`);
      const fast = await build(args);
      const built = await build([...args, '--no-fast-path']);
      assert.equal(fast.result.path, 'fast', fast.stderr);
      assert.equal(built.result.path, 'build', built.stderr);

      const [fastInfo, builtInfo, baseHistory] = await Promise.all([engine.inspectImage(fast.result.imageId), engine.inspectImage(built.result.imageId), engine.imageHistory(c.base)]);
      assert.deepEqual(fastInfo.layers, builtInfo.layers, 'every layer the same, byte for byte (diff ids)');
      assert.deepEqual(fast.result.layers, built.result.layers, 'the same layers, roles and sizes');
      assert.equal(fast.result.size, built.result.size);
      assert.equal(fastInfo.size, builtInfo.size, 'the engine counts the same size');
      const [fastConfig, builtConfig] = await Promise.all([configOf(fast.result.imageId), configOf(built.result.imageId)]);
      assert.deepEqual(withoutTimes(fastConfig, baseHistory.length), withoutTimes(builtConfig, baseHistory.length), 'the same config apart from the times');
      assert.equal(fastConfig.created, '2023-11-14T22:13:20Z', 'the fast path records SOURCE_DATE_EPOCH');
    });
  }

  test('a fast-path image runs the edited handler', async () => {
    const dir = await workdir('node-deps');
    const tag = `rt-test/fast-run:${uniqueTag()}`;
    images.push(tag);
    const args = ['--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--network', 'host', '--npm-registry', registry.url];
    await build(args);
    await writeFile(join(dir, 'handler.js'), "const greeter = require('rt-fixture-greeter');\nmodule.exports = { main: () => greeter.greet('fast') };\n");
    const fast = await build(args);
    assert.equal(fast.result.path, 'fast', fast.stderr);
    assert.equal((await engine.inspectImage(tag)).id, fast.result.imageId, 'the tag names the new image');
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, fast, from rt-fixture-greeter' });
  });

  test('OVR-BAKED: a fast-path override image answers under Kyma’s launch', async () => {
    const dir = await workdir('python-file-deps');
    const tag = `rt-test/fast-kyma:${uniqueTag()}`;
    images.push(tag);
    const args = ['--for', 'kyma', '--base-image', PYTHON_BASE, '--source', dir, '--tag', tag];
    await build(args);
    await writeFile(join(dir, 'handler.py'), 'import rtwheel\n\n\ndef main(event, context):\n    return rtwheel.greet("fast-kyma")\n');
    const run = await runRtbuild([...args, '--manifest', '-'], env());
    assert.match(run.stderr, /fast path: no new layer/);
    const [fn] = parseFunctionResources(run.stdout, 'stdout');
    assert.ok(fn, run.stdout);
    const answer = await askUnderKymaLaunch(engine, fn);
    assert.equal(answer.body, 'greetings, fast-kyma, from rtwheel', answer.logs);
  });

  test('--push: a fast-path image goes straight to the registry, the same image as in the engine', async () => {
    const dir = await workdir('node-deps');
    const repository = `rt-test/fast-push-${uniqueTag()}`;
    const tag = `${REGISTRY}/${repository}:1`;
    images.push(tag);
    cleanups.push(() => deleteFromRegistry(REGISTRY, repository, '1'));
    const args = ['--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--network', 'host', '--npm-registry', registry.url, '--push'];
    const first = await build(args);
    assert.match(first.stderr, /with the engine|pushed/, 'the first push of a tag goes through the engine');
    await writeFile(join(dir, 'handler.js'), "const greeter = require('rt-fixture-greeter');\nmodule.exports = { main: () => greeter.greet('pushed') };\n");
    const second = await build(args);
    assert.equal(second.result.path, 'fast', second.stderr);
    assert.doesNotMatch(second.stderr, /with the engine/, second.stderr);
    const digest = second.result.pushed[0]?.digest ?? '';

    const manifest = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${digest}`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(manifest.status, 200);
    const body = Buffer.from(await manifest.arrayBuffer());
    assert.equal(digestOf(body), digest, 'the digest rtbuild reports is the manifest the registry serves');
    const parsed = JSON.parse(body.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    assert.equal(parsed.config.digest, second.result.imageId, 'the registry has the config the engine has');
    const info = await engine.inspectImage(second.result.imageId);
    assert.equal(parsed.layers.length, info.layers.length);
    const top = await fetch(`http://${REGISTRY}/v2/${repository}/blobs/${parsed.layers.at(-1)?.digest ?? ''}`);
    assert.equal(digestOf(gunzipSync(Buffer.from(await top.arrayBuffer()))), info.layers.at(-1), 'the new layer blob is the source layer');

    await engine.removeImage(tag, { force: true });
    await engine.pullImage(parseReference(`${REGISTRY}/${repository}@${digest}`));
    assert.equal((await engine.inspectImage(`${REGISTRY}/${repository}@${digest}`)).id, second.result.imageId, 'pulled back by digest: the same image');
  });

  test('a base image from a registry: its config comes from the registry, not from a docker save of the whole image', async () => {
    const repository = `rt-test/fast-base-${uniqueTag()}`;
    const base = `${REGISTRY}/${repository}:1`;
    images.push(base);
    cleanups.push(() => deleteFromRegistry(REGISTRY, repository, '1'));
    await engine.tagImage(NODE_BASE, parseReference(base));
    await engine.pushImage(parseReference(base));
    const ownCache = await mkdtemp(join(tmpdir(), 'rt-rtbuild-cache-'));
    cleanups.push(() => rm(ownCache, { recursive: true, force: true }));
    const tag = `rt-test/fast-registry-base:${uniqueTag()}`;
    images.push(tag);
    const first = await build(['--base-image', base, '--source', await workdir('node-hello'), '--tag', tag], { RTBUILD_CACHE_DIR: ownCache });
    assert.equal(first.result.path, 'fast', first.stderr);
    assert.doesNotMatch(first.stderr, /docker save/);
    assert.deepEqual(await readdir(join(ownCache, 'configs', 'sha256')), [(await engine.inspectImage(base)).id.slice('sha256:'.length)], 'and kept');
  });

  test('when the engine no longer has the dependency layer, rtbuild builds and says why', async () => {
    const dir = await workdir('node-deps');
    const tag = `rt-test/fast-gone:${uniqueTag()}`;
    images.push(tag);
    const args = ['--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--network', 'host', '--npm-registry', registry.url];
    await build(args);
    // Every dependency layer rtbuild remembers now names a layer no engine has.
    const layers = join(cacheDir, 'layers');
    for (const file of await readdir(layers)) await writeFile(join(layers, file), JSON.stringify({ diffId: `sha256:${'0'.repeat(64)}`, size: 1 }));
    await writeFile(join(dir, 'handler.js'), "module.exports = { main: () => 'gone' };\n");
    const again = await build(args);
    assert.equal(again.result.path, 'build');
    assert.match(again.stderr, /no fast path: the engine did not load it/);
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'gone' });
  });
});
