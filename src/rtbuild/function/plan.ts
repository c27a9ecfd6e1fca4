// The plan of a function image, made before any engine work and without an engine: the checked
// sources, the generated Dockerfile and install tools, the reproducible build context, the secrets the
// build session serves, the labels and build arguments. The same plan serves the build and --dry-run.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BuildConfig, BuildTarget } from '../../config/rtbuild.js';
import { InvalidInputError } from '../../errors.js';
import { type ArchiveEntry, entrySize, packEntries } from '../../image/archive.js';
import { gitFacts, ociLabels } from '../../image/labels.js';
import type { Family } from '../../platform/runtimes.js';
import type { BaseFacts } from './base.js';
import {
  CONTEXT_DEPS,
  CONTEXT_SECRETS,
  CONTEXT_SOURCES,
  CONTEXT_TOOLS,
  REGISTRY_ARGS,
  SECRET_FILES,
  SECRET_IDS,
  depsLayout,
  generateDockerfile,
  kymaPythonPath,
} from './dockerfile.js';
import type { FunctionInput } from './input.js';
import { installTools, rootScriptsOf, scanValues } from './install-script.js';
import { checkKymaSources } from './kyma-function.js';
import { type CredentialFile, type Redactor, createRedactor, readCredentialFile } from './secrets.js';
import { type FunctionSource, inlineFunctionSource, readFunctionSource } from './source.js';

/** The build argument that keys the deps stage's cache to the credential file's content. */
export const CREDENTIAL_DIGEST_ARG = 'RTBUILD_CREDENTIAL_DIGEST';

