// rtbuild --watch (issue 16): one process builds, then builds again after every change of the sources.
// Each round must make exactly the image a one-shot rtbuild makes of the same sources (FIN-LAYERS: the
// same layers, so the same image id with SOURCE_DATE_EPOCH fixed), a round that fails must be reported
// while the watching goes on, the files rtbuild writes itself (--manifest) must start no round, and
// SIGINT must end it cleanly. Every wait is a deadline on a line of its --json output.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { projectRuntime } from '../../src/platform/runtimes.js';
import type { FunctionImageResult } from '../../src/rtbuild/function/builder.js';
import { type CliRun, startCli } from '../support/cli.js';
import { uniqueTag } from '../support/engine.js';
import { pollUntil } from '../support/net.js';
import { RtbuildWorkspace, jsonResult, runRtbuild } from '../support/rtbuild.js';

const NODE_BASE = projectRuntime('nodejs20').project.devTag;

type Round = Omit<Partial<FunctionImageResult>, 'timingsMs'> & { timingsMs?: Record<string, number>; round: number; changed?: string; error?: { code: string; message: string } };

/** The watching rtbuild: its --json lines as they come, and its end. */
class Watcher {
  private readonly lines: Round[] = [];
  private buffer = '';
  constructor(
    readonly child: ChildProcess,
    readonly done: Promise<CliRun>,
  ) {
    child.stdout?.on('data', (data: Buffer) => {
      this.buffer += data.toString();
      const parts = this.buffer.split('\n');
      this.buffer = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') this.lines.push(JSON.parse(line) as Round);
    });
  }

  /** The JSON line of round `number`, once rtbuild printed it. */
  round(number: number): Promise<Round> {
    return this.first(`round ${number}`, (line) => line.round === number);
  }

  /** The first JSON line that `wanted` accepts, once rtbuild printed it. */
  first(what: string, wanted: (line: Round) => boolean): Promise<Round> {
    return pollUntil(`${what} of rtbuild --watch`, () => Promise.resolve(this.lines.find(wanted)), { timeoutMs: 180_000 });
  }

  get rounds(): readonly Round[] {
    return this.lines;
  }
}

