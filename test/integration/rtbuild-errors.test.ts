// rtbuild's answers to bad input and failed builds, through the CLI: exit 2 (could not run: bad
// input, no engine, missing base) before any build, exit 1 (the build failed) with the install output.
import assert from 'node:assert/strict';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { baseImage, testEngine, uniqueTag } from '../support/engine.js';
import { FIXTURES, buildFixtureBase, copyFixture, runRtbuild, startNpmRegistry } from '../support/rtbuild.js';

const fixture = (name: string): string => join(FIXTURES, name);

describe('rtbuild: bad input and failing builds', () => {
  let engine: Engine;
  let nodeBase: string;
  const roots: string[] = [];

  before(async () => {
    engine = await testEngine();
    nodeBase = await buildFixtureBase(engine, 'nodejs');
  });
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
    await engine.removeImage(nodeBase, { force: true });
  });

  /** Exit code, the first "error:" line, and no stack trace. */
  function assertRefused(run: { status: number | null; stderr: string }, status: number, message: RegExp): void {
    assert.equal(run.status, status, run.stderr);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /^hint: /m, 'a hint says what to try');
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  }

  test('no handler file: exit 2 naming the expected files', async () => {
    const run = await runRtbuild(['--base-image', nodeBase, '--source', fixture('no-handler')]);
    assertRefused(run, 2, /^error: no handler in .*no-handler: expected one of handler\.js, handler\.mjs, handler\.cjs \(nodejs runtime\)/m);
  });

  test('a package.json that does not parse: exit 2 before any build', async () => {
    const run = await runRtbuild(['--base-image', nodeBase, '--source', fixture('node-broken-package')]);
    assertRefused(run, 2, /^error: .*node-broken-package\/package\.json is not valid JSON/m);
    assert.doesNotMatch(run.stderr, /Step 1/, 'nothing was built');
  });

  test('a symlink out of the source folder: exit 2 naming the link', async () => {
    const { root, dir } = await copyFixture('node-hello');
    roots.push(root);
    await symlink('../../../../etc/passwd', join(dir, 'lib', 'passwd.js'));
    const run = await runRtbuild(['--base-image', nodeBase, '--source', dir]);
    assertRefused(run, 2, /^error: lib\/passwd\.js is a symlink to "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd", which leaves /m);
  });

  test('a base image that is neither local nor pullable: exit 2 naming it', async () => {
    const missing = `127.0.0.1:5000/rt-test/no-such-base:${uniqueTag()}`;
    const run = await runRtbuild(['--base-image', missing, '--source', fixture('node-hello')]);
    assertRefused(run, 2, new RegExp(`^error: image ${missing.replace(/[.]/g, '\\.')} is not in the engine`, 'm'));
    assert.match(run.stderr, /pull of .* failed/, 'the pull failure is the evidence');
  });

  test('a base image without FUNC_RUNTIME: exit 2', async () => {
    const run = await runRtbuild(['--base-image', baseImage('node'), '--source', fixture('node-hello')]);
    assertRefused(run, 2, /^error: the base image .* does not declare FUNC_RUNTIME/m);
  });

  test('a dependency the registry does not have: exit 1 with the npm output and a hint', async () => {
    const registry = await startNpmRegistry();
    try {
      const run = await runRtbuild(['--base-image', nodeBase, '--source', fixture('node-missing-dep'), '--network', 'host', '--npm-registry', registry.url]);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /^error: image build failed: the step "RUN npm install --omit=dev --ignore-scripts --install-links --no-audit --no-fund --no-update-notifier" exited with code 1$/m);
      const evidence = run.stderr.slice(run.stderr.indexOf('error: image build failed'));
      assert.match(evidence, /^ {2}npm error 404 +'rt-fixture-does-not-exist@1\.0\.0' is not in this registry/m, 'the npm output is the evidence');
      assert.ok(!run.stderr.includes('\u001b['), 'no terminal colour codes');
      assert.match(run.stderr, /^hint: the dependency install \(npm\) failed/m);
    } finally {
      await registry.stop();
    }
  });

  test('--dry-run prints the Dockerfile and the context listing without an engine', async () => {
    const run = await runRtbuild(['--base-image', 'any/base:1', '--source', fixture('node-deps'), '--dry-run'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^FROM \$\{base_image\} AS deps$/m);
    assert.match(run.stdout, /^RUN sh \/rtbuild\/tools\/install\.sh$/m);
    assert.match(run.stdout, /^# {3}npm install --omit=dev --ignore-scripts/m, 'the install script is shown');
    assert.match(run.stdout, /^# {3}function\/kubeless\/handler\.js {2}\d+ B$/m);
    assert.match(run.stdout, /^# {3}rtbuild\/deps\/package\.json {2}\d+ B$/m);
  });

  test('no engine: exit 2', async () => {
    const run = await runRtbuild(['--base-image', 'any/base:1', '--source', fixture('node-hello')], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assertRefused(run, 2, /^error: no Docker engine answers/m);
  });
});
