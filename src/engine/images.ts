// Images in the engine: inspect, history, the layers added on top of a base, exists, pull, tag, push,
// remove, save, load. Each engine failure becomes one of our errors (404 → ImageNotFoundError).
import type { Readable } from 'node:stream';
import { EngineRequestError, ImageNotFoundError, InvalidInputError, PullFailedError, PushFailedError, isRtError } from '../errors.js';
import { type Reference, formatReference, repositoryName } from '../image/reference.js';
import { engineText, statusOf } from './engine-errors.js';
import { type EngineHttp, enginePath, registryHeader } from './http.js';
import { StreamFailure, auxObject, emitMessage, readEngineStream } from './json-stream.js';
import { pairLayersWithHistory } from './layers.js';
import type { AddedLayer, HistoryEntry, ImageInfo, ProgressListener, PushResult, RegistryAuth } from './types.js';

/** The engine's inspect answer, the fields read here. */
interface RawImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Config?: {
    User?: string;
    Env?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    OnBuild?: string[] | null;
  } | null;
  RootFS?: { Layers?: string[] | null };
  Size: number;
  Created: string;
  Architecture: string;
  Os: string;
}

function notFoundOr(reference: string, what: string, cause: unknown): Error {
  if (statusOf(cause) === 404) return new ImageNotFoundError(reference, { cause });
  // No engine at all says so itself (EngineUnavailableError).
  if (isRtError(cause)) return cause;
  return new EngineRequestError(`could not ${what} image ${reference}: ${engineText(cause)}`, { cause });
}

export function imageInfo(raw: RawImage): ImageInfo {
  const config = raw.Config ?? {};
  return {
    id: raw.Id,
    repoTags: raw.RepoTags ?? [],
    repoDigests: raw.RepoDigests ?? [],
    user: config.User ?? '',
    env: envToRecord(config.Env ?? []),
    exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    entrypoint: toArray(config.Entrypoint),
    cmd: toArray(config.Cmd),
    workingDir: config.WorkingDir ?? '',
    labels: config.Labels ?? {},
    onBuild: config.OnBuild ?? [],
    layers: raw.RootFS?.Layers ?? [],
    size: raw.Size,
    created: raw.Created,
    architecture: raw.Architecture,
    os: raw.Os,
  };
}

export async function inspectImage(http: EngineHttp, reference: string): Promise<ImageInfo> {
  try {
    return imageInfo(await http.json<RawImage>('GET', `/images/${enginePath(reference)}/json`));
  } catch (cause) {
    throw notFoundOr(reference, 'inspect', cause);
  }
}

/** The image, or undefined when the engine has none of that name (one request for both questions). */
export async function findImage(http: EngineHttp, reference: string): Promise<ImageInfo | undefined> {
  try {
    return await inspectImage(http, reference);
  } catch (cause) {
    if (cause instanceof ImageNotFoundError) return undefined;
    throw cause;
  }
}

export async function imageHistory(http: EngineHttp, reference: string): Promise<HistoryEntry[]> {
  let raw: { CreatedBy?: string; Size?: number; Comment?: string }[];
  try {
    raw = await http.json('GET', `/images/${enginePath(reference)}/history`);
  } catch (cause) {
    throw notFoundOr(reference, 'read the history of', cause);
  }
  return raw.map((entry) => ({ createdBy: entry.CreatedBy ?? '', size: entry.Size ?? 0, comment: entry.Comment ?? '' }));
}

export async function addedLayers(http: EngineHttp, image: string, base: string): Promise<AddedLayer[]> {
  const [top, bottom, history, baseHistory] = await Promise.all([
    inspectImage(http, image),
    inspectImage(http, base),
    imageHistory(http, image),
    imageHistory(http, base),
  ]);
  if (bottom.layers.some((layer, index) => top.layers[index] !== layer)) {
    throw new InvalidInputError(`image ${image} is not built on ${base}: its layers do not start with the base image's`);
  }
  // The history lists the base image's entries first (oldest), then those the build added.
  const added = history.slice(0, Math.max(0, history.length - baseHistory.length)).reverse();
  return pairLayersWithHistory(top.layers.slice(bottom.layers.length), added);
}

export async function imageExists(http: EngineHttp, reference: string): Promise<boolean> {
  return (await findImage(http, reference)) !== undefined;
}

