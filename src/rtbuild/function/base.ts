// What rtbuild takes from the base image (FIN-BASE, IMG-RUNTIME, IMG-VOLUME, IMG-USER): found in the
// engine or pulled with the Docker config's credentials, or assumed without an engine (--dry-run).
import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { BuildConfig } from '../../config/rtbuild.js';
import type { Engine, ImageInfo } from '../../engine/index.js';
import { ImageNotFoundError, InvalidInputError, isRtError } from '../../errors.js';
import { registryDigestOf } from '../../image/labels.js';
import { type Reference, formatReference } from '../../image/reference.js';
import { DEFAULT_INSTALL_VOLUME, DEFAULT_MODULE_NAME, FAMILIES, RUNTIMES, type Runtime, type RuntimeFamily, runtimeById } from '../../platform/runtimes.js';
import { resolveRegistryAuth } from '../../registry/auth.js';

export interface BaseFacts {
  reference: Reference;
  /** The reference as the engine and the labels name it. */
  name: string;
  id: string | undefined;
  digest: string | undefined;
  /** From FUNC_RUNTIME (IMG-RUNTIME), one of the runtime table or any nodejs<major> / python3<minor>. */
  runtime: Runtime;
  user: string | undefined;
  installDir: string;
  moduleName: string;
  /** The image's PYTHONPATH (an override image appends its dependency folder: OVR-BAKED). */
  pythonPath: string | undefined;
  /** The base image's layers (diff ids, bottom first), bytes and ONBUILD triggers; empty without an engine. */
  layers: readonly string[];
  size: number;
  onBuild: readonly string[];
}

export type Reporter = (line: string) => void;

const NUMERIC_NON_ROOT = /^(\d+)(:\d+)?$/;

/** Base facts from an inspected image; refuses images that break the contract rtbuild relies on. */
export function baseFactsFromImage(reference: Reference, info: ImageInfo, wantedRuntime: Runtime | undefined): BaseFacts {
  const name = formatReference(reference);
  const declared = info.env.FUNC_RUNTIME;
  if (!declared) {
    throw new InvalidInputError(`the base image ${name} does not declare FUNC_RUNTIME`, {
      hint: 'use a function runtime base image (IMG-RUNTIME: ENV FUNC_RUNTIME=nodejs20 or python312)',
    });
  }
  if (wantedRuntime !== undefined && wantedRuntime.id !== declared) {
    throw new InvalidInputError(`--runtime ${wantedRuntime.id} does not match the base image ${name}, which declares FUNC_RUNTIME=${declared}`, {
      hint: 'drop --runtime (it is read from the base image) or use a base image of that runtime',
    });
  }
  const runtime = runtimeById(declared, ` (FUNC_RUNTIME of the base image ${name})`);
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
    reference,
    name,
    id: info.id,
    digest: registryDigestOf(info.repoDigests, reference),
    runtime,
    user: info.user,
    installDir,
    moduleName: info.env.MOD_NAME ?? DEFAULT_MODULE_NAME,
    pythonPath: info.env.PYTHONPATH,
    layers: info.layers,
    size: info.size,
    onBuild: info.onBuild ?? [],
  };
}

async function pullBase(engine: Engine, reference: Reference, env: NodeJS.ProcessEnv, platform: string | undefined): Promise<void> {
  const auth = await resolveRegistryAuth(reference.registry, { env });
  await engine.pullImage(reference, { ...(auth ? { auth } : {}), ...(platform ? { platform } : {}) });
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
export async function resolveBase(engine: Engine, config: BuildConfig, report: Reporter, env: NodeJS.ProcessEnv, wanted: Runtime | undefined = config.runtime): Promise<BaseFacts> {
  const reference = config.baseImage;
  const name = formatReference(reference);
  // One request says whether the engine has it and what it is (issue 16: no exists-then-inspect).
  let info = await engine.findImage(name);
  if (info === undefined) {
    report(`base image ${name} is not in the engine; pulling it${config.platform ? ` for ${config.platform}` : ''}`);
    try {
      await pullBase(engine, reference, env, config.platform);
    } catch (cause) {
      throw new ImageNotFoundError(name, {
        cause,
        details: isRtError(cause) ? cause.message : String(cause),
        hint: `check --base-image; build the base image first, or make its registry reachable (docker pull ${name})`,
      });
    }
    info = await engine.inspectImage(name);
  }
  const platform = config.platform;
  if (platform !== undefined && !platformMatches(info, platform)) {
    report(`base image ${name} is ${info.os}/${info.architecture} here; pulling it for ${platform}`);
    const pullFailure = await pullBase(engine, reference, env, platform).then(
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
  return baseFactsFromImage(reference, info, wanted);
}

/** The first runtime of the table of a family: what a dry run assumes without a base image. */
function firstRuntimeOf(family: RuntimeFamily): Runtime {
  const runtime = RUNTIMES.find((candidate) => candidate.family.name === family);
  if (!runtime) throw new InvalidInputError(`the runtime table has no ${family} runtime`, { hint: 'pass --runtime' });
  return runtime;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Base facts without an engine (--dry-run): the runtime comes from --runtime (or the Function
 * resource's), or from the handler file in the source folder (the first runtime of the table of that
 * family); user and install volume are the contract's defaults.
 */
export async function assumedBase(config: BuildConfig, folder: string = config.source, wanted: Runtime | undefined = config.runtime): Promise<BaseFacts> {
  const hasHandler = async (family: RuntimeFamily): Promise<boolean> => {
    const found = await Promise.all(FAMILIES[family].handlerExtensions.map((ext) => isFile(join(folder, DEFAULT_MODULE_NAME + ext))));
    return found.includes(true);
  };
  const family = (await hasHandler('python')) && !(await hasHandler('nodejs')) ? 'python' : 'nodejs';
  const runtime = wanted ?? firstRuntimeOf(family);
  return {
    reference: config.baseImage,
    name: formatReference(config.baseImage),
    id: undefined,
    digest: undefined,
    runtime,
    user: undefined,
    installDir: DEFAULT_INSTALL_VOLUME,
    moduleName: DEFAULT_MODULE_NAME,
    pythonPath: undefined,
    layers: [],
    size: 0,
    onBuild: [],
  };
}
