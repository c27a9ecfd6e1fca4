// Reproducible tar archives: entries sorted, owner root (0:0), fixed modes and mtime
// (SOURCE_DATE_EPOCH or 0), so the same files always give the same bytes. Files can be packed from
// memory or streamed from disk (a source folder with a 500 MB file never sits in memory).
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import type * as TarStream from 'tar-stream';
import { UnsafePathError } from '../errors.js';

export interface ArchiveEntry {
  /** Relative path with forward slashes, e.g. "src/handler.js". */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  content?: Buffer;
  /** A file streamed from disk when packed (absolute path), instead of `content`. */
  source?: string;
  /** Bytes of a file (of `content`, or of `source` when it was read). */
  size?: number;
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

/** The bytes of a file entry: its content, or what its source file holds now. */
export async function entryContent(entry: ArchiveEntry): Promise<Buffer> {
  if (entry.content) return entry.content;
  return entry.source ? readFile(entry.source) : Buffer.alloc(0);
}

/** Bytes of a file entry as it will be packed. */
export function entrySize(entry: ArchiveEntry): number {
  return entry.content?.length ?? entry.size ?? 0;
}

/**
 * tar-stream, loaded when an archive is first packed or read: a build on the fast path packs none
 * (issue 16). Its CommonJS exports arrive as the default export or as named ones, depending on the loader.
 */
export async function tarStream(): Promise<typeof TarStream> {
  const loaded = (await import('tar-stream')) as typeof TarStream & { default?: typeof TarStream };
  return loaded.default ?? loaded;
}

export function packEntries(entries: ArchiveEntry[], options: ArchiveOptions = {}): Readable {
  const mtime = new Date((options.mtime ?? sourceDateEpoch()) * 1000);
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const entry of sorted) assertSafeRelativePath(entry.path);
  const fill = async (archive: TarStream.Pack): Promise<void> => {
    for (const entry of sorted) {
      const common = { name: prefix + entry.path, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' };
      if (entry.type === 'directory') {
        archive.entry({ ...common, type: 'directory', mode: 0o755 });
      } else if (entry.type === 'symlink') {
        archive.entry({ ...common, type: 'symlink', mode: 0o777, linkname: entry.linkTarget ?? '' });
      } else if (entry.content !== undefined || entry.source === undefined) {
        archive.entry({ ...common, type: 'file', mode: entry.executable ? 0o755 : 0o644 }, entry.content ?? Buffer.alloc(0));
      } else {
        // Streamed: the header needs the size first; a file that changes size meanwhile fails the pack.
        const size = entry.size ?? (await lstat(entry.source)).size;
        let done!: (error?: Error | null) => void;
        const written = new Promise<void>((resolve, reject) => (done = (error) => (error ? reject(error) : resolve())));
        const sink = archive.entry({ ...common, type: 'file', mode: entry.executable ? 0o755 : 0o644, size }, done);
        for await (const chunk of createReadStream(entry.source)) {
          if (!sink.write(chunk as Buffer)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
        }
        sink.end(Buffer.alloc(0));
        await written;
      }
    }
    archive.finalize();
  };
  // tar-stream packs are streamx streams; callers (the engine, hashing) expect a Node stream.
  return Readable.from(
    (async function* () {
      const archive = (await tarStream()).pack();
      fill(archive).catch((error: unknown) => archive.destroy(error instanceof Error ? error : new Error(String(error))));
      yield* archive as AsyncIterable<Buffer>;
    })(),
  );
}

export interface DirectoryOptions {
  /** Relative paths (forward slashes) for which this returns true are left out, with their contents. */
  exclude?: (path: string, isDirectory: boolean) => boolean;
  /** Keep files on disk (`source`, `size`) and stream them when packed, instead of reading them now. */
  stream?: boolean;
}

/**
 * Reads a folder into archive entries. Symlinks are kept only when they point inside the folder;
 * one that leaves it, a hard link with a name outside what is read (it may be any file of the same
 * file system, e.g. /etc/shadow), and any special file (socket, device, FIFO) are refused.
 */
export async function readDirectoryEntries(root: string, options: DirectoryOptions = {}): Promise<ArchiveEntry[]> {
  const realRoot = await realpath(root);
  const entries: ArchiveEntry[] = [];
  /** Files with more than one name: inode → the names found here, and how many it has. */
  const linked = new Map<string, { paths: string[]; nlink: number }>();
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
        const executable = (stat.mode & 0o111) !== 0;
        if (stat.nlink > 1) {
          const key = `${stat.dev}:${stat.ino}`;
          const seen = linked.get(key) ?? { paths: [], nlink: stat.nlink };
          seen.paths.push(rel);
          linked.set(key, seen);
        }
        entries.push(
          options.stream
            ? { path: rel, type: 'file', source: full, size: stat.size, executable }
            : { path: rel, type: 'file', content: await readFile(full), size: stat.size, executable },
        );
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
  for (const { paths, nlink } of linked.values()) {
    if (paths.length < nlink) {
      throw new UnsafePathError(`${paths[0]} is a hard link to a file outside ${root} (it has ${nlink} names, ${paths.length} of them here)`, {
        hint: 'copy the file into the folder instead of linking to it, or exclude it',
      });
    }
  }
  return entries;
}

export async function packDirectory(
  root: string,
  options: DirectoryOptions & ArchiveOptions = {},
): Promise<Readable> {
  return packEntries(await readDirectoryEntries(root, options), options);
}
