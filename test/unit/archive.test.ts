import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdtemp, mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { packDirectory, packEntries, readDirectoryEntries } from '../../src/image/archive.js';
import { UnsafePathError } from '../../src/errors.js';
import { readAll } from '../support/streams.js';

async function listing(archive: Buffer): Promise<{ name: string; mode: number; uid: number; mtime: number }[]> {
  const entries: { name: string; mode: number; uid: number; mtime: number }[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    entries.push({ name: header.name, mode: header.mode ?? 0, uid: header.uid ?? -1, mtime: (header.mtime?.getTime() ?? -1) / 1000 });
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  ex.end(archive);
  await done;
  return entries;
}

describe('reproducible archives', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-archive-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the same files give the same bytes: sorted entries, root owner, fixed modes and mtime', async () => {
    const src = join(dir, 'same');
    await mkdir(join(src, 'lib'), { recursive: true });
    await writeFile(join(src, 'z.js'), 'z');
    await writeFile(join(src, 'a.js'), 'a', { mode: 0o600 });
    await writeFile(join(src, 'lib', 'run.sh'), '#!/bin/sh', { mode: 0o750 });
    const first = await readAll(await packDirectory(src, { mtime: 1700000000 }));
    execFileSync('touch', ['-d', '2001-01-01', join(src, 'z.js')]);
    const second = await readAll(await packDirectory(src, { mtime: 1700000000 }));
    const hash = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    assert.equal(hash(first), hash(second));
    assert.deepEqual(await listing(first), [
      { name: 'a.js', mode: 0o644, uid: 0, mtime: 1700000000 },
      { name: 'lib', mode: 0o755, uid: 0, mtime: 1700000000 },
      { name: 'lib/run.sh', mode: 0o755, uid: 0, mtime: 1700000000 },
      { name: 'z.js', mode: 0o644, uid: 0, mtime: 1700000000 },
    ]);
  });

  test('mtime defaults to SOURCE_DATE_EPOCH, else 0', async () => {
    const archive = await readAll(packEntries([{ path: 'f', type: 'file', content: Buffer.from('x') }]));
    assert.equal((await listing(archive))[0]?.mtime, Number(process.env.SOURCE_DATE_EPOCH ?? 0));
  });

  test('a symlink that leaves the folder is refused; one inside it is kept', async () => {
    const src = join(dir, 'links');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'real.js'), 'x');
    await symlink('real.js', join(src, 'inside.js'));
    assert.deepEqual((await listing(await readAll(await packDirectory(src)))).map((e) => e.name), ['inside.js', 'real.js']);
    await symlink('../../etc/passwd', join(src, 'escape.js'));
    await assert.rejects(packDirectory(src), (error: unknown) => error instanceof UnsafePathError && /escape\.js is a symlink/.test(error.message));
  });

  test('absolute symlinks and special files are refused', async () => {
    const abs = join(dir, 'abs');
    await mkdir(abs, { recursive: true });
    await symlink('/etc/hostname', join(abs, 'host'));
    await assert.rejects(packDirectory(abs), UnsafePathError);
    const fifo = join(dir, 'fifo');
    await mkdir(fifo, { recursive: true });
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    await assert.rejects(packDirectory(fifo), (error: unknown) => error instanceof UnsafePathError && /not a regular file/.test(error.message));
  });

  // Issue 15 item 8: a hard link was copied in silently.
  test('a hard link to a file outside the folder is refused; hard links within it are kept', async () => {
    const src = join(dir, 'hard');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'a.js'), 'a');
    await link(join(src, 'a.js'), join(src, 'b.js'));
    assert.deepEqual((await listing(await readAll(await packDirectory(src)))).map((e) => e.name), ['a.js', 'b.js']);
    await writeFile(join(dir, 'outside.txt'), 'secret');
    await link(join(dir, 'outside.txt'), join(src, 'c.txt'));
    await assert.rejects(packDirectory(src), (error: unknown) => error instanceof UnsafePathError && /^c\.txt is a hard link to a file outside .* \(it has 2 names, 1 of them here\)$/.test(error.message));
  });

  // Issue 15 item 9: a 500 MB file was read into memory (RSS 584 MB).
  test('streamed entries: a 256 MB file packs from disk with the memory of a small one, byte for byte the same as from memory', async () => {
    const src = join(dir, 'big');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'big.bin'), '');
    await truncate(join(src, 'big.bin'), 256 * 1024 * 1024);
    await writeFile(join(src, 'small.txt'), 'small');
    const peakMb = async (): Promise<number> => Number(/VmHWM:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1]) / 1024;
    const entries = await readDirectoryEntries(src, { stream: true });
    assert.deepEqual(entries.map((e) => [e.path, e.size, e.content]), [['big.bin', 256 * 1024 * 1024, undefined], ['small.txt', 5, undefined]]);
    await writeFile('/proc/self/clear_refs', '5');
    const before = await peakMb();
    const hash = createHash('sha256');
    for await (const chunk of packEntries(entries, { mtime: 0 })) hash.update(chunk as Buffer);
    const grew = (await peakMb()) - before;
    assert.ok(grew < 64, `packing grew the peak RSS by ${grew.toFixed(0)} MB`);
    const small = [{ path: 'big.bin', type: 'file' as const, content: Buffer.alloc(256 * 1024 * 1024) }, { path: 'small.txt', type: 'file' as const, content: Buffer.from('small') }];
    assert.equal(hash.digest('hex'), createHash('sha256').update(await readAll(packEntries(small, { mtime: 0 }))).digest('hex'));
  });

  test('entry paths with .. or a leading slash are refused', () => {
    for (const path of ['../x', 'a/../../x', '/etc/passwd']) {
      assert.throws(() => packEntries([{ path, type: 'file' }]), UnsafePathError, path);
    }
  });
});
