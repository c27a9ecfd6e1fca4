// OCI labels of a function image (FIN-LABELS): where it came from, on which base, built when.
import { execFile } from 'node:child_process';

export const OCI = {
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
} as const;

export interface LabelFacts {
  baseName: string;
  /** "sha256:…" from the base image's repo digest, or its id when it was never pushed or pulled. */
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

/** The digest a base image is known by: its first repo digest, else its content id. */
export function baseDigestOf(repoDigests: readonly string[], id: string): string {
  const first = repoDigests.find((ref) => ref.includes('@'));
  return first ? first.slice(first.indexOf('@') + 1) : id;
}

function git(folder: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', folder, ...args], { timeout: 5000 }, (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined));
  });
}

/** Revision and remote URL (without credentials) of the git checkout holding `folder`, when it is one. */
export async function gitFacts(folder: string): Promise<{ revision: string | undefined; remote: string | undefined }> {
  const revision = await git(folder, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  if (!revision) return { revision: undefined, remote: undefined };
  const remote = await git(folder, ['config', '--get', 'remote.origin.url']);
  return { revision, remote: remote?.replace(/\/\/[^/@\s]+@/, '//') };
}