export async function pullImage(
  http: EngineHttp,
  reference: Reference,
  options: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener } = {},
): Promise<void> {
  const name = formatReference(reference);
  try {
    const stream = await http.request('POST', '/images/create', {
      // A tag (or digest) always: without one the engine pulls every tag of the repository.
      query: { fromImage: repositoryName(reference), tag: reference.digest ?? reference.tag ?? 'latest', platform: options.platform },
      headers: { 'X-Registry-Auth': registryHeader(options.auth ?? {}) },
    });
    await readEngineStream(stream, (m) => emitMessage(options.onProgress, 'pull', m));
  } catch (cause) {
    throw new PullFailedError(name, cause instanceof StreamFailure ? cause.engineMessage : engineText(cause), {
      cause,
      hint: 'check the name, that the registry is reachable, and your credentials (docker login)',
    });
  }
}

export async function tagImage(http: EngineHttp, source: string, target: Reference): Promise<void> {
  try {
    await http.send('POST', `/images/${enginePath(source)}/tag`, { query: { repo: repositoryName(target), tag: target.tag ?? 'latest' } });
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(source, { cause });
    throw new EngineRequestError(`could not tag ${source} as ${formatReference(target)}: ${engineText(cause)}`, { cause });
  }
}

export async function pushImage(
  http: EngineHttp,
  reference: Reference,
  options: { auth?: RegistryAuth; onProgress?: ProgressListener } = {},
): Promise<PushResult> {
  const tag = reference.tag ?? 'latest';
  const name = `${repositoryName(reference)}:${tag}`;
  let digest: string | undefined;
  let size: number | undefined;
  try {
    // The engine wants X-Registry-Auth on every push; "{}" is the anonymous value the docker CLI sends.
    const stream = await http.request('POST', `/images/${enginePath(repositoryName(reference))}/push`, {
      query: { tag },
      headers: { 'X-Registry-Auth': registryHeader(options.auth ?? {}) },
    });
    await readEngineStream(stream, (message) => {
      const aux = auxObject(message);
      if (aux?.Digest) {
        digest = aux.Digest;
        size = aux.Size;
      }
      emitMessage(options.onProgress, 'push', message);
    });
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(name, { cause });
    const text = cause instanceof StreamFailure ? cause.engineMessage : engineText(cause);
    throw new PushFailedError(name, text, {
      cause,
      // The registry's refusal arrives as text only; this picks the hint, not the error class.
      hint: /auth|denied|unauthorized/i.test(text)
        ? `log in to ${reference.registry} (docker login ${reference.registry}) or check the credentials in your Docker config`
        : `check that the registry ${reference.registry} is reachable and accepts pushes`,
    });
  }
  if (!digest) throw new PushFailedError(name, 'the registry did not report a digest');
  return { reference: Object.freeze({ ...reference, tag, digest: undefined }), digest, size };
}

export async function removeImage(http: EngineHttp, reference: string, options: { force?: boolean } = {}): Promise<void> {
  try {
    await http.send('DELETE', `/images/${enginePath(reference)}`, { query: { force: options.force ?? false } });
  } catch (cause) {
    if (statusOf(cause) === 404) return;
    throw new EngineRequestError(`could not remove image ${reference}: ${engineText(cause)}`, { cause });
  }
}

export async function saveImage(http: EngineHttp, reference: string): Promise<Readable> {
  try {
    return await http.request('GET', `/images/${enginePath(reference)}/get`);
  } catch (cause) {
    throw notFoundOr(reference, 'save', cause);
  }
}

/**
 * `docker load` of an image archive (manifest.json, config, layers): the engine reads a layer file only
 * when it does not have that layer already, so an archive may leave out the layers it has.
 */
export async function loadImage(http: EngineHttp, archive: Readable | Buffer): Promise<void> {
  try {
    await readEngineStream(await http.request('POST', '/images/load', { query: { quiet: true }, headers: { 'content-type': 'application/x-tar' }, body: archive }));
  } catch (cause) {
    const text = cause instanceof StreamFailure ? cause.engineMessage : engineText(cause);
    throw new EngineRequestError(`the engine did not load the image: ${text}`, { cause });
  }
}

function envToRecord(env: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) record[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return record;
}

function toArray(value: string | string[] | undefined | null): string[] | null {
  if (value === undefined || value === null) return null;
  return Array.isArray(value) ? value : [value];
}
