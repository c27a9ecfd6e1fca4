// A fast-path image (src/rtbuild/function/fast-path.ts) sent straight to a registry, without the engine's
// push (issue 16): the registry already has every layer but the sources' when the tag it replaces was
// built on the same base and dependencies, so only the new source layer, the config and a manifest are
// uploaded; the other layers keep the descriptors of that manifest (compressed as the engine pushed
// them). Tags in other repositories of the registry get the blobs mounted from the first one. When the
// registry has no such manifest (a first push, another base), the engine pushes as always.
// The new layer is compressed here (gzip, Node's zlib): its diff id is the engine's, its compressed
// digest is not what `docker push` would make of it, so the manifest digest differs from the engine's push.
import { gzipSync } from 'node:zlib';
import type { RegistryAuth } from '../../engine/index.js';
import { type Reference, repositoryName } from '../../image/reference.js';
import { type Descriptor, type ImageManifest, RegistryClient, digestOf } from '../../registry/client.js';
import type { AssembledImage } from '../function/fast-path.js';

const LAYER_TYPES: Readonly<Record<string, string>> = {
  'application/vnd.docker.distribution.manifest.v2+json': 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.oci.image.manifest.v1+json': 'application/vnd.oci.image.layer.v1.tar+gzip',
};

/** The path part of a reference inside its registry ("team/fn"), as the registry API names repositories. */
function repositoryPath(reference: Reference): string {
  return reference.path;
}

export interface DirectPush {
  /** Pushes `image` as `reference`; the manifest digest, or why it cannot (the engine pushes then). */
  push(image: AssembledImage, reference: Reference): Promise<{ digest: string } | { refused: string }>;
}

/** One per publish run: remembers the manifest it sent, so that further tags reuse it. */
export function directPush(auth: (registry: string) => Promise<RegistryAuth | undefined>): DirectPush {
  let sent: { imageId: string; registry: string; repository: string; mediaType: string; manifest: Buffer; blobs: string[] } | undefined;
  return {
    async push(image, reference) {
      const registryAuth = await auth(reference.registry);
      if (registryAuth?.identitytoken) return { refused: 'the Docker config holds an identity token for this registry' };
      const client = new RegistryClient(reference.registry, registryAuth);
      const repository = repositoryPath(reference);
      const tag = reference.tag ?? 'latest';
      if (sent && sent.imageId === image.id && sent.registry === reference.registry) {
        if (sent.repository !== repository) {
          for (const blob of sent.blobs) {
            if (!(await client.hasBlob(repository, blob)) && !(await client.mountBlob(repository, blob, sent.repository))) {
              return { refused: `the registry did not mount ${blob} from ${sent.repository}` };
            }
          }
        }
        return { digest: await client.putManifest(repository, tag, sent.mediaType, sent.manifest) };
      }
      const previous = await client.manifest(repository, tag);
      if (!previous) return { refused: `${repositoryName(reference)}:${tag} is not in the registry yet` };
      const layerType = LAYER_TYPES[previous.mediaType];
      if (!layerType) return { refused: `the registry's ${tag} is a ${previous.mediaType || 'manifest of an unknown type'}` };
      const manifest = JSON.parse(previous.bytes.toString('utf8')) as ImageManifest;
      const previousConfig = JSON.parse((await client.blob(repository, manifest.config.digest)).toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
      const previousDiffIds = previousConfig.rootfs?.diff_ids ?? [];
      const layers: Descriptor[] = [];
      for (const [index, diffId] of image.diffIds.entries()) {
        if (previousDiffIds[index] === diffId && manifest.layers[index]) {
          layers.push(manifest.layers[index]);
        } else if (image.sourceLayer && diffId === image.sourceLayer.diffId && index === image.diffIds.length - 1) {
          const compressed = gzipSync(image.sourceLayer.tar);
          layers.push({ mediaType: layerType, size: compressed.length, digest: await client.putBlob(repository, compressed) });
        } else {
          return { refused: `the registry's ${tag} was not built on the same base image and dependencies` };
        }
      }
      await client.putBlob(repository, image.config);
      const config: Descriptor = { mediaType: manifest.config.mediaType, size: image.config.length, digest: digestOf(image.config) };
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: previous.mediaType, config, layers }, null, 3));
      const digest = await client.putManifest(repository, tag, previous.mediaType, bytes);
      sent = { imageId: image.id, registry: reference.registry, repository, mediaType: previous.mediaType, manifest: bytes, blobs: [config.digest, ...layers.map((layer) => layer.digest)] };
      return { digest };
    },
  };
}
