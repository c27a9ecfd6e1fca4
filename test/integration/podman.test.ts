// Podman is a supported engine (issue 12): the same rtcheck and rtbuild, pointed at Podman's
// Docker-compatible API (scripts/podman.sh starts it; PODMAN_HOST), check the known-good fixture under
// both launches, fail a known-bad one on exactly its clause, build a function image, and leave nothing
// behind on SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Engine, LABEL_OWNER, connectEngine, removeOwnContainers } from '../../src/engine/index.js';
import { CLAUSES, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';
import { baseImage, uniqueTag } from '../support/engine.js';
import { runCliToEnd, startCli } from '../support/cli.js';
import { pollUntil } from '../support/net.js';
import { askFunction } from '../support/rtbuild.js';
import { fixtureImage } from '../support/rtcheck.js';

const PODMAN_HOST = process.env.PODMAN_HOST;
if (!PODMAN_HOST) throw new Error('PODMAN_HOST is not set: run the tests through "make test", which starts Podman (scripts/podman.sh)');
const env = { DOCKER_HOST: PODMAN_HOST };
const CHECKED = CLAUSES.filter((clause) => RTCHECK_SECTIONS.includes(clause.section)).length;

/** Copies an image from the Docker engine into Podman's storage, once. */
async function intoPodman(podman: Engine, image: string): Promise<void> {
  if (await podman.imageExists(image)) return;
  await new Promise<void>((resolve, reject) => {
    const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('podman', ['--url', PODMAN_HOST as string, 'load', '-q'], { stdio: [save.stdout, 'ignore', 'pipe'] });
    let stderr = '';
    load.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    load.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`podman load of ${image} failed: ${stderr}`))));
  });
}

describe('Podman (its Docker-compatible API)', () => {
  let podman: Engine;
  let good: string;
  before(async () => {
    podman = await connectEngine({ env });
    await intoPodman(podman, baseImage('node'));
    good = await fixtureImage(podman, 'good', baseImage('node'));
  });
  after(async () => {
    if (podman) await removeOwnContainers(podman);
  });

  test('rtcheck passes the good fixture runtime on Podman under both launches, every clause', async () => {
    const run = await runCliToEnd('rtcheck', [good, '--json', '-'], { env, timeoutMs: 240_000 });
    assert.equal(run.status, 0, run.stdout.slice(0, 4000) + run.stderr);
    const report = JSON.parse(run.stdout) as { results: { clause: string; status: string; launch: string }[] };
    assert.deepEqual(report.results.filter((r) => r.status !== 'pass').map((r) => `${r.clause} (${r.launch}) ${r.status}`), []);
    assert.equal(report.results.length, CHECKED);
  });

  test('IMG-USER: on Podman the root-user fixture fails exactly IMG-USER', async () => {
    const image = await fixtureImage(podman, 'root-user', baseImage('node'));
    const run = await runCliToEnd('rtcheck', [image, '--launch', 'entrypoint', '--json', '-'], { env, timeoutMs: 240_000 });
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { results: { clause: string; status: string }[] };
    assert.deepEqual(report.results.filter((r) => r.status === 'fail').map((r) => r.clause), ['IMG-USER']);
  });

  test('FIN-BASE: rtbuild builds a function image on Podman, and it answers', async () => {
    await intoPodman(podman, 'rt/nodejs20:dev');
    const tag = `rt-test/podman-fn:${uniqueTag()}`;
    try {
      const built = await runCliToEnd('rtbuild', ['--base-image', 'rt/nodejs20:dev', '--source', join(import.meta.dirname, '..', '..', 'examples', 'hello-nodejs'), '--tag', tag], { env, timeoutMs: 240_000 });
      assert.equal(built.status, 0, built.stderr);
      const answer = await askFunction(podman, tag, { env: { FUNC_NAME: 'podman' } });
      assert.equal(answer.status, 200, answer.body);
    } finally {
      await podman.removeImage(tag, { force: true });
    }
  });

  test('interrupted with SIGINT on Podman: every container it created is removed, promptly', async () => {
    const { child, done } = startCli('rtcheck', [good], { env, timeoutMs: 120_000 });
    const owner = `${hostname()}:${child.pid}`;
    await pollUntil('a container of the rtcheck child on Podman', async () => ((await podman.listContainers({ [LABEL_OWNER]: owner })).length > 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 20 });
    child.kill('SIGINT');
    const run = await done;
    assert.ok(run.signal === 'SIGINT' || run.status !== 0, `ended with ${run.status ?? run.signal}`);
    assert.deepEqual(await podman.listContainers({ [LABEL_OWNER]: owner }), []);
  });
});
