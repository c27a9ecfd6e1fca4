// Reproducible tar archives: entries sorted, owner root (0:0), fixed modes and mtime
// (SOURCE_DATE_EPOCH or 0), so the same files always give the same bytes.
import { lstat, readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { UnsafePathError } from '../errors.js';

export interface ArchiveEntry {
  /** Relative path with forward slashes, e.g. "src/handler.js". */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  content?: Buffer;
  /** Symlink target, relative; only for symlinks. */
  linkTarget?: string;
  executable?: boolean;
}

export interface ArchiveOptions {
  /** Seconds since the epoch for every entry; default SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Prefix every path with this folder (no leading slash). */
  prefix?: string;
}

export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.SOURCE_DATE_EPOCH);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/** Rejects paths that would land outside the archive's root when extracted. */
export function assertSafeRelativePath(path: string): void {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || isAbsolute(path) || parts.includes('..') || path.includes('\0')) {
    throw new UnsafePathError(`the path "${path}" would leave the archive's root`, {
      hint: 'use relative paths inside the folder, without ".."',
    });
  }
}

export function packEntries(entries: ArchiveEntry[], options: ArchiveOptions = {}): Readable {
  const mtime = new Date((options.mtime ?? sourceDateEpoch()) * 1000);
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const archive = pack();
  for (const entry of sorted) {
    assertSafeRelativePath(entry.path);
    const common = { name: prefix + entry.path, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (entry.type === 'directory') {
      archive.entry({ ...common, type: 'directory', mode: 0o755 });
    } else if (entry.type === 'symlink') {
      archive.entry({ ...common, type: 'symlink', mode: 0o777, linkname: entry.linkTarget ?? '' });
    } else {
      archive.entry({ ...common, type: 'file', mode: entry.executable ? 0o755 : 0o644 }, entry.content ?? Buffer.alloc(0));
    }
  }
  archive.finalize();
  // tar-stream packs are streamx streams; callers (the engine, hashing) expect a Node stream.
  return Readable.from(archive as AsyncIterable<Buffer>);
}

export interface DirectoryOptions {
  /** Relative paths (forward slashes) for which this returns true are left out, with their contents. */
  exclude?: (path: string, isDirectory: boolean) => boolean;
}

/**
 * Reads a folder into archive entries. Symlinks are kept only when they point inside the folder;
 * one that leaves it, and any special file (socket, device, FIFO), is refused with a clear error.
 */
export async function readDirectoryEntries(root: string, options: DirectoryOptions = {}): Promise<ArchiveEntry[]> {
  const realRoot = await realpath(root);
  const entries: ArchiveEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const full = join(dir, name);
      const rel = relative(realRoot, full).split(sep).join('/');
      const stat = await lstat(full);
      if (options.exclude?.(rel, stat.isDirectory())) continue;
      if (stat.isDirectory()) {
        entries.push({ path: rel, type: 'directory' });
        await walk(full);
      } else if (stat.isFile()) {
        entries.push({ path: rel, type: 'file', content: await readFile(full), executable: (stat.mode & 0o111) !== 0 });
      } else if (stat.isSymbolicLink()) {
        const target = await readlink(full);
        const resolved = await realpath(full).catch(() => undefined);
        const inside = resolved !== undefined && (resolved === realRoot || resolved.startsWith(realRoot + sep));
        if (isAbsolute(target) || !inside) {
          throw new UnsafePathError(`${rel} is a symlink to "${target}", which leaves ${root}`, {
            hint: 'copy the file into the folder instead of linking to it, or exclude the link',
          });
        }
        entries.push({ path: rel, type: 'symlink', linkTarget: target });
      } else {
        throw new UnsafePathError(`${rel} is not a regular file, folder or symlink`, {
          hint: 'remove it or exclude it (sockets, devices and FIFOs cannot go into an image)',
        });
      }
    }
  };
  await walk(realRoot);
  return entries;
}

export async function packDirectory(
  root: string,
  options: DirectoryOptions & ArchiveOptions = {},
): Promise<Readable> {
  return packEntries(await readDirectoryEntries(root, options), options);
}
