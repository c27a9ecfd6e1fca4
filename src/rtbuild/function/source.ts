// A Function's sources as rtbuild sees them: the files of the source layer (after the ignore file and
// the fixed exclusions), the handler, the dependency manifest and the local files it points at, all
// checked before any engine work. They come from a folder, or from a Function resource's inline
// sources (OVR-INPUT, see input.ts). Files are streamed from disk when packed, never held in memory.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { type ArchiveEntry, entryContent, entrySize, readDirectoryEntries } from '../../image/archive.js';
import { type IgnoreMatcher, createIgnoreMatcher } from './ignore.js';
import { type LocalReference, localDependencyEntries, npmLockReferences, npmManifestReferences, pipLocalPath } from './local-deps.js';
import type { Family } from '../../platform/runtimes.js';

/** Ignore files read from the source folder, first found wins. */
export const IGNORE_FILES = ['.rtbuildignore', '.dockerignore'] as const;

/**
 * Never in the source layer, whatever the ignore file says (FIN-SECRETS): credentials, version
 * control, local environments, and rtbuild's own build-only files.
 */
const NEVER_SHIPPED = [
  '**/.git',
  '**/.env',
  '**/.env.*',
  '**/.npmrc',
  '**/.yarnrc',
  '**/.yarnrc.yml',
  '**/pip.conf',
  '**/pip.ini',
  '**/.pypirc',
  '**/.netrc',
  'rtbuild.json',
  ...IGNORE_FILES,
];

/** Left out by default; a "!" line in the ignore file can bring them back. */
const LEFT_OUT_BY_DEFAULT = ['**/node_modules', '**/.venv', '**/venv', '**/__pycache__', '**/*.pyc'];

export interface DependencyManifest {
  /** The manifest and the lock file (in memory), then the local files they point at (on disk), as they go into the deps stage. */
  files: ArchiveEntry[];
  /** The lock file's name, when there is one. */
  lockfile: string | undefined;
  /** Paths of the local files and folders among `files` (npm `file:`, pip paths). */
  local: string[];
}

/** Files above this size get a warning: they go into the source layer of every build. */
export const LARGE_FILE_BYTES = 64 * 1024 * 1024;

export interface FunctionSource {
  /** The folder local paths are relative to: the source folder, or the Function YAML's folder. */
  root: string;
  /** What the user gave: the folder, or "fn.yaml (Function my-fn)". */
  origin: string;
  handler: string;
  /** The entries of the source layer, sorted. */
  entries: ArchiveEntry[];
  /** Undefined when the function declares no dependencies. */
  dependencies: DependencyManifest | undefined;
  ignoreFile: string | undefined;
  /** Files of at least LARGE_FILE_BYTES, largest first. */
  largeFiles: { path: string; size: number }[];
}

export interface ReadSourceOptions {
  moduleName: string;
}

