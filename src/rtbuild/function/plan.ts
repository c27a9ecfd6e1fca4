// The plan of a function image, made before any engine work and without an engine: the checked
// sources, the generated Dockerfile, the reproducible build context, the labels and build arguments.
// The same plan serves the build and --dry-run.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BuildConfig } from '../../config/rtbuild.js';
import { InvalidInputError } from '../../errors.js';
import { type ArchiveEntry, packEntries } from '../../image/archive.js';
import { gitFacts, ociLabels } from '../../image/labels.js';
import type { Family } from '../../platform/runtimes.js';
import type { BaseFacts } from './base.js';
import { CONTEXT_DEPS, CONTEXT_SECRETS, CONTEXT_SOURCES, REGISTRY_ARGS, generateDockerfile } from './dockerfile.js';
import { type CredentialFile, type Redactor, createRedactor, readCredentialFile } from './secrets.js';
import { type FunctionSource, readFunctionSource } from './source.js';

export interface FunctionImagePlan {
  base: BaseFacts;
  family: Family;
  source: FunctionSource;
  /** The credential file the install step uses, if any (its content goes to the deps stage only). */
  credentialPath: string | undefined;
  dockerfile: string;
  /** Every entry of the build context, paths as in the context. */
  context: ArchiveEntry[];
  mtime: number;
  labels: Record<string, string>;
  /** Build arguments for the engine, base_image included (values may be secret: never print them). */
  buildArgs: Record<string, string>;
  redact: Redactor;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

function folderEntries(paths: string[]): ArchiveEntry[] {
  return paths.map((path) => ({ path, type: 'directory' }));
}

/** "a/b/c" → ["a", "a/b", "a/b/c"] */
function parentFolders(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_part, index) => parts.slice(0, index + 1).join('/'));
}

function under(prefix: string, entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  return entries.map((entry) => ({ ...entry, path: `${prefix}/${entry.path}` }));
}

/** The credential file for the install step: the flag's, else the one in the source folder (never shipped). */
async function credentialFor(config: BuildConfig, family: Family, source: FunctionSource, base: BaseFacts): Promise<{ path: string; file: CredentialFile } | undefined> {
  const node = family.name === 'nodejs';
  const otherCredential = node ? config.pipConf : config.npmrc;
  if (otherCredential !== undefined) {
    throw new InvalidInputError(`${node ? '--pip-conf' : '--npmrc'} was given for a ${base.runtime.id} function`, {
      hint: node ? 'Node functions take --npmrc' : 'Python functions take --pip-conf',
    });
  }
  const inFolder = join(source.root, family.registryConfigFile);
  const path = (node ? config.npmrc : config.pipConf) ?? ((await isFile(inFolder)) ? inFolder : undefined);
  if (path === undefined) return undefined;
  return { path, file: await readCredentialFile(path, node ? 'npmrc' : 'pip.conf') };
}

export async function planFunctionImage(config: BuildConfig, base: BaseFacts): Promise<FunctionImagePlan> {
  const family = base.runtime.family;
  const source = await readFunctionSource(config.source, family, { moduleName: base.moduleName });
  const credential = await credentialFor(config, family, source, base);
  const registryUrl = family.name === 'nodejs' ? config.npmRegistry : config.pipIndexUrl;

  const deps = source.dependencies;
  const buildArgs: Record<string, string> = { base_image: base.name };
  const depsArgs: string[] = [];
  if (deps) {
    if (registryUrl !== undefined) {
      depsArgs.push(REGISTRY_ARGS[family.name]);
      buildArgs[REGISTRY_ARGS[family.name]] = registryUrl;
    }
    for (const [key, value] of Object.entries(config.buildArgs).sort()) {
      depsArgs.push(key);
      buildArgs[key] = value;
    }
  }
  const dockerfile = generateDockerfile({
    family: family.name,
    installDir: base.installDir,
    dependencies: deps ? { lockfile: deps.lockfile, credentialFile: credential?.file.name, args: depsArgs } : undefined,
    baseUser: base.user,
  });

  const context: ArchiveEntry[] = [
    { path: 'Dockerfile', type: 'file', content: Buffer.from(dockerfile) },
    ...folderEntries(parentFolders(`${CONTEXT_SOURCES}${base.installDir}`)),
    ...under(`${CONTEXT_SOURCES}${base.installDir}`, source.entries),
  ];
  if (deps) {
    context.push(...folderEntries(parentFolders(CONTEXT_DEPS)), ...under(CONTEXT_DEPS, deps.files));
    if (credential) {
      context.push(...folderEntries([CONTEXT_SECRETS]), { path: `${CONTEXT_SECRETS}/${credential.file.name}`, type: 'file', content: credential.file.content });
    }
  }

  const git = await gitFacts(source.root);
  const created = config.sourceDateEpoch ?? Math.floor(Date.now() / 1000);
  const labels = ociLabels({ baseName: base.name, baseDigest: base.digest, created, source: config.sourceUrl ?? git.remote, revision: git.revision });
  return {
    base,
    family,
    source,
    credentialPath: credential?.path,
    dockerfile,
    context,
    mtime: config.sourceDateEpoch ?? 0,
    labels,
    buildArgs,
    redact: createRedactor(credential?.file.secrets ?? []),
  };
}

/** The context as the engine gets it: same plan → same bytes. */
export function packContext(plan: FunctionImagePlan): Readable {
  return packEntries(plan.context, { mtime: plan.mtime });
}

/** "function/handler.js  120 B" lines for --dry-run. */
export function contextListing(plan: FunctionImagePlan): string[] {
  return [...plan.context]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => (entry.type === 'directory' ? `${entry.path}/` : entry.type === 'symlink' ? `${entry.path} -> ${entry.linkTarget}` : `${entry.path}  ${entry.content?.length ?? 0} B`));
}
