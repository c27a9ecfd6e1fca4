// rtbuild --for kyma (contract section 12) against the real engine and the registry on 127.0.0.1:5000,
// on the project's base images: override images with the dependencies baked in (OVR-BAKED), answering
// under Kyma's buildless launch with the manifest's inline source and no registry reachable; the
// Function resource that runs them (OVR-MANIFEST); Function YAML and `kyma function init` folders as
// input (OVR-INPUT); local `file:` dependencies in both modes, and the refusals.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { parseFunctionResources } from '../../src/platform/function-resource.js';
import { projectRuntime } from '../../src/platform/runtimes.js';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { REGISTRY, testEngine, uniqueTag } from '../support/engine.js';
import { FIXTURES, askFunction, askUnderKymaLaunch, jsonResult, runRtbuild, savedEntriesContaining, shellInImage } from '../support/rtbuild.js';

const NODE_BASE = projectRuntime('nodejs20').project.devTag;
const PYTHON_BASE = projectRuntime('python312').project.devTag;

describe('rtbuild --for kyma: override images for Kyma’s buildless launch', () => {
  let engine: Engine;
  const images: string[] = [];
  const roots: string[] = [];

  const localTag = (name: string): string => {
    const tag = `rt-test/rtbuild-kyma-${name}:${uniqueTag()}`;
    images.push(tag);
    return tag;
  };
  const copy = async (fixture: string, name = fixture): Promise<string> => {
    const root = await mkdtemp(join(tmpdir(), 'rt-rtbuild-kyma-'));
    roots.push(root);
    await cp(join(FIXTURES, fixture), join(root, name), { recursive: true });
    return join(root, name);
  };

  before(async () => {
    engine = await testEngine();
    for (const base of [NODE_BASE, PYTHON_BASE]) assert.ok(await engine.imageExists(base), `${base} is built (make base-images)`);
  });
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
    for (const image of images) await engine.removeImage(image, { force: true });
  });

  test('OVR-BAKED, OVR-MANIFEST: a Node Function with vendored file: dependencies, pushed, answers under Kyma’s launch with the manifest’s source and no registry', async () => {
    const dir = await copy('node-file-deps', 'greeter-fn');
    await writeFile(join(dir, 'rtbuild.json'), JSON.stringify({ env: { FUNC_TIMEOUT: '30', FROM_FILE: 'file' } }));
    const remote = `${REGISTRY}/rt-test/rtbuild-kyma-node:${uniqueTag()}`;
    images.push(remote);
    const manifestFile = join(dir, '..', 'function.yaml');
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir, '--tag', remote, '--push', '--manifest', manifestFile, '--env', 'FROM_FILE=flag', '--json']);
    const result = jsonResult<FunctionImageResult>(run);
    assert.equal(result.target, 'kyma');
    assert.deepEqual(result.layers.map((layer) => layer.role), ['dependencies'], 'only the dependencies: the source is in the manifest');

    const [fn, ...others] = parseFunctionResources(await readFile(manifestFile, 'utf8'), manifestFile);
    assert.equal(others.length, 0);
    assert.ok(fn);
    assert.equal(fn.metadata.name, 'greeter-fn', 'named after the folder');
    assert.equal(fn.spec.runtime, 'nodejs20');
    assert.equal(fn.spec.runtimeImageOverride, `${remote}@${result.pushed[0]?.digest}`, 'pinned by the pushed digest');
    assert.equal(fn.spec.source.inline?.source, await readFile(join(dir, 'handler.js'), 'utf8'));
    assert.equal(fn.spec.source.inline?.dependencies, undefined, 'no inline dependencies: they are baked in');
    assert.deepEqual(fn.spec.env, [{ name: 'FUNC_TIMEOUT', value: '30' }, { name: 'FROM_FILE', value: 'flag' }], 'rtbuild.json "env", --env winning');
    assert.equal(result.manifest, await readFile(manifestFile, 'utf8'));

    // The image as Kyma pulls it (by digest), started as the controller starts it.
    const answer = await askUnderKymaLaunch(engine, fn);
    assert.equal(answer.status, 200, answer.logs);
    assert.equal(answer.body, 'vendored hello to node-file-deps, from a local folder');
    const listing = await shellInImage(engine, fn.spec.runtimeImageOverride ?? '', 'stat -c "%u:%g %a %n" /usr/src/app/node_modules/rt-vendored/index.js /usr/src/app/node_modules/rt-local-dir && ls /usr/src/app /kubeless');
    assert.match(listing, /^0:0 644 \/usr\/src\/app\/node_modules\/rt-vendored\/index\.js$/m, 'root-owned, read-only for the runtime user');
    assert.match(listing, /^0:0 755 \/usr\/src\/app\/node_modules\/rt-local-dir$/m, 'the folder dependency is a copy, not a link out of the image');
    assert.doesNotMatch(listing, /^(handler\.js|vendor|local)$/m, 'no sources and no vendored tarball in the image');
  });

  test('OVR-BAKED: a Python Function with a vendored wheel answers under Kyma’s launch; its folder is on PYTHONPATH after the runtime’s', async () => {
    const dir = await copy('python-file-deps');
    const tag = localTag('python');
    const manifest = (await runRtbuild(['--for', 'kyma', '--base-image', PYTHON_BASE, '--source', dir, '--tag', tag, '--manifest', '-'])).stdout;
    const [fn] = parseFunctionResources(manifest, 'stdout');
    assert.ok(fn, manifest);
    assert.equal(fn.spec.runtimeImageOverride, tag, 'not pushed: the local tag');
    const info = await engine.inspectImage(tag);
    const base = await engine.inspectImage(PYTHON_BASE);
    assert.equal(info.env.PYTHONPATH, `${base.env.PYTHONPATH}:/opt/function-deps`, 'the runtime’s entries first');
    const answer = await askUnderKymaLaunch(engine, fn);
    assert.equal(answer.status, 200, answer.logs);
    assert.equal(answer.body, 'greetings, python-file-deps, from rtwheel');
  });

  test('OVR-INPUT: a Function YAML with several Functions: a plain tag is refused naming them; --function picks one and keeps its fields', async () => {
    const dir = await copy('kyma-functions');
    const yaml = join(dir, 'functions.yaml');
    const ambiguous = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', yaml, '--tag', localTag('ambiguous')]);
    assert.equal(ambiguous.status, 2, ambiguous.stderr);
    assert.match(ambiguous.stderr, /^error: .*functions\.yaml has 2 Functions \(fn-vendored, fn-plain\), and a --tag names one image$/m);
    assert.match(ambiguous.stderr, /^hint: build one with --function NAME \(one of: fn-vendored, fn-plain\), or put \{name\} into the tag/m);

    const tag = localTag('yaml');
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', yaml, '--function', 'fn-vendored', '--tag', tag, '--manifest', '-']);
    assert.equal(run.status, 0, run.stderr);
    const [fn] = parseFunctionResources(run.stdout, 'stdout');
    assert.ok(fn);
    assert.equal(fn.metadata.name, 'fn-vendored');
    assert.deepEqual(fn.metadata.labels, { app: 'rtbuild-test' }, 'the input’s other fields are kept');
    assert.deepEqual(fn.spec.env, [{ name: 'GREETING_TARGET', value: 'from the YAML' }]);
    assert.equal(fn.spec.source.inline?.dependencies, undefined);
    const answer = await askUnderKymaLaunch(engine, fn);
    assert.equal(answer.body, 'vendored hello to from the YAML', answer.logs);
  });

  test('OVR-INPUT: every Function of a YAML, each under its own {name} tag, with one manifest stream', async () => {
    const dir = await copy('kyma-functions');
    const uniq = uniqueTag();
    images.push(`rt-test/rtbuild-kyma-fn-vendored:${uniq}`, `rt-test/rtbuild-kyma-fn-plain:${uniq}`);
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', join(dir, 'functions.yaml'), '--tag', `rt-test/rtbuild-kyma-{name}:${uniq}`, '--manifest', '-']);
    assert.equal(run.status, 0, run.stderr);
    const fns = parseFunctionResources(run.stdout, 'stdout');
    assert.deepEqual(fns.map((fn) => [fn.metadata.name, fn.spec.runtimeImageOverride]), [
      ['fn-vendored', `rt-test/rtbuild-kyma-fn-vendored:${uniq}`],
      ['fn-plain', `rt-test/rtbuild-kyma-fn-plain:${uniq}`],
    ]);
    assert.equal((await askUnderKymaLaunch(engine, fns[1] as (typeof fns)[number])).body, 'plain');
  });

  test('OVR-INPUT: a folder as `kyma function init` writes it (handler.js + package.json with no dependencies) builds in both modes', async () => {
    const dir = join(await copy('node-file-deps', 'init-fn'), '..', 'kyma-init');
    await cp(join(FIXTURES, 'node-hello', 'handler.js'), join(dir, 'handler.js'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'init-fn', version: '1.0.0', dependencies: {} }, null, 2));
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir, '--tag', localTag('init'), '--manifest', '-']);
    assert.equal(run.status, 0, run.stderr);
    const [fn] = parseFunctionResources(run.stdout, 'stdout');
    assert.equal(fn?.metadata.name, 'kyma-init');
    const legacy = await runRtbuild(['--base-image', NODE_BASE, '--source', dir, '--tag', localTag('init-legacy')]);
    assert.equal(legacy.status, 0, legacy.stderr);
  });

  test('file: dependencies in the legacy image too: the vendored tarball and the folder are installed (issue 14: was npm ENOENT)', async () => {
    const dir = await copy('node-file-deps');
    const tag = localTag('legacy-file');
    jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--json']));
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'vendored hello to node-file-deps, from a local folder' });
  });

  test('a file: dependency outside the source folder is refused naming the spec, in both modes', async () => {
    for (const target of ['function', 'kyma']) {
      const run = await runRtbuild(['--for', target, '--base-image', NODE_BASE, '--source', join(FIXTURES, 'node-outside-deps')]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^error: package\.json dependencies\.rt-fixture-greeter points at "\.\.\/greeter-pkg", outside the source folder /m);
      assert.match(run.stderr, /^hint: only what is inside the source folder reaches the build/m);
    }
  });

  test('--for kyma refuses sources a Kyma Function cannot carry: another code file, a handler.mjs', async () => {
    const dir = await copy('node-hello');
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^error: a Kyma Function has one source file \(handler\.js\); lib\/shout\.js would be missing at run time$/m);
    await rm(join(dir, 'lib'), { recursive: true });
    await cp(join(dir, 'handler.js'), join(dir, 'handler.mjs'));
    await rm(join(dir, 'handler.js'));
    const mjs = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir]);
    assert.equal(mjs.status, 2, mjs.stderr);
    assert.match(mjs.stderr, /^error: Kyma's launch writes the inline source to handler\.js, but the handler of .* is handler\.mjs$/m);
  });

  test('FIN-SECRETS for override images: an --npmrc token is in no layer of the image', async () => {
    const dir = await copy('node-file-deps');
    const token = `npm_${uniqueTag()}KYMASECRET`;
    const npmrc = join(dir, '..', 'private.npmrc');
    await writeFile(npmrc, `//registry.example/:_authToken=${token}\n`);
    const tag = localTag('secret');
    const run = await runRtbuild(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--npmrc', npmrc, '--json']);
    const result = jsonResult<FunctionImageResult>(run);
    assert.ok(!run.stderr.includes(token));
    assert.deepEqual((await savedEntriesContaining(engine, result.imageId, token)).hits, []);
  });
});
