// The rtcheck command as a user runs it: a child process, exit codes 0 / 1 / 2, reports on stdout and
// in files, clear messages without stack traces, and no containers left behind, even when interrupted.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Engine, LABEL_OWNER } from '../../src/engine/index.js';
import { baseImage, testEngine } from '../support/engine.js';
import { type CliRun, startCli } from '../support/cli.js';
import { pollUntil } from '../support/net.js';
import { fixtureImage } from '../support/rtcheck.js';
import { CLAUSES, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';

/** Every clause rtcheck checks: sections 1–9 (own entrypoint) and 11 (Kyma's launch). */
const CHECKED = CLAUSES.filter((clause) => RTCHECK_SECTIONS.includes(clause.section)).length;

type Run = CliRun;

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  return startCli('rtcheck', args, { env, timeoutMs: 90_000 });
}

const rtcheck = (args: string[], env: Record<string, string> = {}): Promise<Run> => start(args, env).done;

function noStack(run: Run): void {
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
}

describe('rtcheck CLI', () => {
  let engine: Engine;
  let good: string;
  let dir: string;
  before(async () => {
    engine = await testEngine();
    good = await fixtureImage(engine, 'good', baseImage('node'));
    dir = await mkdtemp(join(tmpdir(), 'rtcheck-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the reference runtime: exit 0, a text line per clause of both launches on stdout, JSON and JUnit files', async () => {
    const json = join(dir, 'report.json');
    const junit = join(dir, 'report.xml');
    const run = await rtcheck([good, '--json', json, '--junit', junit]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS {2}HTTP-LIMIT +MUST/m);
    assert.match(run.stdout, /^PASS {2}KB-LAUNCH +MUST/m);
    assert.match(run.stdout, /^The image's own entrypoint .*$[\s\S]*^Kyma's buildless launch \(section 11; emulating kyma-project\/serverless .*@ 779485d/m);
    assert.match(run.stdout, new RegExp(`^${CHECKED} passed, 0 failed, 0 warnings, 0 skipped in [\\d.]+ s$`, 'm'));
    const report = JSON.parse(await readFile(json, 'utf8')) as { exitCode: number; results: unknown[]; readyMs: number };
    assert.equal(report.exitCode, 0);
    assert.equal(report.results.length, CHECKED);
    assert.equal(typeof report.readyMs, 'number');
    const xml = await readFile(junit, 'utf8');
    assert.equal(xml.match(/<testcase /g)?.length, CHECKED);
    assert.match(xml, /failures="0"/);
  });

  test('IMG-USER: a root image exits 1 and the report says what failed and what to do', async () => {
    const image = await fixtureImage(engine, 'root-user', baseImage('node'));
    const run = await rtcheck([image, '--only', 'image,LOAD-READY']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL {2}IMG-USER +MUST +the image user "0" is root/m);
    assert.match(run.stdout, /--- IMG-USER \(MUST\)[\s\S]*hint: use a non-root numeric uid/);
    assert.match(run.stdout, /^PASS {2}LOAD-READY/m);
  });

  test('--quick: the image config and one smoke invocation under each launch', async () => {
    const run = await rtcheck([good, '--quick']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS {2}LOAD-READY/m);
    assert.match(run.stdout, /^PASS {2}KB-LAUNCH/m);
    assert.match(run.stdout, /^SKIP {2}HTTP-LIMIT +MUST +skipped by --quick$/m);
    assert.match(run.stdout, /^SKIP {2}KB-DEPS +MUST +skipped by --quick$/m);
  });

  test('--launch kyma: only section 11, under Kyma\'s launch; a bad --launch is exit 2', async () => {
    const run = await rtcheck([good, '--launch', 'kyma', '--json', '-']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { results: { clause: string; launch: string; status: string }[] };
    assert.deepEqual(report.results.map((r) => `${r.clause} ${r.launch} ${r.status}`), ['KB-LAUNCH', 'KB-GIT', 'KB-DEPS', 'KB-CONTRACT', 'KB-PROBES', 'KB-TERM'].map((c) => `${c} kyma pass`));
    const bad = await rtcheck([good, '--launch', 'knative']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /use entrypoint, kyma or both/);
  });

  test('--json - prints the JSON report on stdout instead of the text', async () => {
    const run = await rtcheck([good, '--only', 'IMG-USER', '--json', '-']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { results: { clause: string; status: string }[] };
    assert.deepEqual(report.results.map((r) => [r.clause, r.status]), [['IMG-USER', 'pass']]);
  });

  test('OVR-MANIFEST + OVR-BAKED: --function checks the Function resource that runs the image and runs its source with no registry', async () => {
    const yaml = (await readFile(join(import.meta.dirname, '..', 'fixtures', 'rtcheck-function', 'function.yaml'), 'utf8')).replace('IMAGE_UNDER_TEST', good);
    const file = join(dir, 'function.yaml');
    await writeFile(file, yaml);
    const run = await rtcheck([good, '--function', file, '--only', 'OVR-MANIFEST,OVR-BAKED', '--json', '-']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { results: { clause: string; status: string; message: string }[] };
    assert.deepEqual(report.results.map((r) => `${r.clause} ${r.status}`), ['OVR-BAKED pass', 'OVR-MANIFEST pass']);
    assert.match(report.results[0]!.message, /no registry reachable and answered GET \/ with 200/);
    // The same Function naming another image fails OVR-MANIFEST, and OVR-BAKED waits for it.
    await writeFile(file, yaml.replace(good, 'registry.example/other:1'));
    const other = await rtcheck([good, '--function', file, '--only', 'OVR-MANIFEST,OVR-BAKED', '--json', '-']);
    assert.equal(other.status, 1, other.stderr);
    const wrong = JSON.parse(other.stdout) as { results: { clause: string; status: string; message: string }[] };
    assert.deepEqual(wrong.results.map((r) => `${r.clause} ${r.status}`), ['OVR-BAKED blocked', 'OVR-MANIFEST fail']);
    assert.match(wrong.results[1]!.message, /runtimeImageOverride names registry\.example\/other:1/);
    // No Function in the file, or an unknown name: exit 2 with what to do.
    const none = await rtcheck([good, '--function', file, '--function-name', 'nope']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /has no Function named nope/);
  });

  test('exit 2: a missing image, with a hint and no stack trace', async () => {
    const run = await rtcheck(['rtcheck-fixture/does-not-exist:never']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^error: image rtcheck-fixture\/does-not-exist:never is not in the engine$/m);
    assert.match(run.stderr, /^hint: /m);
    noStack(run);
  });

  test('exit 2: an unknown runtime, and an image without FUNC_RUNTIME unless --runtime is given', async () => {
    const unknown = await rtcheck([good, '--runtime', 'cobol85']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^error: unknown runtime "cobol85"$/m);
    assert.match(unknown.stderr, /^hint: supported: nodejs20, nodejs22, nodejs24, python312, or any nodejs<major> \/ python3<minor>/m);
    noStack(unknown);
    const image = await fixtureImage(engine, 'no-runtime-env', baseImage('node'));
    const undeclared = await rtcheck([image]);
    assert.equal(undeclared.status, 2);
    assert.match(undeclared.stderr, /does not set FUNC_RUNTIME \(IMG-RUNTIME\) and no --runtime was given/);
    assert.match(undeclared.stderr, /^hint: add ENV FUNC_RUNTIME=<id> to the image \(e\.g\. nodejs22, python312\), or pass --runtime <id>$/m);
  });

  test('exit 2: no engine at DOCKER_HOST, bad --only, bad --timeout, no image', async () => {
    const noEngine = await rtcheck([good], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    assert.equal(noEngine.status, 2);
    assert.match(noEngine.stderr, /^error: no Docker engine answers at unix:\/\/\/nonexistent\.sock/m);
    noStack(noEngine);
    const badOnly = await rtcheck([good, '--only', 'HTTP-NOPE']);
    assert.equal(badOnly.status, 2);
    assert.match(badOnly.stderr, /"HTTP-NOPE" is neither a clause id nor a group/);
    const badTimeout = await rtcheck([good, '--timeout', 'soon']);
    assert.equal(badTimeout.status, 2);
    assert.match(badTimeout.stderr, /--timeout .* is invalid/);
    const noImage = await rtcheck([]);
    assert.equal(noImage.status, 2);
    assert.match(noImage.stderr, /^error: no image given$/m);
  });

  test('--list shows every clause of sections 1–9 and 11, whether rtcheck checks it, and the runtimes, without an engine', async () => {
    const run = await rtcheck(['--list'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    assert.equal(run.status, 0, run.stderr);
    const [clauses = '', runtimes = ''] = run.stdout.trim().split('\n\n');
    const lines = clauses.split('\n');
    assert.equal(lines.length, CHECKED);
    assert.match(lines[0]!, /^IMG-USER +MUST +image +checked/);
    assert.match(lines.at(-1)!, /^KB-TERM +SHOULD +kyma +checked/);
    assert.match(runtimes, /^runtimes: nodejs20 \(deprecated\), nodejs22, nodejs24, python312; any nodejs<major> or python3<minor> of the same API$/);
  });

  test('LC-TERM: a check still running at the global deadline (--timeout) fails, the run ends and leaves nothing behind', async () => {
    const image = await fixtureImage(engine, 'shell-wrapper', baseImage('node'));
    const { child, done } = start([image, '--only', 'LC-TERM,IMG-USER', '--timeout', '4']);
    const run = await done;
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL {2}LC-TERM +MUST +did not finish before the global deadline \(--timeout 4 s\)/m);
    assert.match(run.stdout, /^PASS {2}IMG-USER/m);
    // It ends at the deadline, not when the check would have ended (it would hang for FUNC_TIMEOUT and more).
    assert.ok(run.ms < 30_000, `took ${run.ms} ms`);
    assert.deepEqual(await engine.listContainers({ [LABEL_OWNER]: `${hostname()}:${child.pid}` }), []);
  });

  test('--keep leaves the containers and names them; they are removed here', async () => {
    const { child, done } = start([good, '--only', 'LOAD-READY', '--keep']);
    const run = await done;
    assert.equal(run.status, 0, run.stderr);
    const kept = await engine.listContainers({ [LABEL_OWNER]: `${hostname()}:${child.pid}` });
    try {
      assert.equal(kept.length, 1);
      assert.match(run.stderr, new RegExp(`kept containers .*${kept[0]!.id.slice(0, 12)}`));
    } finally {
      await engine.removeContainers({ [LABEL_OWNER]: `${hostname()}:${child.pid}` });
    }
  });

  test('interrupted with SIGINT mid-run: every container it created is removed', async () => {
    const { child, done } = start([good, '--verbose']);
    const owner = `${hostname()}:${child.pid}`;
    await pollUntil('a container of the rtcheck child', async () => ((await engine.listContainers({ [LABEL_OWNER]: owner })).length > 0 ? true : undefined), { timeoutMs: 20_000, intervalMs: 20 });
    child.kill('SIGINT');
    const run = await done;
    assert.ok(run.signal === 'SIGINT' || run.status !== 0, `ended with ${run.status ?? run.signal}`);
    assert.deepEqual(await engine.listContainers({ [LABEL_OWNER]: owner }), []);
  });
});
