// rtbuild against hostile sources (issue 15, items 7-10), through the CLI and the real engine: install
// scripts that go after the registry credential (FIN-SECRETS), a dependency that carries it, hard
// links out of the folder, very large files, and --json on errors. Each test failed on the code before
// the fix (noted at each).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, link, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { testEngine, uniqueTag } from '../support/engine.js';
import { FIXTURES, buildFixtureBase, jsonResult, runRtbuild, savedEntriesContaining, shellInImage } from '../support/rtbuild.js';

describe('rtbuild hardening: hostile sources and scripts', () => {
  let engine: Engine;
  let nodeBase: string;
  let pythonBase: string;
  const images: string[] = [];
  const roots: string[] = [];

  const tagFor = (name: string): string => {
    const tag = `rt-test/rtbuild-hard-${name}:${uniqueTag()}`;
    images.push(tag);
    return tag;
  };
  const copy = async (fixture: string): Promise<string> => {
    const root = await mkdtemp(join(tmpdir(), 'rt-rtbuild-hard-'));
    roots.push(root);
    await cp(join(FIXTURES, fixture), join(root, fixture), { recursive: true });
    return join(root, fixture);
  };

  before(async () => {
    engine = await testEngine();
    [nodeBase, pythonBase] = await Promise.all([buildFixtureBase(engine, 'nodejs'), buildFixtureBase(engine, 'python')]);
    images.push(nodeBase, pythonBase);
  });
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
    for (const image of images) await engine.removeImage(image, { force: true });
  });

  // Before: the token was in the dependency layer (the preinstall copied /rtbuild-secrets/npmrc).
  for (const builder of ['buildkit', 'classic'] as const) {
    test(`FIN-SECRETS (${builder}): the Function's preinstall and a dependency's postinstall copying every credential path get nothing into any layer`, async () => {
      const dir = await copy('node-leaky-scripts');
      const token = `npm_${uniqueTag()}LEAKYTOKEN`;
      const npmrc = join(dir, '..', 'private.npmrc');
      await writeFile(npmrc, `//registry.example/:_authToken=${token}\n`);
      const tag = tagFor(`leaky-${builder}`);
      const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tag, '--npmrc', npmrc, '--builder', builder, '--json']);
      const result = jsonResult<FunctionImageResult>(run);
      assert.match(run.stderr, /npm rebuild \(install scripts\) as user 1000, without the credential/);
      const scan = await savedEntriesContaining(engine, result.imageId, token);
      assert.ok(scan.scanned > 3);
      assert.deepEqual(scan.hits, [], 'the token is in no layer');
      const files = await shellInImage(engine, tag, 'ls -la /kubeless/node_modules/x /kubeless/node_modules/rt-leaky-dep');
      assert.match(files, /stolen\.txt/, 'the scripts ran (and found nothing to steal)');
    });
  }

  // Issue 16: npm rebuild runs only when something has install scripts. Here only a dependency has one
  // (npm marks it in node_modules/.package-lock.json): it must run; the Function has no prepare: none.
  test('a dependency\'s install script runs (as the user) when the Function itself has none; no prepare step without a prepare script', async () => {
    const dir = await copy('node-leaky-scripts');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'only-dep-scripts', version: '1.0.0', dependencies: { 'rt-leaky-dep': 'file:leaky-dep' } }));
    const tag = tagFor('dep-scripts');
    // --no-cache: the progress must show the install step running.
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tag, '--no-cache', '--json']);
    jsonResult<FunctionImageResult>(run);
    assert.match(run.stderr, /rtbuild: npm rebuild \(install scripts\) as user 1000/);
    assert.doesNotMatch(run.stderr, /npm run prepare/);
    assert.match(await shellInImage(engine, tag, 'ls /kubeless/node_modules/rt-leaky-dep'), /stolen\.txt/, 'the postinstall ran');
  });

  // Before: no scan; the token was shipped in node_modules/rt-carrier/config.js.
  test('FIN-SECRETS: a dependency that carries a value of the credential fails the build, naming the file (SECRET_LEAKED)', async () => {
    const dir = await copy('node-deps');
    const token = `npm_${uniqueTag()}CARRIEDTOKEN`;
    await mkdir(join(dir, 'carrier'));
    await writeFile(join(dir, 'carrier', 'package.json'), JSON.stringify({ name: 'rt-carrier', version: '1.0.0' }));
    await writeFile(join(dir, 'carrier', 'config.js'), `module.exports = { token: '${token}' };\n`);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'carrier-fn', version: '1.0.0', dependencies: { 'rt-carrier': 'file:carrier' } }));
    const npmrc = join(dir, '..', 'private.npmrc');
    await writeFile(npmrc, `//registry.example/:_authToken=${token}\n`);
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--tag', tagFor('carrier'), '--npmrc', npmrc, '--json']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^error: a value of the credential .*private\.npmrc was found in the installed dependencies: \/kubeless\/node_modules\/rt-carrier\/config\.js$/m);
    assert.ok(!run.stderr.includes(token) && !run.stdout.includes(token), 'the token is printed nowhere');
    assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, 'SECRET_LEAKED');
  });

  // Before: no scan; the password was shipped in lib/rtleak/settings.py.
  test('FIN-SECRETS (pip): a wheel that carries the --pip-conf password fails the build, naming the file', async () => {
    const dir = await copy('python-file-deps');
    const password = `pw${uniqueTag()}PIPSECRET`;
    const wheel = join(dir, 'vendor', 'rtleak-1.0.0-py3-none-any.whl');
    const make = [
      'import sys, zipfile',
      'w = zipfile.ZipFile(sys.argv[1], "w")',
      'w.writestr("rtleak/__init__.py", "PASSWORD = %r\\n" % sys.argv[2])',
      'w.writestr("rtleak-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: rtleak\\nVersion: 1.0.0\\n")',
      'w.writestr("rtleak-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
      'w.writestr("rtleak-1.0.0.dist-info/RECORD", "")',
      'w.close()',
    ].join('\n');
    await new Promise<void>((resolve, reject) => execFile('python3', ['-c', make, wheel, password], (error) => (error ? reject(new Error(error.message)) : resolve())));
    await writeFile(join(dir, 'requirements.txt'), './vendor/rtwheel-1.0.0-py3-none-any.whl\n./vendor/rtleak-1.0.0-py3-none-any.whl\n');
    const pipConf = join(dir, '..', 'pip.conf');
    await writeFile(pipConf, `[global]\nindex-url = http://rt-user:${password}@127.0.0.1:9/simple\n`);
    const run = await runRtbuild(['--base-image', pythonBase, '--source', dir, '--tag', tagFor('pip-leak'), '--pip-conf', pipConf]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^error: a value of the credential .*pip\.conf was found in the installed dependencies: \/kubeless\/lib\/rtleak\/__init__\.py(, |$)/m);
    assert.ok(!run.stderr.includes(password));
  });

  // Before: the hard link was copied in silently (symlinks were refused).
  test('a hard link to a file outside the source folder is refused like a symlink', async () => {
    const dir = await copy('node-hello');
    const outside = join(dir, '..', 'outside-secret.txt');
    await writeFile(outside, 'not for the image\n');
    await link(outside, join(dir, 'lib', 'linked.txt'));
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir, '--dry-run']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^error: lib\/linked\.txt is a hard link to a file outside .* \(it has 2 names, 1 of them here\)$/m);
    assert.match(run.stderr, /^hint: copy the file into the folder instead of linking to it, or exclude it$/m);
  });

  // Before: the file was read into memory whole (RSS 584 MB for 500 MB) and no warning was given.
  test('a 300 MB file streams into the build (rtbuild stays far below its size) and gets a warning', async () => {
    const dir = await copy('node-hello');
    await truncate(join(dir, 'lib', 'big.bin'), 0).catch(() => undefined);
    await writeFile(join(dir, 'lib', 'big.bin'), '');
    await truncate(join(dir, 'lib', 'big.bin'), 300 * 1024 * 1024);
    const tag = tagFor('big');
    const run = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      execFile(
        '/usr/bin/time',
        ['-f', 'peak-rss-kb=%M', process.execPath, '--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'rtbuild.ts'), '--base-image', nodeBase, '--source', dir, '--tag', tag],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /^warning: lib\/big\.bin is 300 MB; it goes into the source layer/m);
    const peakMb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]) / 1024;
    assert.ok(peakMb < 200, `rtbuild's peak RSS was ${peakMb.toFixed(0)} MB for a 300 MB file`);
  });

  // Before: --json printed nothing on stdout when rtbuild failed.
  test('--json prints one JSON error object on stdout for bad input and for unknown flags', async () => {
    const missing = await runRtbuild(['--base-image', nodeBase, '--source', '/nonexistent/fn', '--json']);
    assert.equal(missing.status, 2);
    const body = JSON.parse(missing.stdout) as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'INVALID_INPUT');
    assert.match(body.error.message, /^the source folder \/nonexistent\/fn does not exist or is not a folder$/);
    assert.match(body.error.hint, /--source/);
    const unknown = await runRtbuild(['--json', '--no-such-flag']);
    assert.equal(unknown.status, 2);
    assert.equal((JSON.parse(unknown.stdout) as { error: { code: string } }).error.code, 'INVALID_INPUT');
  });
});
