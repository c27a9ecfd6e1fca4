// Images in the engine: inspect, history, the layers added on top of a base, exists, pull, tag, push,
// remove, save. Each engine failure becomes one of our errors (404 → ImageNotFoundError).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EngineRequestError, ImageNotFoundError, InvalidInputError, PullFailedError, PushFailedError } from '../errors.js';
import { type Reference, formatReference, repositoryName } from '../image/reference.js';
import { engineText, statusOf } from './engine-errors.js';
import { StreamFailure, auxObject, emitMessage, readEngineStream } from './json-stream.js';
import { pairLayersWithHistory } from './layers.js';
import type { AddedLayer, HistoryEntry, ImageInfo, ProgressListener, PushResult, RegistryAuth } from './types.js';

export async function inspectImage(docker: Docker, reference: string): Promise<ImageInfo> {
  let raw: Docker.ImageInspectInfo;
  try {
    raw = await docker.getImage(reference).inspect();
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
    throw new EngineRequestError(`could not inspect image ${reference}: ${engineText(cause)}`, { cause });
  }
  const config = raw.Config;
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
    layers: raw.RootFS?.Layers ?? [],
    size: raw.Size,
    created: raw.Created,
    architecture: raw.Architecture,
    os: raw.Os,
  };
}

export async function imageHistory(docker: Docker, reference: string): Promise<HistoryEntry[]> {
  let raw: { CreatedBy?: string; Size?: number; Comment?: string }[];
  try {
    raw = (await docker.getImage(reference).history()) as typeof raw;
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
    throw new EngineRequestError(`could not read the history of image ${reference}: ${engineText(cause)}`, { cause });
  }
  return raw.map((entry) => ({ createdBy: entry.CreatedBy ?? '', size: entry.Size ?? 0, comment: entry.Comment ?? '' }));
}

export async function addedLayers(docker: Docker, image: string, base: string): Promise<AddedLayer[]> {
  const [top, bottom, history, baseHistory] = await Promise.all([
    inspectImage(docker, image),
    inspectImage(docker, base),
    imageHistory(docker, image),
    imageHistory(docker, base),
  ]);
  if (bottom.layers.some((layer, index) => top.layers[index] !== layer)) {
    throw new InvalidInputError(`image ${image} is not built on ${base}: its layers do not start with the base image's`);
  }
  // The history lists the base image's entries first (oldest), then those the build added.
  const added = history.slice(0, Math.max(0, history.length - baseHistory.length)).reverse();
  return pairLayersWithHistory(top.layers.slice(bottom.layers.length), added);
}

export async function imageExists(docker: Docker, reference: string): Promise<boolean> {
  try {
    await docker.getImage(reference).inspect();
    return true;
  } catch (cause) {
    if (statusOf(cause) === 404) return false;
    throw new EngineRequestError(`could not inspect image ${reference}: ${engineText(cause)}`, { cause });
  }
}

export async function pullImage(
  docker: Docker,
  reference: Reference,
  options: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener } = {},
): Promise<void> {
  const name = formatReference(reference);
  try {
    const stream = (await docker.pull(name, {
      ...(options.auth ? { authconfig: options.auth } : {}),
      ...(options.platform ? { platform: options.platform } : {}),
    })) as unknown as Readable;
    await readEngineStream(stream, (m) => emitMessage(options.onProgress, 'pull', m));
  } catch (cause) {
    throw new PullFailedError(name, cause instanceof StreamFailure ? cause.engineMessage : engineText(cause), {
      cause,
      hint: 'check the name, that the registry is reachable, and your credentials (docker login)',
    });
  }
}

export async function tagImage(docker: Docker, source: string, target: Reference): Promise<void> {
  try {
    await docker.getImage(source).tag({ repo: repositoryName(target), tag: target.tag ?? 'latest' });
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(source, { cause });
    throw new EngineRequestError(`could not tag ${source} as ${formatReference(target)}: ${engineText(cause)}`, { cause });
  }
}

export async function pushImage(
  docker: Docker,
  reference: Reference,
  options: { auth?: RegistryAuth; onProgress?: ProgressListener } = {},
): Promise<PushResult> {
  const tag = reference.tag ?? 'latest';
  const name = `${repositoryName(reference)}:${tag}`;
  let digest: string | undefined;
  let size: number | undefined;
  try {
    // The engine wants X-Registry-Auth on every push; "{}" is the anonymous value the docker CLI sends.
    const stream = (await docker.getImage(repositoryName(reference)).push({ tag, authconfig: options.auth ?? {} })) as unknown as Readable;
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

export async function removeImage(docker: Docker, reference: string, options: { force?: boolean } = {}): Promise<void> {
  try {
    await docker.getImage(reference).remove({ force: options.force ?? false });
  } catch (cause) {
    if (statusOf(cause) === 404) return;
    throw new EngineRequestError(`could not remove image ${reference}: ${engineText(cause)}`, { cause });
  }
}

export async function saveImage(docker: Docker, reference: string): Promise<Readable> {
  try {
    return (await docker.getImage(reference).get()) as unknown as Readable;
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
    throw new EngineRequestError(`could not save image ${reference}: ${engineText(cause)}`, { cause });
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
