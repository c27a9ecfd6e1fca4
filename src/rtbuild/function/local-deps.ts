// Local dependencies: what a dependency spec points at on disk (npm `file:` tarballs and folders, and
// the paths a lock file names; pip requirement lines that are paths). Everything inside the source
// folder goes to the dependency stage, at the same relative path, so that npm and pip find it there;
// anything outside the folder is refused, naming the spec, before any engine work. (Without this the
// dependency stage got only package.json and npm failed with ENOENT on `file:vendor/dep-1.0.0.tgz`.)
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidInputError, UnsafePathError } from '../../errors.js';
import { type ArchiveEntry, readDirectoryEntries } from '../../image/archive.js';
import { createIgnoreMatcher } from './ignore.js';

/** A local path a dependency spec names, as written, and where it was written. */
export interface LocalReference {
  /** The path as written, relative to `from` (a folder inside the source folder). */
  path: string;
  /** The folder the path is relative to (absolute). */
  from: string;
  /** "package.json dependencies.dep", "package-lock.json packages[\"node_modules/dep\"]", "requirements.txt:3". */
  where: string;
}

const NPM_FIELDS = ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies'] as const;

/** The path of an npm spec that names a local file or folder ("file:x", "./x", "../x", "/x", "~/x"), else undefined. */
export function npmLocalPath(spec: string): string | undefined {
  if (spec.startsWith('file:')) return spec.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
  if (/^(\.\.?($|\/)|\/|~\/)/.test(spec)) return spec;
  return undefined;
}

/** Local references of a package.json (its dependency fields). */
export function npmManifestReferences(manifest: unknown, from: string, name: string): LocalReference[] {
  const refs: LocalReference[] = [];
  for (const field of NPM_FIELDS) {
    const deps = (manifest as Record<string, unknown> | null)?.[field];
    if (typeof deps !== 'object' || deps === null) continue;
    for (const [dep, spec] of Object.entries(deps as Record<string, unknown>)) {
      const path = typeof spec === 'string' ? npmLocalPath(spec) : undefined;
      if (path !== undefined) refs.push({ path, from, where: `${name} ${field}.${dep}` });
    }
  }
  return refs;
}

/**
 * Local references of an npm lock file: folders it lists as packages of their own (keys that are
 * not under node_modules/, e.g. "vendor/dep" of a `file:` folder), `resolved` values that are
 * `file:` tarballs or link targets; lockfileVersion 1 `version: "file:…"` too.
 */
export function npmLockReferences(lock: unknown, from: string, name: string): LocalReference[] {
  const refs: LocalReference[] = [];
  const packages = (lock as { packages?: Record<string, { resolved?: unknown; link?: unknown }> } | null)?.packages ?? {};
  for (const [key, entry] of Object.entries(packages)) {
    if (key !== '' && !key.startsWith('node_modules/') && !key.includes('/node_modules/')) refs.push({ path: key, from, where: `${name} packages["${key}"]` });
    const resolved = typeof entry?.resolved === 'string' ? entry.resolved : undefined;
    if (resolved === undefined) continue;
    const path = resolved.startsWith('file:') ? npmLocalPath(resolved) : entry.link === true ? resolved : undefined;
    if (path !== undefined) refs.push({ path, from, where: `${name} packages["${key}"].resolved` });
  }
  const walkV1 = (deps: unknown, at: string): void => {
    if (typeof deps !== 'object' || deps === null) return;
    for (const [dep, entry] of Object.entries(deps as Record<string, { version?: unknown; dependencies?: unknown }>)) {
      if (typeof entry?.version === 'string' && entry.version.startsWith('file:')) refs.push({ path: entry.version.slice(5), from, where: `${name} ${at}${dep}.version` });
      walkV1(entry?.dependencies, `${at}${dep}.dependencies.`);
    }
  };
  walkV1((lock as { dependencies?: unknown } | null)?.dependencies, 'dependencies.');
  return refs;
}

const ARCHIVE = /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i;

