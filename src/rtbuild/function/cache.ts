// rtbuild's cache folder (--cache-dir, RTBUILD_CACHE_DIR, else ~/.cache/rtbuild): what the fast path (fast-path.ts) needs and the engine's API does not give back
// cheaply.
//   configs/sha256/<hex>  image configs by image id. The engine hands out an image's config only inside
//                         `docker save` of the whole image (seconds for a runtime base image), so a base
//                         image's config is read once. An image id is the sha256 of its config: a file is
//                         used only when its content still has that digest.
//   layers/<key>.json     the dependency layer a BuildKit build made from given inputs (the key hashes every
//                         one of them, see depsKey): its diff id and size. The engine keeps the layer; when
//                         it no longer does, loading an image that needs it fails and rtbuild builds.
// Files are written to a temporary name and renamed, so a reader never sees half a file.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { imageIdOf } from '../../image/docker-archive.js';

export interface DepsLayerRecord {
  diffId: string;
  size: number | undefined;
}

async function writeAtomically(path: string, content: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

export class BuildCache {
  constructor(readonly dir: string) {}

  private configPath(id: string): string {
    return join(this.dir, 'configs', 'sha256', id.replace(/^sha256:/, ''));
  }

  /** The config of image `id`, when it is cached and still hashes to `id`. */
  async imageConfig(id: string): Promise<Buffer | undefined> {
    const bytes = await readFile(this.configPath(id)).catch(() => undefined);
    return bytes !== undefined && imageIdOf(bytes) === id ? bytes : undefined;
  }

  async storeImageConfig(config: Buffer): Promise<void> {
    await writeAtomically(this.configPath(imageIdOf(config)), config);
  }

  private layerPath(key: string): string {
    return join(this.dir, 'layers', `${key}.json`);
  }

  async depsLayer(key: string): Promise<DepsLayerRecord | undefined> {
    const text = await readFile(this.layerPath(key), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const record = JSON.parse(text) as Partial<DepsLayerRecord>;
      return typeof record.diffId === 'string' && /^sha256:[0-9a-f]{64}$/.test(record.diffId) ? { diffId: record.diffId, size: typeof record.size === 'number' ? record.size : undefined } : undefined;
    } catch {
      return undefined;
    }
  }

  async storeDepsLayer(key: string, record: DepsLayerRecord): Promise<void> {
    await writeAtomically(this.layerPath(key), JSON.stringify(record));
  }
}

/** A hex sha256 over the given parts, each length-prefixed (no two different lists give the same input). */
export function keyOf(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(`${bytes.length}:`).update(bytes);
  }
  return hash.digest('hex');
}