/** A Function resource's inline sources, with the folder its local dependency paths are relative to. */
export interface InlineSources {
  source: string;
  dependencies: string;
  /** The folder of the YAML file. */
  root: string;
  /** For messages: "fn.yaml (Function my-fn)". */
  origin: string;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function readIgnoreFile(root: string): Promise<{ name: string | undefined; lines: string[] }> {
  for (const name of IGNORE_FILES) {
    const text = await readFile(join(root, name), 'utf8').catch(() => undefined);
    if (text !== undefined) return { name, lines: text.split(/\r?\n/) };
  }
  return { name: undefined, lines: [] };
}

/** The matcher for the source layer: default exclusions, the user's file, then the fixed ones. */
export function sourceMatcher(userLines: readonly string[]): { matcher: IgnoreMatcher; never: IgnoreMatcher } {
  return {
    matcher: createIgnoreMatcher([...LEFT_OUT_BY_DEFAULT, ...userLines]),
    never: createIgnoreMatcher(NEVER_SHIPPED),
  };
}

export async function readFunctionSource(folder: string, spec: Family, options: ReadSourceOptions): Promise<FunctionSource> {
  const root = resolve(folder);
  if (!(await isDirectory(root))) {
    throw new InvalidInputError(`the source folder ${root} does not exist or is not a folder`, {
      hint: 'pass the folder that holds the handler with --source',
    });
  }
  const ignore = await readIgnoreFile(root);
  const { matcher, never } = sourceMatcher(ignore.lines);
  const raw = await readDirectoryEntries(root, {
    stream: true,
    exclude: (path, isDir) => never.ignores(path) || (matcher.ignores(path) && !(isDir && matcher.mayReinclude(path))),
  });
  const entries = dropEmptyIgnoredFolders(raw, matcher);

  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const handler = spec.handlerExtensions.map((ext) => `${options.moduleName}${ext}`).find((name) => byPath.get(name)?.type === 'file');
  if (!handler) {
    const names = spec.handlerExtensions.map((ext) => options.moduleName + ext).join(', ');
    throw new InvalidInputError(`no handler in ${root}: expected one of ${names} (${spec.name} runtime)`, {
      hint: ignore.name
        ? `create the handler file, or check that ${ignore.name} does not leave it out`
        : 'create the handler file in the source folder, or pass the right --source',
    });
  }
  // The manifest and the lock file are read now (they are parsed); the rest streams when packed.
  for (const name of [spec.manifest, ...spec.lockfiles]) {
    const entry = byPath.get(name);
    if (entry?.type === 'file') byPath.set(name, { ...entry, content: await entryContent(entry) });
  }
  const dependencies = await checkDependencies(root, spec, byPath);
  const largeFiles = entries
    .filter((entry) => entry.type === 'file' && entrySize(entry) >= LARGE_FILE_BYTES)
    .map((entry) => ({ path: entry.path, size: entrySize(entry) }))
    .sort((a, b) => b.size - a.size);
  return { root, origin: root, handler, entries, dependencies, ignoreFile: ignore.name, largeFiles };
}

/** The sources of a Function resource: the handler and its dependency manifest, from the inline text (OVR-INPUT). */
export async function inlineFunctionSource(inline: InlineSources, spec: Family, options: ReadSourceOptions): Promise<FunctionSource> {
  const handler = `${options.moduleName}${spec.handlerExtensions[0] ?? ''}`;
  const entries: ArchiveEntry[] = [{ path: handler, type: 'file', content: Buffer.from(inline.source) }];
  if (inline.dependencies.trim() !== '') entries.push({ path: spec.manifest, type: 'file', content: Buffer.from(inline.dependencies) });
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const dependencies = await checkDependencies(inline.root, spec, byPath, `${inline.origin} spec.source.inline.dependencies`);
  return { root: inline.root, origin: inline.origin, handler, entries, dependencies, ignoreFile: undefined, largeFiles: [] };
}

/** The handler's text (for a Function resource's inline source). */
export async function handlerText(source: FunctionSource): Promise<string> {
  const entry = source.entries.find((candidate) => candidate.path === source.handler);
  return entry ? (await entryContent(entry)).toString('utf8') : '';
}

/** Folders walked only because a "!" pattern might match inside them, and that stayed empty. */
function dropEmptyIgnoredFolders(entries: ArchiveEntry[], matcher: IgnoreMatcher): ArchiveEntry[] {
  const kept = entries.filter((entry) => entry.type === 'directory' || !matcher.ignores(entry.path));
  return kept.filter(
    (entry) =>
      entry.type !== 'directory' ||
      !matcher.ignores(entry.path) ||
      kept.some((other) => other.type !== 'directory' && other.path.startsWith(`${entry.path}/`)),
  );
}

async function checkDependencies(root: string, spec: Family, byPath: Map<string, ArchiveEntry>, manifestName?: string): Promise<DependencyManifest | undefined> {
  const manifest = byPath.get(spec.manifest);
  if (!manifest?.content) return undefined;
  const where = manifestName ?? join(root, spec.manifest);
  const refs: LocalReference[] = [];
  if (spec.name === 'nodejs') {
    const pkg = parseJsonFile(where, manifest.content);
    if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) {
      throw new InvalidInputError(`${where} is not a JSON object`, { hint: 'package.json holds one object: {"name": ..., "dependencies": {...}}' });
    }
    const deps = (pkg as { dependencies?: unknown }).dependencies;
    if (deps !== undefined && (typeof deps !== 'object' || deps === null || Array.isArray(deps) || Object.values(deps).some((v) => typeof v !== 'string'))) {
      throw new InvalidInputError(`${where}: "dependencies" is not an object of name → version range`, {
        hint: 'write it as {"dependencies": {"lodash": "^4.17.21"}}',
      });
    }
    if (deps === undefined || Object.keys(deps).length === 0) return undefined;
    refs.push(...npmManifestReferences(pkg, root, spec.manifest));
  } else {
    const lines = requirementLines(where, manifest.content.toString('utf8'));
    if (lines.length === 0) return undefined;
    refs.push(...lines.flatMap((line, index) => {
      const path = pipLocalPath(line);
      return path === undefined ? [] : [{ path, from: root, where: `${spec.manifest} requirement ${index + 1} ("${line}")` }];
    }));
  }
  const lockfile = spec.lockfiles.find((name) => byPath.get(name)?.content !== undefined);
  const files = [manifest];
  if (lockfile) {
    const entry = byPath.get(lockfile) as ArchiveEntry;
    const lock = parseJsonFile(join(root, lockfile), entry.content as Buffer);
    if (typeof (lock as { lockfileVersion?: unknown } | null)?.lockfileVersion !== 'number') {
      throw new InvalidInputError(`${join(root, lockfile)} has no lockfileVersion: it is not an npm lock file`, {
        hint: 'regenerate it with npm install --package-lock-only, or delete it',
      });
    }
    refs.push(...npmLockReferences(lock, root, lockfile));
    files.push(entry);
  }
  const local = await localDependencyEntries(root, refs);
  return {
    files: [...files.map((entry) => ({ ...entry, executable: false })), ...local],
    lockfile,
    local: local.filter((entry) => entry.type !== 'directory').map((entry) => entry.path),
  };
}

