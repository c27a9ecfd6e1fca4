// The local engine as a destination: the image gets the reference as a local name (a tag), as
// `docker build -t` gives it. The engine addresses a local image by its id (the digest of its
// config), so that is the digest of what this publisher returns.
import type { Engine } from '../../engine/index.js';
import { withDigest, withTag } from '../../image/reference.js';
import type { Publisher } from './publisher.js';

export function enginePublisher(engine: Engine): Publisher {
  return {
    async publish(image, reference) {
      await engine.tagImage(image.id, reference);
      return withDigest(withTag(reference, reference.tag ?? 'latest'), image.id);
    },
  };
}