/** The path of a requirements.txt line that names a local archive or folder ("./x.whl", "vendor/pkg", "pkg @ file:./x"), else undefined. */
export function pipLocalPath(line: string): string | undefined {
  const requirement = line.replace(/\s+--hash[= ]\S+/g, '').replace(/\s*;.*$/, '').trim();
  const direct = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*@\s*(file:\S+)$/.exec(requirement)?.[2];
  const text = (direct ?? requirement).replace(/\[[^\]]*\]$/, '');
  if (text.includes('://') && !text.startsWith('file://')) return undefined;
  if (text.startsWith('file:')) return text.replace(/^file:(\/\/(?=\/))?/, '');
  if (/^(\.\.?\/|\/|~)/.test(text) || (text.includes('/') && !text.includes('://')) || ARCHIVE.test(text)) return text;
  return undefined;
}

/** Never copied from a local dependency folder: what npm would not pack, and what must never ship. */
const LEFT_OUT = createIgnoreMatcher(['**/node_modules', '**/.git', '**/.npmrc', '**/.env', '**/.env.*', '**/pip.conf', '**/.pypirc', '**/.netrc']);

/** The path relative to `root` (forward slashes) when `absolute` is inside it, else undefined. */
function inside(root: string, absolute: string): string | undefined {
  const rel = relative(root, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return rel === '' ? '' : undefined;
  return rel.split(sep).join('/');
}

function refused(ref: LocalReference, root: string): UnsafePathError {
  return new UnsafePathError(`${ref.where} points at "${ref.path}", outside the source folder ${root}`, {
    hint: 'only what is inside the source folder reaches the build: copy the package (or its npm pack / wheel file) into the folder, e.g. vendor/, and point at that',
  });
}

/**
 * The files every local reference needs, as archive entries relative to `root` (streamed from disk),
 * following the package.json of local folders (their own `file:` dependencies). Refuses references
 * that leave `root` (also through symlinks) and references to paths that do not exist.
 */
export async function localDependencyEntries(root: string, refs: readonly LocalReference[]): Promise<ArchiveEntry[]> {
  const entries = new Map<string, ArchiveEntry>();
  const seen = new Set<string>();
  const realRoot = await realpath(root);
  const queue = [...refs];
  for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
    if (ref.path.startsWith('~') || isAbsolute(ref.path)) throw refused(ref, root);
    const absolute = resolve(ref.from, ref.path);
    const rel = inside(root, absolute);
    if (rel === undefined || rel === '') throw refused(ref, root);
    if (seen.has(rel)) continue;
    seen.add(rel);
    const found = await stat(absolute).catch(() => undefined);
    if (!found) {
      throw new InvalidInputError(`${ref.where} points at "${ref.path}", which does not exist in ${root}`, {
        hint: 'create it (npm pack writes a .tgz, pip wheel a .whl), or fix the path',
      });
    }
    // Through symlinks too: what is read must be inside the folder.
    const real = await realpath(absolute);
    if (inside(realRoot, real) === undefined) throw refused({ ...ref, path: `${ref.path} (a link to ${real})` }, root);
    if (found.isFile()) {
      const link = await lstat(real);
      if (link.nlink > 1) {
        throw new UnsafePathError(`${rel} is a hard link (${link.nlink} names); rtbuild cannot tell that it stays inside ${root}`, {
          hint: 'copy the file instead of linking it',
        });
      }
      entries.set(rel, { path: rel, type: 'file', source: real, size: link.size, executable: false });
      continue;
    }
    for (const entry of await readDirectoryEntries(absolute, { stream: true, exclude: (path) => LEFT_OUT.ignores(path) })) {
      entries.set(`${rel}/${entry.path}`, { ...entry, path: `${rel}/${entry.path}` });
    }
    entries.set(rel, { path: rel, type: 'directory' });
    // A local package's own local dependencies (npm resolves them from its folder).
    const manifest = await readFile(join(absolute, 'package.json'), 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined,
    );
    if (manifest !== undefined) queue.push(...npmManifestReferences(manifest, absolute, `${rel}/package.json`));
  }
  // Parent folders, so that the archive extracts with the right modes.
  for (const path of [...entries.keys()]) {
    const parts = path.split('/');
    for (let n = 1; n < parts.length; n++) {
      const parent = parts.slice(0, n).join('/');
      if (!entries.has(parent)) entries.set(parent, { path: parent, type: 'directory' });
    }
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Throws UnsafePathError for the first reference that leaves `root`, without touching the disk beyond `resolve`. */
export function assertInside(root: string, refs: readonly LocalReference[]): void {
  for (const ref of refs) {
    if (ref.path.startsWith('~') || isAbsolute(ref.path) || !inside(root, resolve(ref.from, ref.path))) throw refused(ref, root);
  }
}
