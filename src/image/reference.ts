// Image references as plain values: "127.0.0.1:5000/team/fn:1.0", "node:20", "repo@sha256:…".
// Parsed once where they enter (flags, env, config file) and passed on as values; formatted only
// for messages, labels and the engine's own name parameters.
import { InvalidInputError } from '../errors.js';

export interface Reference {
  /** Registry host as the Docker config keys it ("127.0.0.1:5000", "docker.io"). */
  readonly registry: string;
  /** Repository path without the registry ("team/fn", "library/node"). */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export const DOCKER_HUB = 'docker.io';
/** The key under which the Docker config stores Docker Hub credentials. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export function parseReference(text: string): Reference {
  const invalid = (why: string): InvalidInputError =>
    new InvalidInputError(`"${text}" is not a valid image reference: ${why}`, {
      hint: 'use the form [registry/]repository[:tag][@sha256:digest], e.g. 127.0.0.1:5000/team/fn:1.0',
    });
  if (text.trim() !== text || text === '') throw invalid('it is empty or has spaces around it');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((part) => !COMPONENT.test(part))) {
    throw invalid('repository names are lower-case letters, digits and separators (. _ -), split by /');
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  return Object.freeze({ registry, path: parts.join('/'), tag, digest });
}

/** The repository as the engine names it: registry omitted for Docker Hub, "library/" kept implicit. */
export function repositoryName(ref: Reference): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.path}`;
  return ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
}

export function formatReference(ref: Reference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The same repository with another tag and no digest, e.g. the git-revision tag of a version tag. */
export function withTag(ref: Reference, tag: string): Reference {
  return Object.freeze({ ...ref, tag, digest: undefined });
}

/** The reference pinned to a digest: what a publisher returns. */
export function withDigest(ref: Reference, digest: string): Reference {
  return Object.freeze({ ...ref, digest });
}
