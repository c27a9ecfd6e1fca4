// A registry as the destination: the engine tags the image with the reference and pushes it, with the
// credentials the Docker config holds for that registry (auths, credHelpers, credsStore). An image the
// fast path made goes to the registry straight when it can (registry-direct.ts: only the new layer, the
// config and a manifest). Returns the reference pinned to the manifest digest the registry reported.
import type { Engine, ProgressListener } from '../../engine/index.js';
import { formatReference, withDigest, withTag } from '../../image/reference.js';
import { resolveRegistryAuth } from '../../registry/auth.js';
import type { Publisher } from './publisher.js';
import { directPush } from './registry-direct.js';

export interface RegistryPublisherOptions {
  /** Read only to find the Docker config (DOCKER_CONFIG, HOME). */
  env: NodeJS.ProcessEnv;
  onProgress?: ProgressListener;
  /** Lines for the user (why a fast-path image was pushed by the engine after all). */
  report?: (line: string) => void;
}

export function registryPublisher(engine: Engine, options: RegistryPublisherOptions): Publisher {
  const direct = directPush((registry) => resolveRegistryAuth(registry, { env: options.env }));
  return {
    async publish(image, reference) {
      await engine.tagImage(image.id, reference);
      if (image.assembled) {
        const sent = await direct.push(image.assembled, reference).catch((cause: unknown) => ({ refused: cause instanceof Error ? cause.message : String(cause) }));
        if ('digest' in sent) return withDigest(withTag(reference, reference.tag ?? 'latest'), sent.digest);
        options.report?.(`pushing ${formatReference(reference)} with the engine (not straight to the registry: ${sent.refused})`);
      }
      const auth = await resolveRegistryAuth(reference.registry, { env: options.env });
      const pushed = await engine.pushImage(reference, { ...(auth ? { auth } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return withDigest(pushed.reference, pushed.digest);
    },
  };
}
