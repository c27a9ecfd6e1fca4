// The function image builder: takes a validated BuildConfig, checks the base image and the sources,
// generates the Dockerfile and the reproducible context, builds, optionally pushes, and returns a
// plain result. Throws RtErrors; never exits, never prints (progress goes to the given listener).
import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { BuildConfig } from '../../config/rtbuild.js';
import type { Engine, ImageInfo } from '../../engine/index.js';
import { BuildFailedError, ImageNotFoundError, InvalidInputError, isRtError } from '../../errors.js';
import { parseReference } from '../../image/reference.js';
import { resolveRegistryAuth } from '../../registry/auth.js';
import { type ArchiveEntry, packEntries } from '../../image/archive.js';
import { CONTEXT_DEPS, CONTEXT_SECRETS, CONTEXT_SOURCES, REGISTRY_ARGS, generateDockerfile } from './dockerfile.js';
import { type FunctionSource, readFunctionSource } from './source.js';
import { baseDigestOf, gitFacts, ociLabels } from '../../image/labels.js';
import { type PushedReference, pushTags } from '../publish/registry.js';
import { DEFAULT_INSTALL_VOLUME, DEFAULT_MODULE_NAME, type Family, runtimeById } from '../../platform/runtimes.js';
import { type CredentialFile, type Redactor, createRedactor, readCredentialFile } from './secrets.js';

/** What rtbuild takes from the base image (FIN-BASE, IMG-RUNTIME, IMG-VOLUME). */
export interface BaseFacts {
  name: string;
  id: string | undefined;
  digest: string | undefined;
  runtime: string;
  user: string | undefined;
  installDir: string;
  moduleName: string;
  layers: readonly string[];
  /** Bytes, as the engine counts them (with all layers). */
  size: number | undefined;
}

