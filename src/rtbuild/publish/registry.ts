// Publishing a built image: push every tag to its registry with the Docker config's credentials.
// The seam for other destinations (a tarball, a second registry) and for `rtbuild base`.
import type { Engine, ProgressListener } from '../../engine/index.js';
import { parseReference } from '../../image/reference.js';
import { resolveRegistryAuth } from '../../registry/auth.js';

export interface PushedReference {
  reference: string;
  digest: string;
}

export async function pushTags(
  engine: Engine,
  tags: readonly string[],
  options: { env: NodeJS.ProcessEnv; onProgress?: ProgressListener },
): Promise<PushedReference[]> {
  const pushed: PushedReference[] = [];
  for (const tag of tags) {
    const auth = await resolveRegistryAuth(parseReference(tag).registry, { env: options.env });
    const result = await engine.pushImage(tag, { ...(auth ? { auth } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    pushed.push({ reference: result.reference, digest: result.digest });
  }
  return pushed;
}
