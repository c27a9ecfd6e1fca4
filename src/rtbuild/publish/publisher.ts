// Publishing a built image: a publisher takes an image and a reference, names the image so at its
// destination, and returns the reference pinned to a digest. One implementation per destination (the
// local engine, a registry); features are added by wrapping one (gated.ts: publish only what passes a
// gate), never by flags on it. Builders never publish.
import { type Reference, formatReference } from '../../image/reference.js';
import type { AssembledImage } from '../function/fast-path.js';

/** What a publisher needs of a built image: its id in the engine (and the fast path's bytes, if it made it). */
export interface PublishableImage {
  readonly id: string;
  readonly assembled?: AssembledImage | undefined;
}

export interface Publisher {
  /** Names `image` as `reference` at this publisher's destination; returns that name with its digest. */
  publish(image: PublishableImage, reference: Reference): Promise<Reference>;
}

/** Publishes one image under each reference, one after the other, in order. */
export async function publishAll(publisher: Publisher, image: PublishableImage, references: readonly Reference[]): Promise<Reference[]> {
  const published: Reference[] = [];
  for (const reference of references) published.push(await publisher.publish(image, reference));
  return published;
}

/** A published reference as `--json` prints it: the name, and its digest apart. */
export function publishedEntry(published: Reference): { reference: string; digest: string } {
  return { reference: formatReference({ ...published, digest: undefined }), digest: published.digest ?? '' };
}
