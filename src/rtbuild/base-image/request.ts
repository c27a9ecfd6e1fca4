// What `rtbuild base` is asked to do, checked and parsed before any work: one of the project's
// runtimes (the runtime table) or a folder of one's own, the version tag as a reference, the
// upstream image for the BASE_IMAGE build argument.
import { InvalidInputError } from '../../errors.js';
import { type Reference, parseReference } from '../../image/reference.js';
import { PROJECT_RUNTIMES, type ProjectImage, type Runtime, projectRuntime, runtimeById } from '../../platform/runtimes.js';

export type ProjectRuntime = Runtime & { project: ProjectImage };

export interface BaseImageRequest {
  /** One of the project's runtimes, or undefined with `context`. */
  runtime: ProjectRuntime | undefined;
  /** A runtime image folder (Dockerfile with `ARG BASE_IMAGE`) instead of the project's own. */
  context: string | undefined;
  /** REGISTRY/NAME:VERSION */
  tag: Reference;
  /** Upstream image for the `BASE_IMAGE` build argument; undefined: the Dockerfile's own default. */
  upstream: Reference | undefined;
  push: boolean;
  strict: boolean;
}

export interface BaseRequestOptions {
  tag: string;
  context: string | undefined;
  /** --base-image; default: the runtime's upstream variable (NODE20_BASE_IMAGE, PYTHON_BASE_IMAGE, …). */
  upstream: string | undefined;
  push: boolean;
  strict: boolean;
}

/** "nodejs20, nodejs22, nodejs24, python312": the runtimes `rtbuild base` builds from this project. */
export function projectRuntimeIds(): string {
  return PROJECT_RUNTIMES.map((runtime) => runtime.id).join(', ');
}

function projectRuntimeOf(id: string): ProjectRuntime {
  try {
    runtimeById(id);
  } catch (cause) {
    throw new InvalidInputError(`unknown runtime "${id}"`, { cause, hint: `use one of: ${projectRuntimeIds()}, or --context DIR for your own image folder` });
  }
  return projectRuntime(id);
}

export function parseBaseRequest(runtimeId: string | undefined, options: BaseRequestOptions, env: NodeJS.ProcessEnv): BaseImageRequest {
  const runtime = runtimeId === undefined ? undefined : projectRuntimeOf(runtimeId);
  if ((runtime === undefined) === (options.context === undefined)) {
    throw new InvalidInputError(`name exactly one of a runtime (${projectRuntimeIds()}) or --context DIR`, {
      hint: `e.g. rtbuild base ${PROJECT_RUNTIMES[0]?.id ?? 'RUNTIME'} --tag 127.0.0.1:5000/runtimes/${PROJECT_RUNTIMES[0]?.id ?? 'RUNTIME'}:1.0.0`,
    });
  }
  const tag = parseReference(options.tag);
  if (!tag.tag || tag.digest) {
    throw new InvalidInputError(`--tag ${options.tag} needs a version tag and no digest`, { hint: 'e.g. --tag registry.example/runtimes/nodejs20:1.2.0' });
  }
  const upstream = options.upstream ?? (runtime ? env[runtime.project.upstreamEnv]?.trim() || undefined : undefined);
  return {
    runtime,
    context: options.context,
    tag,
    upstream: upstream === undefined ? undefined : parseReference(upstream),
    push: options.push,
    strict: options.strict,
  };
}
