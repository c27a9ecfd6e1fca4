// The base image's config as the engine stores it (its digest is the image id), which the fast path
// derives the new config from. The engine's API gives it only inside `docker save` of the whole image
// (seconds for a runtime base image: 2 s for rt/nodejs20:dev here), so it is read once and cached. A base
// image pulled from a registry (base.digest, FIN-LABELS) is asked of that registry instead: its manifest
// and config, a few small requests.
import type { Engine } from '../../engine/index.js';
import { configFromSave, imageIdOf } from '../../image/docker-archive.js';
import { resolveRegistryAuth } from '../../registry/auth.js';
import { type ImageManifest, RegistryClient } from '../../registry/client.js';
import type { BaseFacts } from './base.js';
import type { BuildCache } from './cache.js';

interface IndexManifest {
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

/** The config blob of the base image in its registry, when the registry has the image the engine has. */
async function fromRegistry(base: BaseFacts, os: string, architecture: string, env: NodeJS.ProcessEnv): Promise<Buffer | undefined> {
  if (base.digest === undefined || base.id === undefined) return undefined;
  const client = new RegistryClient(base.reference.registry, await resolveRegistryAuth(base.reference.registry, { env }));
  let manifest = await client.manifest(base.reference.path, base.digest);
  const index = manifest && (JSON.parse(manifest.bytes.toString('utf8')) as IndexManifest);
  if (index?.manifests) {
    // A multi-platform image: the manifest of the platform the engine has.
    const entry = index.manifests.find((m) => m.platform?.os === os && m.platform.architecture === architecture);
    manifest = entry && (await client.manifest(base.reference.path, entry.digest));
  }
  if (!manifest) return undefined;
  const config = await client.blob(base.reference.path, (JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest).config.digest);
  return imageIdOf(config) === base.id ? config : undefined;
}

/** The base image's config: cached, else from its registry, else read once from `docker save`. */
export async function baseImageConfig(engine: Engine, base: BaseFacts, cache: BuildCache, report: (line: string) => void, env: NodeJS.ProcessEnv): Promise<Buffer | undefined> {
  const id = base.id;
  if (id === undefined) return undefined;
  const cached = await cache.imageConfig(id);
  if (cached) return cached;
  let config: Buffer | undefined;
  if (base.digest !== undefined) {
    const info = await engine.inspectImage(id);
    config = await fromRegistry(base, info.os, info.architecture, env).catch(() => undefined);
  }
  if (!config) {
    report(`fast path: reading the config of ${base.name} once (docker save of the image; kept in ${cache.dir})`);
    config = await configFromSave(await engine.saveImage(id), id);
  }
  // A cache folder that cannot be written costs the next build this read again, not this build.
  if (config) await cache.storeImageConfig(config).catch(() => undefined);
  return config;
}
