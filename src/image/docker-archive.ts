// An image as `docker load` takes it: manifest.json naming the config and one tar per layer, bottom
// first. The engine reads a layer's file only when it does not have that layer (its chain id) already
// (moby image/tarexport/load.go), so the archive carries the files of the new layers alone: appending
// a source layer to an image the engine has costs the size of the sources, not of the image.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { tarStream } from './archive.js';
import { ustarHeader } from './layer.js';

export interface ArchiveImage {
  /** The config JSON (its sha256 is the image id). */
  config: Buffer;
  /** The image's diff ids, bottom first (as in the config's rootfs). */
  diffIds: readonly string[];
  /** The tars of the layers the engine may not have, by diff id. */
  newLayers: ReadonlyMap<string, Buffer>;
  /** Names the engine gives the image; none leaves it untagged (publishers name it). */
  repoTags?: readonly string[];
}

function file(name: string, content: Buffer): Buffer[] {
  const padding = (512 - (content.length % 512)) % 512;
  return [ustarHeader({ name, type: 'file', mode: 0o644, size: content.length, mtime: 0 }), content, Buffer.alloc(padding)];
}

/** The image id `docker load` gives this config: "sha256:" and the digest of its bytes. */
export function imageIdOf(config: Buffer): string {
  return `sha256:${createHash('sha256').update(config).digest('hex')}`;
}

export function dockerArchive(image: ArchiveImage): Buffer {
  const layerPath = (diffId: string): string => `${diffId.replace(/^sha256:/, '')}/layer.tar`;
  const manifest = [{ Config: 'config.json', RepoTags: [...(image.repoTags ?? [])], Layers: image.diffIds.map(layerPath) }];
  const parts: Buffer[] = [];
  for (const [diffId, tar] of image.newLayers) parts.push(...file(layerPath(diffId), tar));
  parts.push(...file('config.json', image.config), ...file('manifest.json', Buffer.from(JSON.stringify(manifest))), Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * The config of image `id` out of a `docker save` stream (the stream is read to its end; layer files are
 * skipped). Undefined when the archive holds no config with that digest.
 */
export async function configFromSave(saved: Readable, id: string): Promise<Buffer | undefined> {
  const reader = (await tarStream()).extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      const wanted = header.name.endsWith('.json') && !header.name.includes('/') && header.name !== 'manifest.json';
      stream.on('data', (chunk: unknown) => {
        if (wanted) chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        const bytes = Buffer.concat(chunks);
        if (wanted && imageIdOf(bytes) === id) found = bytes;
        next();
      });
      stream.on('error', reject);
    });
    reader.on('finish', () => resolve());
    reader.on('error', reject);
    saved.on('error', reject);
  });
  saved.pipe(reader);
  await done;
  return found;
}

/**
 * A `docker save` stream turned into a load archive of the same image with another config: `change`
 * gets the old config and returns the new one. The config and manifest.json are replaced (the image
 * untagged: publishers name it); layer files are passed on, or left out when the engine keeps layers it
 * has (`layers: 'omit'`, Docker's engine; Podman's load wants every layer file).
 */
export async function reconfiguredArchive(saved: Readable, id: string, change: (config: Buffer) => Buffer, layers: 'keep' | 'omit'): Promise<{ archive: Readable; config: Promise<Buffer> }> {
  const { extract, pack } = await tarStream();
  const reader = extract();
  const writer = pack();
  let found: ((config: Buffer) => void) | undefined;
  let missing: ((error: Error) => void) | undefined;
  const config = new Promise<Buffer>((resolve, reject) => {
    found = resolve;
    missing = reject;
  });
  config.catch(() => undefined);
  let changed: Buffer | undefined;
  reader.on('entry', (header, stream, next) => {
    const name = header.name;
    const topJson = name.endsWith('.json') && !name.includes('/');
    if (header.type !== 'file' || (!topJson && (layers === 'omit' || name === 'repositories'))) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    if (!topJson) {
      stream.pipe(writer.entry({ name, size: header.size, mode: 0o644 }, (error) => (error ? reader.destroy(error) : next())));
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      const bytes = Buffer.concat(chunks);
      if (name === 'manifest.json') {
        const manifest = JSON.parse(bytes.toString('utf8')) as { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
        writer.entry({ name, mode: 0o644 }, Buffer.from(JSON.stringify(manifest.map((entry) => ({ ...entry, Config: 'rtbuild-config.json', RepoTags: [] })))));
      } else if (imageIdOf(bytes) === id) {
        changed = change(bytes);
        writer.entry({ name: 'rtbuild-config.json', mode: 0o644 }, changed);
      }
      next();
    });
  });
  reader.on('finish', () => {
    if (changed) found?.(changed);
    else missing?.(new Error(`the saved archive holds no config of ${id}`));
    writer.finalize();
  });
  reader.on('error', (error) => {
    missing?.(error);
    writer.destroy(error);
  });
  saved.on('error', (error) => reader.destroy(error));
  saved.pipe(reader);
  return { archive: Readable.from(writer as AsyncIterable<Buffer>), config };
}
