// The base image builder: prepares the runtime's folder (or takes the user's own), labels the image
// (OCI version, revision, source, base), builds it on the upstream image, and returns the built image
// as a value. It neither checks nor publishes it: `rtbuild base` publishes through the contract gate
// (release.ts).
import { join, resolve } from 'node:path';
import type { Engine } from '../../engine/index.js';
import { sourceDateEpoch } from '../../image/archive.js';
import { gitFacts } from '../../image/labels.js';
import { formatReference } from '../../image/reference.js';
import { contextOf, prepareFolder, projectRoot } from './context.js';
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

export async function buildBaseImage(engine: Engine, request: BaseImageRequest, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<BaseImage> {
  const project = request.runtime?.project;
  const folder = project ? join(projectRoot(), project.folder) : resolve(request.context ?? '.');
  const upstream = request.upstream && formatReference(request.upstream);

  let started = Date.now();
  if (request.runtime) await prepareFolder(request.runtime.family.name, folder, report);
  const prepare = Date.now() - started;

  const git = await gitFacts(folder);
  const created = env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : Math.floor(Date.now() / 1000);
  const labels: Record<string, string> = {
    'org.opencontainers.image.version': request.tag.tag ?? '',
    'org.opencontainers.image.created': new Date(created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(request.runtime ? { 'org.opencontainers.image.title': `${request.runtime.id} function runtime` } : {}),
    ...(git.revision ? { 'org.opencontainers.image.revision': git.revision } : {}),
    ...(git.remote ? { 'org.opencontainers.image.source': git.remote } : {}),
    ...(upstream ? { 'org.opencontainers.image.base.name': upstream } : {}),
  };
  // The runtime's own arguments pick it out of a shared folder (NODE_MAJOR); BASE_IMAGE is the upstream.
  const buildArgs = { ...project?.buildArgs, ...(upstream ? { BASE_IMAGE: upstream } : {}) };
  started = Date.now();
  report(`rtbuild base: building ${formatReference(request.tag)} from ${folder}${upstream ? ` on ${upstream}` : ''}`);
  const built = await engine.buildImage(await contextOf(folder), {
    labels,
    buildArgs,
    onProgress: (event) => {
      // Step headers only (classic "Step 2/9 : …", BuildKit "[2/9] …" / "CACHED [2/9] …"), not their output.
      if (/^(Step \d+\/\d+ :|(CACHED )?\[)/.test(event.text)) report(`  ${event.text}`);
    },
  });
  return { id: built.id, revision: git.revision, timingsMs: { prepare, build: Date.now() - started } };
}