describe('rtbuild --watch', () => {
  const ws = new RtbuildWorkspace();
  const { images, cleanups } = ws;
  let engine: Engine;
  let cacheDir: string;
  const children: ChildProcess[] = [];
  const env = (): Record<string, string> => ({ RTBUILD_CACHE_DIR: cacheDir, SOURCE_DATE_EPOCH: '1700000000' });

  before(async () => {
    await ws.open();
    ({ engine, cacheDir } = ws);
  });
  after(async () => {
    // A test that failed half-way leaves its rtbuild watching: it ends here, whatever happened.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ws.close();
  });

  const workdir = (fixture: string): Promise<string> => ws.workdir(fixture);
  const watch = (args: string[]): Watcher => {
    const { child, done } = startCli('rtbuild', [...args, '--watch', '--json'], { env: env(), timeoutMs: 600_000 });
    children.push(child);
    return new Watcher(child, done);
  };
  const built = (round: Round): string => {
    assert.equal(round.error, undefined, `round ${round.round} failed: ${JSON.stringify(round.error)}`);
    images.push(round.imageId as string);
    return round.imageId as string;
  };
  /**
   * Saves the file as editors do: the new content is written next to the source folder (outside what is
   * watched) and renamed over the file, one event. A write in place is a truncation and a write, two
   * events: a round may start between them and a second one follow (right, but not countable).
   */
  const edit = async (file: string, line: string): Promise<void> => {
    const saved = join(dirname(dirname(file)), `.${basename(file)}.saving`);
    await writeFile(saved, `${await readFile(file, 'utf8')}\n${line}\n`);
    await rename(saved, file);
  };

  test('FIN-LAYERS: after a handler edit, rtbuild --watch builds the image a one-shot rtbuild makes of the same sources; SIGINT ends it with exit 0', async () => {
    const dir = await workdir('node-hello');
    const tag = `rt-test/watch:${uniqueTag()}`;
    images.push(tag);
    const watcher = watch(['--base-image', NODE_BASE, '--source', dir, '--tag', tag]);
    const first = built(await watcher.round(1));
    await edit(join(dir, 'handler.js'), '// edited while watching');
    const second = await watcher.round(2);
    assert.equal(second.changed, 'handler.js', 'the round names the file whose change started it');
    assert.notEqual(built(second), first, 'the edit is in the image');
    assert.equal(second.path, 'fast', 'a handler edit takes the fast path');
    assert.equal(typeof second.timingsMs?.sinceChange, 'number', 'a later round reports the time from the change to the image');

    const oneShotTag = `rt-test/watch-one-shot:${uniqueTag()}`;
    images.push(oneShotTag);
    const oneShot = jsonResult<FunctionImageResult>(await runRtbuild(['--base-image', NODE_BASE, '--source', dir, '--tag', oneShotTag, '--json'], env()));
    images.push(oneShot.imageId);
    assert.equal(second.imageId, oneShot.imageId, 'the watching round and a one-shot build of the same sources are the same image');
    assert.equal((await engine.inspectImage(tag)).id, second.imageId, 'the tag points at the latest round');

    watcher.child.kill('SIGINT');
    const end = await watcher.done;
    assert.equal(end.status, 0, `exit status after SIGINT (stderr: ${end.stderr})`);
    assert.match(end.stderr, /stopping: no more builds/);
    assert.equal(watcher.rounds.length, 2, 'no round that no change started');
  });

  test('FIN-LAYERS: with dependencies, the first edit after the start already takes the fast path (the base config is read before it)', async () => {
    const dir = await workdir('node-file-deps');
    const tag = `rt-test/watch-deps:${uniqueTag()}`;
    images.push(tag);
    // A cache of its own: the base image's config is not in it yet.
    const ownCache = await mkdtemp(join(tmpdir(), 'rt-rtbuild-cache-'));
    cleanups.push(() => rm(ownCache, { recursive: true, force: true }));
    const { child, done } = startCli('rtbuild', ['--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--watch', '--json'], { env: { ...env(), RTBUILD_CACHE_DIR: ownCache }, timeoutMs: 600_000 });
    children.push(child);
    const watcher = new Watcher(child, done);
    const first = await watcher.round(1);
    built(first);
    assert.equal(first.path, 'build', 'the dependency layer is built the first time');
    await edit(join(dir, 'handler.js'), '// edited while watching');
    const second = await watcher.round(2);
    built(second);
    assert.equal(second.path, 'fast');
    child.kill('SIGINT');
    const end = await done;
    assert.equal(end.status, 0);
    const afterEdit = end.stderr.slice(end.stderr.indexOf('building again (round 2)'));
    assert.ok(end.stderr.includes('reading the config of'), end.stderr);
    assert.doesNotMatch(afterEdit, /reading the config of/, 'the base config was read before the edit, not after it');
  });

  test('a round that fails is reported (INVALID_INPUT, with its round) and the watching goes on to the next', async () => {
    const dir = await workdir('node-hello');
    const tag = `rt-test/watch-fails:${uniqueTag()}`;
    images.push(tag);
    const watcher = watch(['--base-image', NODE_BASE, '--source', dir, '--tag', tag]);
    built(await watcher.round(1));
    // The handler gone: the build cannot start. Put back under a new name and renamed, as editors save.
    await rename(join(dir, 'handler.js'), join(dir, 'handler.js.away'));
    const failed = await watcher.round(2);
    assert.equal(failed.error?.code, 'INVALID_INPUT', JSON.stringify(failed));
    await rename(join(dir, 'handler.js.away'), join(dir, 'handler.js'));
    // One rename is two events (the old name, the new): they may start one round or two.
    built(await watcher.first('a build after the handler is back', (line) => line.round > failed.round && line.error === undefined));
    assert.equal(watcher.child.exitCode, null, 'still watching after the failed round');
    watcher.child.kill('SIGINT');
    assert.equal((await watcher.done).status, 0);
  });

  test('OVR-MANIFEST: the Function resource rtbuild --watch writes into the source folder starts no round of its own', async () => {
    const dir = await workdir('watch-kyma');
    const tag = `rt-test/watch-kyma:${uniqueTag()}`;
    images.push(tag);
    const manifest = join(dir, 'function.yaml');
    const watcher = watch(['--for', 'kyma', '--base-image', NODE_BASE, '--source', dir, '--tag', tag, '--manifest', manifest]);
    built(await watcher.round(1));
    assert.match(await readFile(manifest, 'utf8'), /kind: Function/);
    await edit(join(dir, 'handler.js'), '// edited while watching');
    const second = await watcher.round(2);
    // Without the manifest ignored, round 2 is the manifest's own write (changed: function.yaml).
    assert.equal(second.changed, 'handler.js', JSON.stringify({ changed: second.changed, error: second.error }));
    built(second);
    assert.match(await readFile(manifest, 'utf8'), /edited while watching/, 'the manifest carries the edited handler');
    watcher.child.kill('SIGINT');
    assert.equal((await watcher.done).status, 0);
  });
});
