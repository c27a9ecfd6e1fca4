// OCI labels of a function image (FIN-LABELS): where it came from, on which base, built when.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Reference, parseReference } from './reference.js';

export const OCI = {
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
} as const;

export interface LabelFacts {
  baseName: string;
  /** The base image's manifest digest in its registry (registryDigestOf); undefined when not known. */
  baseDigest: string | undefined;
  /** Seconds since the epoch; SOURCE_DATE_EPOCH when set, else now. */
  created: number;
  source: string | undefined;
  revision: string | undefined;
}

export function ociLabels(facts: LabelFacts): Record<string, string> {
  const labels: Record<string, string> = {
    [OCI.baseName]: facts.baseName,
    [OCI.created]: new Date(facts.created * 1000).toISOString().replace(/\.000Z$/, 'Z'),
  };
  if (facts.baseDigest) labels[OCI.baseDigest] = facts.baseDigest;
  if (facts.source) labels[OCI.source] = facts.source;
  if (facts.revision) labels[OCI.revision] = facts.revision;
  return labels;
}

/**
 * What `org.opencontainers.image.base.digest` says, the same on every engine (issue 12): the digest of the
 * base image's manifest in the registry that `base.name` names, so that `base.name@base.digest` pulls
 * exactly that image, as the OCI annotation means it. The engine knows it from a pull or a push (its
 * repo digests of that repository). A base image built here and never pushed has none: the label is
 * left out rather than filled with something else (Docker's image id, or the digest Podman computes for
 * its local storage, "localhost/…@sha256:…", which no registry serves).
 */
export function registryDigestOf(repoDigests: readonly string[], base: Reference): string | undefined {
  for (const text of repoDigests) {
    let ref: Reference;
    try {
      ref = parseReference(text);
    } catch {
      continue;
    }
    if (ref.digest && ref.registry === base.registry && ref.path === base.path) return ref.digest;
  }
  return undefined;
}

async function git(folder: string, args: string[]): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('git', ['-C', folder, ...args], { timeout: 5000 }, (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined));
  });
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The repository folder (.git, or a worktree's) of the checkout holding `folder`, and its common folder. */
async function gitDirs(folder: string): Promise<{ gitDir: string; commonDir: string } | undefined> {
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const found = await stat(dotGit).catch(() => undefined);
    if (found?.isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
    if (found?.isFile()) {
      const pointer = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
      if (!pointer) return undefined;
      const gitDir = resolve(dir, pointer);
      const common = (await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined))?.trim();
      return { gitDir, commonDir: common ? resolve(gitDir, common) : gitDir };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A ref's object id: its loose file, else packed-refs. */
async function refId(dirs: { gitDir: string; commonDir: string }, ref: string): Promise<string | undefined> {
  for (const base of [dirs.gitDir, dirs.commonDir]) {
    const loose = (await readFile(join(base, ref), 'utf8').catch(() => undefined))?.trim();
    if (loose !== undefined && OBJECT_ID.test(loose)) return loose;
  }
  const packed = await readFile(join(dirs.commonDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [id, name] = line.trim().split(' ');
    if (name === ref && id !== undefined && OBJECT_ID.test(id)) return id;
  }
  return undefined;
}

/** remote.origin.url of a git config file: the raw value, as `git config --get` gives it. */
export function originUrl(config: string): string | undefined {
  let inOrigin = false;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*([^\]\s"]+)(?:\s+"([^"]*)")?\s*\]/.exec(line);
    if (section) {
      inOrigin = section[1]?.toLowerCase() === 'remote' && section[2] === 'origin';
      continue;
    }
    const url = inOrigin ? /^url\s*=\s*(.*)$/i.exec(line)?.[1] : undefined;
    if (url !== undefined) return url.replace(/^"(.*)"$/, '$1').trim() || undefined;
  }
  return undefined;
}

/**
 * Revision and remote read from the repository's files: a `git` process costs every build ~5-10 ms
 * (issue 16). What these reads do not know (reftable refs, an include in the config) is asked of git.
 */
async function gitFromFiles(folder: string): Promise<{ revision: string | undefined; remote: string | undefined } | 'ask-git'> {
  const dirs = await gitDirs(folder);
  if (!dirs) return { revision: undefined, remote: undefined };
  if (await stat(join(dirs.commonDir, 'reftable')).then(() => true, () => false)) return 'ask-git';
  const head = (await readFile(join(dirs.gitDir, 'HEAD'), 'utf8').catch(() => undefined))?.trim();
  if (head === undefined) return 'ask-git';
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  const revision = ref ? await refId(dirs, ref) : OBJECT_ID.test(head) ? head : undefined;
  if (!revision) return { revision: undefined, remote: undefined };
  const config = await readFile(join(dirs.commonDir, 'config'), 'utf8').catch(() => '');
  if (/^\s*\[\s*include/im.test(config)) return 'ask-git';
  return { revision, remote: originUrl(config) };
}

/** Revision and remote URL (without credentials) of the git checkout holding `folder`, when it is one. */
export async function gitFacts(folder: string): Promise<{ revision: string | undefined; remote: string | undefined }> {
  const read = await gitFromFiles(folder).catch((): 'ask-git' => 'ask-git');
  const facts =
    read !== 'ask-git'
      ? read
      : await (async () => {
          const revision = await git(folder, ['rev-parse', '--verify', '--quiet', 'HEAD']);
          return { revision, remote: revision ? await git(folder, ['config', '--get', 'remote.origin.url']) : undefined };
        })();
  return { revision: facts.revision, remote: facts.remote?.replace(/\/\/[^/@\s]+@/, '//') };
}
