// A publisher that publishes only what passes a gate: the gate runs once per image, before the first
// reference is published; when it throws, nothing is published (rtbuild base: only an image that keeps
// the runtime contract is pushed).
import type { Reference } from '../../image/reference.js';
import type { PublishableImage, Publisher } from './publisher.js';

/** Resolves when the image may be published; throws (an RtError saying why) when it may not. */
export type Gate = (image: PublishableImage, reference: Reference) => Promise<void>;

export function gatedPublisher(inner: Publisher, gate: Gate): Publisher {
  const verdicts = new Map<string, Promise<void>>();
  return {
    async publish(image, reference) {
      let verdict = verdicts.get(image.id);
      if (verdict === undefined) {
        verdict = gate(image, reference);
        verdicts.set(image.id, verdict);
      }
      await verdict;
      return inner.publish(image, reference);
    },
  };
}
