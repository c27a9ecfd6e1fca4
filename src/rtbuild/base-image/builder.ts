// The base image builder: prepares the runtime's folder (or takes the user's own), labels the image
// (OCI version, created, revision, source, base: fresh every time, labels.ts), builds it on the upstream
// image, and returns the built image as a value. It neither checks nor publishes it: `rtbuild base`
// publishes through the contract gate (release.ts).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Engine, ImageInfo } from '../../engine/index.js';
import { InvalidInputError } from '../../errors.js';
import { sourceDateEpoch } from '../../image/archive.js';
import { gitFacts, registryDigestOf } from '../../image/labels.js';
import { type Reference, formatReference, parseReference } from '../../image/reference.js';
import { resolveRegistryAuth } from '../../registry/auth.js';
import { contextOf, prepareFolder, projectRoot } from './context.js';
import { dockerfileBase } from './dockerfile.js';
import { freshLabels, inheritedLabels, withoutLabels } from './labels.js';
import type { BaseImageRequest } from './request.js';

type Reporter = (line: string) => void;

/** A built base image, before anyone checks, names or publishes it. */
export interface BaseImage {
  /** The engine's image id, "sha256:…". */
  id: string;
  /** The commit the folder was built from, when it is in a git checkout. */
  revision: string | undefined;
  timingsMs: { prepare: number; build: number };
}

/** Step headers of the build's progress, not their output: classic "Step 2/9 : …", BuildKit "[2/9] …", Podman (Buildah) "STEP 2/9: …". */
export const STEP_LINE = /^(Step \d+\/\d+ :|STEP \d+\/\d+:|(CACHED )?\[)/;

/** The upstream image as the engine has it (pulled when it is not there yet); undefined when it cannot be had. */
async function upstreamImage(engine: Engine, upstream: Reference, env: NodeJS.ProcessEnv, report: Reporter): Promise<ImageInfo | undefined> {
  const name = formatReference(upstream);
  const found = await engine.findImage(name);
  if (found) return found;
  report(`rtbuild base: pulling ${name}`);
  const auth = await resolveRegistryAuth(upstream.registry, { env });
  const pulled = await engine.pullImage(upstream, auth ? { auth } : {}).then(
    () => true,
    () => false,
  );
  return pulled ? engine.findImage(name) : undefined;
}

function parsed(text: string | undefined): Reference | undefined {
  if (text === undefined || text === 'scratch') return undefined;
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

export async function buildBaseImage(engine: Engine, request: BaseImageRequest, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<BaseImage> {
  const project = request.runtime?.project;
  const folder = project ? join(projectRoot(), project.folder) : resolve(request.context ?? '.');
  const given = request.upstream && formatReference(request.upstream);
  // The runtime's own arguments pick it out of a shared folder (NODE_MAJOR); BASE_IMAGE is the upstream.
  const buildArgs: Record<string, string> = { ...project?.buildArgs, ...(given ? { BASE_IMAGE: given } : {}) };
  const dockerfile = await readFile(join(folder, 'Dockerfile'), 'utf8').catch(() => undefined);
  const base = dockerfile === undefined ? undefined : dockerfileBase(dockerfile, buildArgs);
  if (given && base && !base.takesBaseImage) {
    throw new InvalidInputError(`${join(folder, 'Dockerfile')} does not take its base image from ARG BASE_IMAGE: --base-image ${given} would not change what it is built FROM, only its labels`, {
      hint: 'declare ARG BASE_IMAGE before the first FROM and build FROM ${BASE_IMAGE}, or drop --base-image',
    });
  }

  let started = Date.now();
  if (request.runtime) await prepareFolder(request.runtime.family.name, folder, report);
  const prepare = Date.now() - started;

  const upstream = request.upstream ?? parsed(base?.finalFrom);
  const upstreamInfo = upstream ? await upstreamImage(engine, upstream, env, report) : undefined;
  const git = await gitFacts(folder);
  const created = env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : Math.floor(Date.now() / 1000);
  const labels = freshLabels({
    version: request.tag.tag ?? '',
    created: new Date(created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    title: request.runtime ? `${request.runtime.id} function runtime` : undefined,
    revision: git.revision,
    source: git.remote,
    baseName: upstream && formatReference(upstream),
    baseDigest: upstream && upstreamInfo ? registryDigestOf(upstreamInfo.repoDigests, upstream) : undefined,
  });
  started = Date.now();
  report(`rtbuild base: building ${formatReference(request.tag)} from ${folder}${upstream ? ` on ${formatReference(upstream)}` : ''}`);
  const built = await engine.buildImage(await contextOf(folder), {
    labels,
    buildArgs,
    onProgress: (event) => {
      if (STEP_LINE.test(event.text)) report(`  ${event.text}`);
    },
  });
  let id = built.id;
  const inherited = inheritedLabels((await engine.inspectImage(id)).labels, upstreamInfo?.labels ?? {}, labels);
  if (inherited.length > 0) {
    report(`rtbuild base: removing labels the upstream image passed on: ${inherited.join(', ')}`);
    id = await withoutLabels(engine, id, inherited);
  }
  return { id, revision: git.revision, timingsMs: { prepare, build: Date.now() - started } };
}
