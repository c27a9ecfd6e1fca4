// A registry as the destination: the engine tags the image with the reference and pushes it, with the
// credentials the Docker config holds for that registry (auths, credHelpers, credsStore). Returns the
// reference pinned to the manifest digest the registry reported.
import type { Engine, ProgressListener } from '../../engine/index.js';
import { withDigest } from '../../image/reference.js';
import { resolveRegistryAuth } from '../../registry/auth.js';
import type { Publisher } from './publisher.js';

export interface RegistryPublisherOptions {
  /** Read only to find the Docker config (DOCKER_CONFIG, HOME). */
  env: NodeJS.ProcessEnv;
  onProgress?: ProgressListener;
}

export function registryPublisher(engine: Engine, options: RegistryPublisherOptions): Publisher {
  return {
    async publish(image, reference) {
      await engine.tagImage(image.id, reference);
      const auth = await resolveRegistryAuth(reference.registry, { env: options.env });
      const pushed = await engine.pushImage(reference, { ...(auth ? { auth } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return withDigest(pushed.reference, pushed.digest);
    },
  };
}