function parseJsonFile(where: string, content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8')) as unknown;
  } catch (cause) {
    throw new InvalidInputError(`${where} is not valid JSON: ${(cause as Error).message}`, { cause, hint: 'fix the file (npm would refuse it too)' });
  }
}

const REQUIREMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]*\])?\s*(\(?\s*(===?|~=|!=|<=?|>=?)\s*[^\s,;]+(\s*,\s*(===?|~=|!=|<=?|>=?)\s*[^\s,;]+)*\s*\)?)?\s*(;.*)?$/;
const URL_REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*@\s*)?(https?|git\+[a-z]+):\/\/\S+$/;
const ALLOWED_OPTIONS = /^--(index-url|extra-index-url|find-links|trusted-host|no-index|pre|prefer-binary|only-binary|no-binary|hash|require-hashes)\b|^-[if]\s/;

/** The requirement lines of a requirements.txt; includes of other files are refused (they are not copied). */
export function requirementLines(where: string, text: string): string[] {
  const lines: string[] = [];
  text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .forEach((line, index) => {
      const requirement = line.replace(/(^|\s)#.*$/, '').trim();
      if (requirement === '') return;
      if (/:\/\/[^/\s:@]+:[^/\s@]+@/.test(requirement)) {
        throw new InvalidInputError(`${where}:${index + 1} has a password in a URL, which would ship in the image with the sources`, {
          hint: 'put the index URL with its credentials into a pip.conf and pass it with --pip-conf (used only while installing)',
        });
      }
      const withoutHashes = requirement.replace(/\s+--hash[= ]\S+/g, '').trim();
      if (REQUIREMENT.test(withoutHashes) || URL_REQUIREMENT.test(withoutHashes) || (!requirement.startsWith('-') && pipLocalPath(withoutHashes) !== undefined)) {
        lines.push(requirement);
      } else if (!ALLOWED_OPTIONS.test(requirement)) {
        throw new InvalidInputError(`${where}:${index + 1}: "${requirement}" is not a requirement rtbuild can install`, {
          hint: 'use "name", "name==1.2.3", "name>=1,<2" or a path inside the folder ("./vendor/pkg-1.0-py3-none-any.whl"); includes (-r, -c) and editable installs are not supported',
        });
      }
    });
  return lines;
}
