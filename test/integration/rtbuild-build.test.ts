// rtbuild against the real engine, a real registry on 127.0.0.1:5000, and real package managers (npm
// and pip inside the build) talking to registries this test serves on 127.0.0.1. Cites FIN-* clauses.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { parseReference } from '../../src/image/reference.js';
import type { Engine } from '../../src/engine/index.js';
import { REGISTRY, testEngine, uniqueTag } from '../support/engine.js';
import {
  askFunction,
  buildFixtureBase,
  copyFixture,
  jsonResult,
  runRtbuild,
  savedEntriesContaining,
  shellInImage,
  startNpmRegistry,
  startPipIndex,
} from '../support/rtbuild.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };

function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd }, (error, stdout, stderr) => (error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))),
  );
}

describe('rtbuild: function images', () => {
  let engine: Engine;
  let nodeBase: string;
  let pythonBase: string;
  const images: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /** A tag for this run, removed after the tests. */
  const tagFor = (name: string): string => {
    const tag = `rt-test/rtbuild-${name}:${uniqueTag()}`;
    images.push(tag);
    return tag;
  };
  const workdir = async (fixture: string): Promise<string> => {
    const { root, dir } = await copyFixture(fixture);
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    return dir;
  };

  before(async () => {
    engine = await testEngine();
    [nodeBase, pythonBase] = await Promise.all([buildFixtureBase(engine, 'nodejs'), buildFixtureBase(engine, 'python')]);
    images.push(nodeBase, pythonBase);
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    for (const image of images) await engine.removeImage(image, { force: true });
  });

  test('a Node function builds on the base image and answers with its output; only its sources ship (FIN-BASE, FIN-SOURCES, FIN-SECRETS, FIN-LABELS)', async () => {
    const dir = await workdir('node-hello');
    await writeFile(join(dir, '.env'), 'DB_PASSWORD=dotenv-secret\n');
    await writeFile(join(dir, '.npmrc'), '//registry.example/:_authToken=npmrc-in-folder\n');
    await mkdir(join(dir, 'node_modules', 'junk'), { recursive: true });
    await writeFile(join(dir, 'node_modules', 'junk', 'index.js'), 'module.exports = 1;\n');
    await git(dir, 'init', '-q');
    await git(dir, 'remote', 'add', 'origin', 'https://user:remote-secret@git.example/team/fn.git');
    await git(dir, 'add', '-A');
    await git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'fixture');
    const revision = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const tag = tagFor('node-hello');
    const result = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tag, '--json'], EPOCH));

    assert.match(result.imageId, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(result.tags, [tag]);
    assert.equal(result.runtime, 'nodejs20');
    assert.deepEqual(result.layers.map((l) => l.role), ['sources']);
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'hello from nodejs20' });

    const info = await engine.inspectImage(tag);
    const base = await engine.inspectImage(nodeBase);
    assert.equal(info.user, '1000', 'FIN-BASE: the base image user');
    assert.deepEqual(info.cmd, base.cmd, 'FIN-BASE: the base command is inherited');
    assert.equal(info.env.FUNC_RUNTIME, 'nodejs20');
    assert.deepEqual(info.layers.slice(0, base.layers.length), base.layers);
    assert.equal(info.labels['org.opencontainers.image.base.name'], nodeBase);
    assert.equal(info.labels['org.opencontainers.image.base.digest'], undefined, 'a base image built here and never pushed has no manifest digest in a registry (issue 12)');
    assert.equal(info.labels['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
    assert.equal(info.labels['org.opencontainers.image.revision'], revision);
    assert.equal(info.labels['org.opencontainers.image.source'], 'https://git.example/team/fn.git', 'the git remote, without credentials');

    const listing = await shellInImage(engine, tag, 'cd /kubeless && find . | sort && stat -c "%u:%g %a %n" . handler.js lib lib/shout.js && (echo x > handler.js || echo not-writable) 2>/dev/null && (touch new.js || echo dir-not-writable) 2>/dev/null');
    assert.equal(
      listing.trim(),
      [
        '.',
        './handler.js',
        './lib',
        './lib/shout.js',
        './tmp',
        './tmp/keep.log',
        '0:0 755 .',
        '0:0 644 handler.js',
        '0:0 755 lib',
        '0:0 644 lib/shout.js',
        'not-writable',
        'dir-not-writable',
      ].join('\n'),
      'the ignore file (tmp, !tmp/keep.log, *.md) and the fixed exclusions (.git, .env, .npmrc, node_modules) hold; sources are root-owned',
    );
  });

  test('a Python function builds on the Python base image and answers with its output', async () => {
    const dir = await workdir('python-hello');
    await mkdir(join(dir, '__pycache__'));
    await writeFile(join(dir, '__pycache__', 'handler.cpython-311.pyc'), 'stale');
    await mkdir(join(dir, '.venv', 'bin'), { recursive: true });
    await symlink('/usr/bin/python3', join(dir, '.venv', 'bin', 'python'));
    const tag = tagFor('python-hello');
    const result = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', pythonBase, '--source', dir, '--tag', tag, '--json']));
    assert.equal(result.runtime, 'python312');
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'hello from python312' });
    assert.equal((await shellInImage(engine, tag, 'ls -A /kubeless')).trim(), 'handler.py', 'no __pycache__, no .venv (and its symlink out is never read)');
  });

  test('npm dependencies come from a registry on 127.0.0.1 (npm ci); a handler-only change reuses the dependency layer (FIN-LAYERS)', async (t) => {
    const registry = await startNpmRegistry();
    cleanups.push(() => registry.stop());
    const dir = await workdir('node-deps');
    await new Promise<void>((resolve, reject) =>
      execFile('npm', ['install', '--package-lock-only', '--ignore-scripts', '--registry', registry.url], { cwd: dir }, (error, _out, stderr) =>
        error ? reject(new Error(stderr)) : resolve(),
      ),
    );
    assert.ok(await stat(join(dir, 'package-lock.json')), 'the host npm wrote a lock file against the test registry');
    const tag = tagFor('node-deps');
    const args = ['--base-image', nodeBase, '--source', dir, '--tag', tag, '--network', 'host', '--npm-registry', registry.url, '--json'];
    const firstRun = await runRtbuild(args);
    const first = jsonResult<FunctionImageResult>(firstRun);
    assert.match(firstRun.stderr, /npm ci --omit=dev/);
    assert.match(firstRun.stderr, /added 1 package/, 'the npm output is shown as progress');
    assert.doesNotMatch(firstRun.stderr, /npm rebuild|npm run prepare/, 'no install scripts anywhere: no npm start for them (issue 16)');
    assert.deepEqual(first.layers.map((l) => l.role), ['dependencies', 'sources']);
    assert.ok(first.layers.every((l) => typeof l.size === 'number' && l.size > 0), JSON.stringify(first.layers));
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, node-deps, from rt-fixture-greeter' });
    const fetched = registry.requests.length;
    assert.ok(registry.requests.some((line) => /^GET \/rt-fixture-greeter\/-\/rt-fixture-greeter-1\.0\.0\.tgz 200$/.test(line)), registry.requests.join('\n'));

    await writeFile(join(dir, 'handler.js'), "const greeter = require('rt-fixture-greeter');\n\nmodule.exports = { main: () => greeter.greet('edited') };\n");
    const secondRun = await runRtbuild(args);
    const second = jsonResult<FunctionImageResult>(secondRun);
    t.diagnostic(`full build ${first.timingsMs.build} ms (total ${first.timingsMs.total} ms); sources-only rebuild ${second.timingsMs.build} ms (total ${second.timingsMs.total} ms)`);
    assert.equal(second.layers[0]?.diffId, first.layers[0]?.diffId, 'the dependency layer is reused');
    assert.notEqual(second.layers[1]?.diffId, first.layers[1]?.diffId, 'the source layer is new');
    assert.equal(registry.requests.length, fetched, 'nothing was installed again');
    assert.doesNotMatch(secondRun.stderr, /added 1 package/);
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, edited, from rt-fixture-greeter' });
  });

  test('a private registry token from --npmrc is in no layer and no log line (FIN-SECRETS)', async () => {
    const token = `npm_${uniqueTag()}SECRETTOKEN`;
    const registry = await startNpmRegistry({ token });
    cleanups.push(() => registry.stop());
    const dir = await workdir('node-deps');
    const npmrc = join(dir, '..', 'private.npmrc');
    const host = registry.url.replace(/^http:/, '');
    await writeFile(npmrc, `registry=${registry.url}\n${host}:_authToken=${token}\nalways-auth=true\n`);
    const tag = tagFor('node-private');
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tag, '--network', 'host', '--npmrc', npmrc, '--json']);
    const result = jsonResult<FunctionImageResult>(run);
    assert.match(run.stderr, /npm install --omit=dev .*--userconfig/, 'no lock file: npm install');
    assert.ok(registry.requests.every((line) => line.endsWith(' 200')), `every request carried the token:\n${registry.requests.join('\n')}`);
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, node-deps, from rt-fixture-greeter' });

    assert.ok(!run.stderr.includes(token) && !run.stdout.includes(token), 'the token is in no log line');
    const scan = await savedEntriesContaining(engine, result.imageId, token);
    assert.ok(scan.scanned > 3, `docker save had ${scan.scanned} entries`);
    assert.deepEqual(scan.hits, [], 'the token is in no layer, config or manifest of the final image');
    const npmrcNames = await savedEntriesContaining(engine, result.imageId, 'rtbuild-secrets');
    assert.deepEqual(npmrcNames.hits, [], 'not even the secrets folder name reaches the image');
  });

  test('a pip dependency comes from an index on 127.0.0.1 given in a --pip-conf with credentials, which stay out of the image', async () => {
    const credentials = { username: 'rt-user', password: `pw${uniqueTag()}` };
    const index = await startPipIndex({ credentials });
    cleanups.push(() => index.stop());
    const dir = await workdir('python-deps');
    const pipConf = join(dir, '..', 'pip.conf');
    const url = new URL('simple/', index.url);
    await writeFile(pipConf, `[global]\nindex-url = http://${credentials.username}:${credentials.password}@${url.host}${url.pathname}\n`);
    const tag = tagFor('python-deps');
    const run = await runRtbuild(['--base-image', pythonBase, '--source', dir, '--tag', tag, '--network', 'host', '--pip-conf', pipConf, '--json']);
    const result = jsonResult<FunctionImageResult>(run);
    assert.deepEqual(result.layers.map((l) => l.role), ['dependencies', 'sources']);
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, python-deps, from rtwheel' });
    assert.match(await shellInImage(engine, tag, 'ls /kubeless/lib'), /rtwheel/, 'installed into $KUBELESS_INSTALL_VOLUME/lib');
    assert.ok(!run.stderr.includes(credentials.password), 'the password is in no log line');
    assert.deepEqual((await savedEntriesContaining(engine, result.imageId, credentials.password)).hits, []);
  });

  test('--pip-index-url points pip at an index on 127.0.0.1', async () => {
    const index = await startPipIndex();
    cleanups.push(() => index.stop());
    const dir = await workdir('python-deps');
    const tag = tagFor('python-index');
    const run = await runRtbuild(['--base-image', pythonBase, '--source', dir, '--tag', tag, '--network', 'host', '--pip-index-url', `${index.url}simple/`, '--json']);
    jsonResult<FunctionImageResult>(run);
    assert.ok(index.requests.some((line) => line.startsWith('GET /files/rtwheel-1.0.0-py3-none-any.whl 200')), index.requests.join('\n'));
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, python-deps, from rtwheel' });
  });

  test('--push sends the image to the registry on 127.0.0.1:5000 and reports its digest', async () => {
    const dir = await workdir('node-hello');
    const remote = `${REGISTRY}/rt-test/rtbuild-push:${uniqueTag()}`;
    images.push(remote);
    const result = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', remote, '--push', '--json']));
    assert.equal(result.pushed.length, 1);
    assert.equal(result.pushed[0]?.reference, remote);
    assert.match(result.pushed[0]?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    const manifest = await fetch(`http://${REGISTRY}/v2/rt-test/rtbuild-push/manifests/${result.pushed[0]?.digest}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(manifest.status, 200, 'the registry serves the manifest under the reported digest');
  });

  test('--platform of the base image builds for it; a base image of another platform is refused before the build, not mislabelled', async () => {
    const dir = await workdir('node-hello');
    const amd64 = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tagFor('platform'), '--platform', 'linux/amd64', '--json']));
    assert.equal((await engine.inspectImage(amd64.imageId)).architecture, 'amd64');

    // In a registry on 127.0.0.1 the base has only linux/amd64: rtbuild asks it for arm64 and refuses.
    const remoteBase = `${REGISTRY}/rt-test/rtbuild-platform-base:${uniqueTag()}`;
    images.push(remoteBase);
    await engine.tagImage(nodeBase, parseReference(remoteBase));
    await engine.pushImage(parseReference(remoteBase));
    const run = await runRtbuild(['--base-image', remoteBase, '--source', dir, '--tag', tagFor('platform-arm64'), '--platform', 'linux/arm64']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^error: the base image \S+ is linux\/amd64, not linux\/arm64$/m);
    assert.match(run.stderr, /^hint: use a base image built for linux\/arm64/m);
    assert.doesNotMatch(run.stderr, /^ {2}\[/m, 'no build step ran');
  });

  test('--builder classic builds the same function image on the legacy builder, dependency layer first (FIN-LAYERS)', async () => {
    const registry = await startNpmRegistry();
    cleanups.push(() => registry.stop());
    const dir = await workdir('node-deps');
    const tag = tagFor('classic');
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tag, '--builder', 'classic', '--network', 'host', '--npm-registry', registry.url, '--json']);
    const result = jsonResult<FunctionImageResult>(run);
    assert.match(run.stderr, /^ {2}Step \d+\/\d+ : RUN sh \/rtbuild\/tools\/install\.sh$/m, 'the legacy builder reports "Step n/m"');
    assert.match(run.stderr, /^ {2}rtbuild: npm install --omit=dev --ignore-scripts/m);
    assert.deepEqual(result.layers.map((l) => l.role), ['dependencies', 'sources']);
    assert.ok(result.layers.every((l) => typeof l.size === 'number' && l.size > 0), JSON.stringify(result.layers));
    assert.deepEqual(await askFunction(engine, tag), { status: 200, body: 'greetings, node-deps, from rt-fixture-greeter' });
  });
});