export interface FunctionImagePlan {
  base: BaseFacts;
  spec: Family;
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

export interface FunctionImageResult {
  imageId: string;
  tags: string[];
  runtime: string;
  baseImage: { name: string; digest: string | undefined; user: string | undefined };
  size: number;
  /** Layers added on top of the base image, bottom first. */
  layers: { role: 'dependencies' | 'sources'; diffId: string; size: number | undefined }[];
  pushed: PushedReference[];
  timingsMs: { validate: number; build: number; push: number; total: number };
}

export type Reporter = (line: string) => void;

const NUMERIC_NON_ROOT = /^(\d+)(:\d+)?$/;

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** Base facts from an inspected image; refuses images that break the contract rtbuild relies on. */
export function baseFactsFromImage(name: string, info: ImageInfo, wantedRuntime: string | undefined): BaseFacts {
  const runtime = info.env.FUNC_RUNTIME;
  if (!runtime) {
    throw new InvalidInputError(`the base image ${name} does not declare FUNC_RUNTIME`, {
      hint: 'use a function runtime base image (IMG-RUNTIME: ENV FUNC_RUNTIME=nodejs20 or python312)',
    });
  }
  if (wantedRuntime !== undefined && wantedRuntime !== runtime) {
    throw new InvalidInputError(`--runtime ${wantedRuntime} does not match the base image ${name}, which declares FUNC_RUNTIME=${runtime}`, {
      hint: 'drop --runtime (it is read from the base image) or use a base image of that runtime',
    });
  }
  const uid = NUMERIC_NON_ROOT.exec(info.user)?.[1];
  if (uid === undefined || Number(uid) === 0) {
    throw new InvalidInputError(`the base image ${name} runs as user "${info.user || 'root'}", not as a numeric non-root user`, {
      hint: 'the final image keeps the base image user (FIN-BASE); the base image needs USER 1000 or similar (IMG-USER)',
    });
  }
  const installDir = posix.normalize(info.env.KUBELESS_INSTALL_VOLUME ?? DEFAULT_INSTALL_VOLUME).replace(/\/+$/, '');
  if (!installDir.startsWith('/')) {
    throw new InvalidInputError(`the base image ${name} sets KUBELESS_INSTALL_VOLUME="${installDir}", which is not an absolute path`);
  }
  return {
    name,
    id: info.id,
    digest: baseDigestOf(info.repoDigests, info.id),
    runtime,
    user: info.user,
    installDir,
    moduleName: info.env.MOD_NAME ?? DEFAULT_MODULE_NAME,
    layers: info.layers,
    size: info.size,
  };
}

async function pullBase(engine: Engine, name: string, env: NodeJS.ProcessEnv, platform: string | undefined): Promise<void> {
  const auth = await resolveRegistryAuth(parseReference(name).registry, { env });
  await engine.pullImage(name, { ...(auth ? { auth } : {}), ...(platform ? { platform } : {}) });
}

/** "linux/arm64/v8" against an image's os and architecture (a variant is not compared). */
function platformMatches(info: ImageInfo, platform: string): boolean {
  const [os, arch] = platform.split('/');
  return info.os === os && info.architecture === arch;
}

/**
 * Finds the base image locally or pulls it (Docker config credentials) and reads its facts. With
 * --platform, the base image must be of that platform: the engine would otherwise build on whatever
 * it has and stamp the requested platform on the result (seen with BuildKit in dockerd 20.10).
 */
export async function resolveBase(engine: Engine, config: BuildConfig, report: Reporter, env: NodeJS.ProcessEnv): Promise<BaseFacts> {
  const name = config.baseImage;
  if (!(await engine.imageExists(name))) {
    report(`base image ${name} is not in the engine; pulling it${config.platform ? ` for ${config.platform}` : ''}`);
    try {
      await pullBase(engine, name, env, config.platform);
    } catch (cause) {
      throw new ImageNotFoundError(name, {
        cause,
        details: isRtError(cause) ? cause.message : String(cause),
        hint: `check --base-image; build the base image first, or make its registry reachable (docker pull ${name})`,
      });
    }
  }
  let info = await engine.inspectImage(name);
  const platform = config.platform;
  if (platform !== undefined && !platformMatches(info, platform)) {
    report(`base image ${name} is ${info.os}/${info.architecture} here; pulling it for ${platform}`);
    const pullFailure = await pullBase(engine, name, env, platform).then(
      () => undefined,
      (cause: unknown) => (cause instanceof Error ? cause : new Error(String(cause))),
    );
    info = await engine.inspectImage(name);
    if (!platformMatches(info, platform)) {
      throw new InvalidInputError(`the base image ${name} is ${info.os}/${info.architecture}, not ${platform}`, {
        ...(pullFailure ? { cause: pullFailure, details: pullFailure.message } : {}),
        hint: `use a base image built for ${platform} (e.g. a multi-platform image in a registry the engine reaches), or drop --platform`,
      });
    }
  }
  return baseFactsFromImage(name, info, config.runtime);
}

/**
 * Base facts without an engine (--dry-run): the runtime comes from --runtime or from the handler file
 * in the source folder; user and install volume are the contract's defaults.
 */
export async function assumedBase(config: BuildConfig): Promise<BaseFacts> {
  const has = (ext: string): Promise<boolean> => isFile(join(config.source, DEFAULT_MODULE_NAME + ext));
  const runtime = config.runtime ?? ((await has('.py')) && !(await has('.js')) ? 'python312' : 'nodejs20');
  return {
    name: config.baseImage,
    id: undefined,
    digest: undefined,
    runtime,
    user: undefined,
    installDir: DEFAULT_INSTALL_VOLUME,
    moduleName: DEFAULT_MODULE_NAME,
    layers: [],
    size: undefined,
  };
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

export async function planFunctionImage(config: BuildConfig, base: BaseFacts): Promise<FunctionImagePlan> {
  const spec = runtimeById(base.runtime).family;
  const source = await readFunctionSource(config.source, spec, { moduleName: base.moduleName });
  // A credential file in the source folder (never shipped) serves the install step when no flag names one.
  const credentialName = spec.name === 'nodejs' ? 'npmrc' : 'pip.conf';
  const inFolder = join(source.root, spec.name === 'nodejs' ? '.npmrc' : 'pip.conf');
  const credentialPath = (spec.name === 'nodejs' ? config.npmrc : config.pipConf) ?? ((await isFile(inFolder)) ? inFolder : undefined);
  const otherCredential = spec.name === 'nodejs' ? config.pipConf : config.npmrc;
  if (otherCredential !== undefined) {
    throw new InvalidInputError(`${spec.name === 'nodejs' ? '--pip-conf' : '--npmrc'} was given for a ${base.runtime} function`, {
      hint: spec.name === 'nodejs' ? 'Node functions take --npmrc' : 'Python functions take --pip-conf',
    });
  }
  let credential: CredentialFile | undefined;
  if (credentialPath !== undefined) credential = await readCredentialFile(credentialPath, credentialName);
  const registryUrl = spec.name === 'nodejs' ? config.npmRegistry : config.pipIndexUrl;

  const deps = source.dependencies;
  const buildArgs: Record<string, string> = { base_image: config.baseImage };
  const depsArgs: string[] = [];
  if (deps) {
    if (registryUrl !== undefined) {
      depsArgs.push(REGISTRY_ARGS[spec.name]);
      buildArgs[REGISTRY_ARGS[spec.name]] = registryUrl;
    }
    for (const [key, value] of Object.entries(config.buildArgs).sort()) {
      depsArgs.push(key);
      buildArgs[key] = value;
    }
  }
  const dockerfile = generateDockerfile({
    family: spec.name,
    installDir: base.installDir,
    dependencies: deps ? { lockfile: deps.lockfile, credentialFile: credential && credential.name, args: depsArgs } : undefined,
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
      context.push(...folderEntries([CONTEXT_SECRETS]), { path: `${CONTEXT_SECRETS}/${credential.name}`, type: 'file', content: credential.content });
    }
  }

  const git = await gitFacts(source.root);
  const created = config.sourceDateEpoch ?? Math.floor(Date.now() / 1000);
  const labels = ociLabels({
    baseName: config.baseImage,
    baseDigest: base.digest,
    created,
    source: config.sourceUrl ?? git.remote,
    revision: git.revision,
  });
  return {
    base,
    spec,
    source,
    credentialPath: credential ? credentialPath : undefined,
    dockerfile,
    context,
    mtime: config.sourceDateEpoch ?? 0,
    labels,
    buildArgs,
    redact: createRedactor(credential?.secrets ?? []),
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

/** Terminal colour codes the engine wraps around a step's stderr. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The output of the step that failed: the lines after the engine's last "Running in", without noise. */
export function failedStepOutput(log: string): string {
  const lines = stripAnsi(log).split('\n');
  const start = lines.findLastIndex((line) => /^\s*---> Running in /.test(line));
  return lines
    .slice(start + 1)
    .filter((line) => line.trim() !== '' && !/^Removing intermediate container/.test(line.trim()))
    .join('\n');
}

/**
 * The engine's message for a RUN step that exited non-zero, made short: both builders repeat the
 * whole command ("The command '/bin/sh -c …' returned a non-zero code: 1", BuildKit's "executor failed
 * running [/bin/sh -c …]: exit code: 1"). Other messages are returned as they are.
 */
export function failedRunMessage(engineMessage: string): string {
  const match =
    /^The command '\/bin\/sh -c (.*)' returned a non-zero code: (\d+)$/s.exec(engineMessage) ??
    /^(?:.*: )?executor failed running \[\/bin\/sh -c (.*)\]: exit code: (\d+)$/s.exec(engineMessage);
  if (!match) return engineMessage;
  const command = (match[1] as string).split(';')[0]!.trim();
  const shown = command.length > 80 ? `${command.slice(0, 79)}…` : command;
  return `the step "RUN ${shown}" exited with code ${match[2]}`;
}

function dependencyHint(plan: FunctionImagePlan, config: BuildConfig): string {
  const manager = plan.spec.name === 'nodejs' ? 'npm' : 'pip';
  const network = config.network === 'host' ? '' : '; a registry on 127.0.0.1 needs --network host';
  return `the dependency install (${manager}) failed: check ${plan.spec.manifest}, the registry URL and credentials${network}`;
}

/** `env` is read only for registry credentials (DOCKER_CONFIG, HOME). */
export async function buildFunctionImage(engine: Engine, config: BuildConfig, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<FunctionImageResult> {
  const started = Date.now();
  const base = await resolveBase(engine, config, report, env);
  report(`base image ${base.name}: runtime ${base.runtime}, user ${base.user}, sources into ${base.installDir}`);
  const plan = await planFunctionImage(config, base);
  const deps = plan.source.dependencies;
  report(
    `sources: ${plan.source.entries.filter((e) => e.type !== 'directory').length} files from ${plan.source.root}` +
      (plan.source.ignoreFile ? ` (ignore file ${plan.source.ignoreFile})` : '') +
      `; dependencies: ${deps ? `${plan.spec.manifest}${deps.lockfile ? ` + ${deps.lockfile}` : ''}` : 'none'}` +
      (deps && plan.credentialPath ? `; credentials for the install step only: ${plan.credentialPath}` : ''),
  );
  const validated = Date.now();

  let built;
  try {
    built = await engine.buildImage(packContext(plan), {
      builder: config.builder,
      tags: [...config.tags],
      buildArgs: plan.buildArgs,
      labels: plan.labels,
      networkMode: config.network,
      ...(config.platform ? { platform: config.platform } : {}),
      noCache: config.noCache,
      onProgress: (event) => report(`  ${plan.redact(stripAnsi(event.text))}`),
    });
  } catch (cause) {
    if (!(cause instanceof BuildFailedError)) throw cause;
    const inDeps = /npm|pip|returned a non-zero code|exit code/.test(cause.engineMessage) && deps !== undefined;
    throw new BuildFailedError(plan.redact(failedRunMessage(cause.engineMessage)), {
      details: cause.details === undefined ? undefined : plan.redact(failedStepOutput(cause.details)),
      hint: inDeps ? dependencyHint(plan, config) : 'the output of the failed step is shown above',
    });
  }
  const builtAt = Date.now();
  report(`built ${built.id}${config.tags.length ? ` as ${config.tags.join(', ')}` : ''} in ${((builtAt - validated) / 1000).toFixed(1)} s`);

  const pushed = config.push ? await pushTags(engine, config.tags, { env, onProgress: (e) => report(`  ${e.text}`) }) : [];
  for (const p of pushed) report(`pushed ${p.reference}@${p.digest}`);
  const done = Date.now();

  const info = await engine.inspectImage(built.id);
  const added = info.layers.slice(base.layers.length);
  const roles: ('dependencies' | 'sources')[] = deps ? ['dependencies', 'sources'] : ['sources'];
  const sizes = await addedLayerSizes(engine, built.id, base.id, added.length);
  return {
    imageId: built.id,
    tags: [...config.tags],
    runtime: base.runtime,
    baseImage: { name: base.name, digest: base.digest, user: base.user },
    size: info.size,
    layers: added.map((diffId, index) => ({ role: roles[index] ?? 'sources', diffId, size: sizes[index] })),
    pushed,
    timingsMs: { validate: validated - started, build: builtAt - validated, push: done - builtAt, total: done - started },
  };
}

/**
 * Sizes of the layers the final stage adds (its COPY steps, bottom first), from the image history.
 * Undefined where the history does not tell.
 */
async function addedLayerSizes(engine: Engine, imageId: string, baseId: string | undefined, count: number): Promise<(number | undefined)[]> {
  const unknown = new Array<undefined>(count).fill(undefined);
  if (baseId === undefined) return unknown;
  const [history, baseHistory] = await Promise.all([engine.imageHistory(imageId), engine.imageHistory(baseId)]);
  const copies = history
    .slice(0, history.length - baseHistory.length)
    .filter((entry) => /^(\/bin\/sh -c #\(nop\) )?COPY /.test(entry.createdBy))
    .reverse();
  return copies.length === count ? copies.map((entry) => entry.size) : unknown;
}
