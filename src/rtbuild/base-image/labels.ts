// The OCI labels of a base image `rtbuild base` makes (issue 12): always fresh, never the upstream's.
// rtbuild sets version, created, title (the project's runtimes), revision and source (from git),
// base.name and base.digest (the upstream). A build inherits every label of the image it is built FROM,
// and a Dockerfile cannot unset one: so a context outside git got the upstream's revision (the
// toolchain's own commit) and its description ("offline stand-in for python:3.12…"). After the build,
// every org.opencontainers.image.* label that still has the upstream's value, and that rtbuild did not
// set, is removed from the candidate's config: unknown means absent. A label the Dockerfile sets itself
// (another value) stays.
import type { Engine } from '../../engine/index.js';
import { imageIdOf, reconfiguredArchive } from '../../image/docker-archive.js';

export const OCI_PREFIX = 'org.opencontainers.image.';

export interface BaseLabelFacts {
  version: string;
  created: string;
  title: string | undefined;
  revision: string | undefined;
  source: string | undefined;
  baseName: string | undefined;
  baseDigest: string | undefined;
}

/** The labels rtbuild sets: only those it knows. */
export function freshLabels(facts: BaseLabelFacts): Record<string, string> {
  const entries: [string, string | undefined][] = [
    ['version', facts.version],
    ['created', facts.created],
    ['title', facts.title],
    ['revision', facts.revision],
    ['source', facts.source],
    ['base.name', facts.baseName],
    ['base.digest', facts.baseDigest],
  ];
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '').map(([key, value]) => [`${OCI_PREFIX}${key}`, value]));
}

/** The OCI labels of the candidate that it has from its upstream, unchanged, and rtbuild did not set. */
export function inheritedLabels(candidate: Readonly<Record<string, string>>, upstream: Readonly<Record<string, string>>, fresh: Readonly<Record<string, string>>): string[] {
  return Object.keys(candidate)
    .filter((key) => key.startsWith(OCI_PREFIX) && !(key in fresh) && upstream[key] === candidate[key])
    .sort();
}

/**
 * The image without the given labels: its config changed and loaded again (the same layers), the old
 * image removed. Returns the new image id. The engine's API has no other way to drop a label.
 */
export async function withoutLabels(engine: Engine, imageId: string, keys: readonly string[]): Promise<string> {
  const drop = (config: Buffer): Buffer => {
    const json = JSON.parse(config.toString('utf8')) as { config?: { Labels?: Record<string, string> | null } };
    const labels = { ...json.config?.Labels };
    for (const key of keys) delete labels[key];
    return Buffer.from(JSON.stringify({ ...json, config: { ...json.config, Labels: labels } }));
  };
  // Docker's engine reads no layer file it has; Podman's load wants them all.
  const layers = (await engine.isPodman()) ? 'keep' : 'omit';
  const { archive, config } = await reconfiguredArchive(await engine.saveImage(imageId), imageId, drop, layers);
  await engine.loadImage(archive);
  const id = imageIdOf(await config);
  if (id !== imageId) await engine.removeImage(imageId);
  return id;
}