export interface FunctionImagePlan {
  target: BuildTarget;
  /** The Function's name (metadata.name). */
  name: string;
  base: BaseFacts;
  family: Family;
  source: FunctionSource;
  /** The credential file the install step uses, if any (its content reaches the deps stage only). */
  credentialPath: string | undefined;
  dockerfile: string;
  /** rtbuild/tools/ files: install.sh and its helpers (shown by --dry-run). */
  tools: { name: string; content: string }[];
  /** Every entry of the build context, paths as in the context. */
  context: ArchiveEntry[];
  /** Secrets the build session serves (BuildKit secret mounts); undefined without a credential. */
  secrets: ReadonlyMap<string, Buffer> | undefined;
  mtime: number;
  labels: Record<string, string>;
  /** Build arguments for the engine, base_image included (values may be secret: never print them). */
  buildArgs: Record<string, string>;
  redact: Redactor;
  /** Lines worth telling the user (large files, files a Kyma Function leaves out). */
  notes: string[];
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

/** uid and gid of the base image's numeric user (IMG-USER), who runs the install scripts; 1000 when unknown (dry run). */
export function installUser(base: Pick<BaseFacts, 'user'>): { uid: string; gid: string } {
  const [uid = '1000', gid] = (base.user ?? '1000').split(':');
  return { uid, gid: gid ?? uid };
}

function humanSize(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export async function planFunctionImage(config: BuildConfig, base: BaseFacts, input: FunctionInput): Promise<FunctionImagePlan> {
  const family = base.runtime.family;
  const target = config.target;
  const moduleName = target === 'kyma' ? 'handler' : base.moduleName;
  const source = input.inline ? await inlineFunctionSource(input.inline, family, { moduleName }) : await readFunctionSource(input.root, family, { moduleName });
  const notes = source.largeFiles.map(
    (file) => `warning: ${file.path} is ${humanSize(file.size)}; it goes into the source layer (leave it out with .rtbuildignore if the Function does not need it)`,
  );
  if (target === 'kyma') notes.push(...checkKymaSources(source, base));
  const credential = await credentialFor(config, family, source, base);
  const registryUrl = family.name === 'nodejs' ? config.npmRegistry : config.pipIndexUrl;

  const deps = source.dependencies;
  const layout = depsLayout(target, family.name, base.installDir);
  const user = installUser(base);
  const secretsBy = config.builder === 'classic' ? 'copy' : 'mount';
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
  const withCredential = deps !== undefined && credential !== undefined;
  if (withCredential && secretsBy === 'mount') {
    // BuildKit leaves secret mounts out of the cache key: a changed credential file (another registry
    // in it) must install again, as it did when the file was copied. Its digest is a build argument of
    // the deps stage only; the final image's history never has it.
    depsArgs.push(CREDENTIAL_DIGEST_ARG);
    buildArgs[CREDENTIAL_DIGEST_ARG] = createHash('sha256').update(credential.file.content).digest('hex');
  }
  const dockerfile = generateDockerfile({
    family: family.name,
    target,
    installDir: base.installDir,
    dependencies: deps ? { layout, credential: withCredential, args: depsArgs, credentialUid: family.name === 'nodejs' ? '0' : user.uid } : undefined,
    secrets: secretsBy,
    baseUser: base.user,
    pythonPath: target === 'kyma' && family.name === 'python' && deps ? kymaPythonPath(base.pythonPath) : undefined,
  });
  const manifest = deps?.files.find((entry) => entry.path === family.manifest)?.content;
  const rootScripts = family.name === 'nodejs' && manifest ? rootScriptsOf(JSON.parse(manifest.toString('utf8'))) : undefined;
  const tools = deps ? installTools({ family: family.name, layout, lockfile: deps.lockfile, credential: withCredential, secrets: secretsBy, user, rootScripts }) : [];

  const context: ArchiveEntry[] = [{ path: 'Dockerfile', type: 'file', content: Buffer.from(dockerfile) }];
  if (target === 'function') {
    context.push(...folderEntries(parentFolders(`${CONTEXT_SOURCES}${base.installDir}`)), ...under(`${CONTEXT_SOURCES}${base.installDir}`, source.entries));
  }
  let secrets: Map<string, Buffer> | undefined;
  if (deps) {
    context.push(...folderEntries(parentFolders(CONTEXT_DEPS)), ...under(CONTEXT_DEPS, deps.files), ...folderEntries([CONTEXT_TOOLS]));
    context.push(...tools.map((tool): ArchiveEntry => ({ path: `${CONTEXT_TOOLS}/${tool.name}`, type: 'file', content: Buffer.from(tool.content) })));
    if (credential) {
      const values = scanValues(credential.file.secrets);
      if (secretsBy === 'copy') {
        context.push(
          ...folderEntries([CONTEXT_SECRETS]),
          { path: `${CONTEXT_SECRETS}/${SECRET_FILES.credential}`, type: 'file', content: credential.file.content },
          { path: `${CONTEXT_SECRETS}/${SECRET_FILES.scan}`, type: 'file', content: values },
        );
      } else {
        secrets = new Map([
          [SECRET_IDS.credential, credential.file.content],
          [SECRET_IDS.scan, values],
        ]);
      }
    }
  }

  const git = await gitFacts(source.root);
  const created = config.sourceDateEpoch ?? Math.floor(Date.now() / 1000);
  const labels = ociLabels({ baseName: base.name, baseDigest: base.digest, created, source: config.sourceUrl ?? git.remote, revision: git.revision });
  return {
    target,
    name: input.name,
    base,
    family,
    source,
    credentialPath: credential?.path,
    dockerfile,
    tools,
    context,
    secrets,
    mtime: config.sourceDateEpoch ?? 0,
    labels,
    buildArgs,
    redact: createRedactor(credential?.file.secrets ?? []),
    notes,
  };
}

/** The context as the engine gets it: same plan → same bytes; files stream from disk. */
export function packContext(plan: FunctionImagePlan): Readable {
  return packEntries(plan.context, { mtime: plan.mtime });
}

/** "function/handler.js  120 B" lines for --dry-run. */
export function contextListing(plan: FunctionImagePlan): string[] {
  return [...plan.context]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => (entry.type === 'directory' ? `${entry.path}/` : entry.type === 'symlink' ? `${entry.path} -> ${entry.linkTarget}` : `${entry.path}  ${entrySize(entry)} B`));
}
