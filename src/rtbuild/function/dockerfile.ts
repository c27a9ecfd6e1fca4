// The generated Dockerfile of a function image, for both targets:
//   function  the legacy function image: dependencies and sources in $KUBELESS_INSTALL_VOLUME (section 10);
//   kyma      an image for a Function's runtimeImageOverride: only the dependencies, where Kyma's
//             buildless launch finds them (OVR-BAKED): Node /usr/src/app/node_modules (found from
//             /usr/src/app/function/handler.js by Node's upward resolution), Python /opt/function-deps
//             on PYTHONPATH (not under /kubeless or /.local, which are empty volumes at start).
// Two stages on the same base image:
//   deps   (USER 0) gets the dependency manifest, lock file and local files, and runs install.sh
//          (install-script.ts): fetch with the credential, install scripts as the base image's
//          unprivileged user without it, then a scan of the result for the credential's values
//          (FIN-SECRETS). With BuildKit the credential is a secret mount served by rtbuild's session:
//          it is in no layer and no build cache. The classic builder has no mounts: the file is copied
//          in and removed, so it is in that builder's cache of the deps stage, never in the image.
//   final  copies the installed dependencies from deps (one layer, reused while the manifest is
//          unchanged: FIN-LAYERS), then (function target) the sources, root-owned (FIN-SOURCES), and
//          keeps the base image's user (FIN-BASE).
import { posix } from 'node:path';
import type { BuildTarget } from '../../config/rtbuild.js';
import { FAMILIES, type RuntimeFamily } from '../../platform/runtimes.js';

/** Folders inside the build context; the sources are under function/<install dir>/. */
export const CONTEXT_SOURCES = 'function';
export const CONTEXT_DEPS = 'rtbuild/deps';
export const CONTEXT_TOOLS = 'rtbuild/tools';
export const CONTEXT_SECRETS = 'rtbuild/secrets';
/** The stage that installs the dependencies: a build that fails in it failed installing them. */
export const DEPS_STAGE = 'deps';
/** Where the deps stage finds the tools and the secrets. */
export const STAGE_TOOLS = '/rtbuild/tools';
export const STAGE_SECRETS = '/run/rtbuild';
/** BuildKit secret ids (the session serves them) and their file names in STAGE_SECRETS. */
export const SECRET_IDS = { credential: 'rtbuild-credential', scan: 'rtbuild-scan' } as const;
export const SECRET_FILES = { credential: 'credential', scan: 'scan' } as const;

/** Kyma's Node launch runs `npm start` in the parent of its working directory: node_modules there resolves for handler.js. */
export const KYMA_NODE_APP_DIR = posix.dirname(FAMILIES.nodejs.kyma.workingDir);
/** Where an override image keeps Python dependencies: on PYTHONPATH, outside Kyma's empty volumes. */
export const KYMA_PYTHON_DEPS_DIR = '/opt/function-deps';

/** Build arguments the deps stage declares for package registry URLs (the package managers read them as env). */
export const REGISTRY_ARGS: Readonly<Record<RuntimeFamily, string>> = Object.freeze({
  nodejs: 'npm_config_registry',
  python: 'PIP_INDEX_URL',
});

/** Where the deps stage installs: `workDir` holds the manifest and local files, `target` is what the image gets. */
export interface DepsLayout {
  workDir: string;
  target: string;
}

export function depsLayout(target: BuildTarget, family: RuntimeFamily, installDir: string): DepsLayout {
  if (target === 'function') return { workDir: installDir, target: posix.join(installDir, FAMILIES[family].dependencyDir) };
  if (family === 'nodejs') return { workDir: KYMA_NODE_APP_DIR, target: posix.join(KYMA_NODE_APP_DIR, 'node_modules') };
  return { workDir: '/rtbuild/function', target: KYMA_PYTHON_DEPS_DIR };
}

/**
 * The override image's PYTHONPATH: the base image's, then the dependency folder, so that the runtime's
 * own entries keep their place (the project's /server.py puts the runtime first and PYTHONPATH's entries
 * after the interpreter's; LOAD-DEPS).
 */
export function kymaPythonPath(basePythonPath: string | undefined): string {
  const entries = (basePythonPath ?? '').split(':').filter((entry) => entry !== '' && entry !== KYMA_PYTHON_DEPS_DIR);
  return [...entries, KYMA_PYTHON_DEPS_DIR].join(':');
}

export interface DockerfilePlan {
  family: RuntimeFamily;
  target: BuildTarget;
  /** $KUBELESS_INSTALL_VOLUME of the base image. */
  installDir: string;
  /** Undefined when the function has no dependencies: no deps stage. */
  dependencies:
    | {
        layout: DepsLayout;
        /** A credential file is given: mounted (BuildKit) or copied (classic) for the install. */
        credential: boolean;
        /** Build arguments the install step sees (registry URL, user build args). */
        args: readonly string[];
        /** The uid the credential mount belongs to (root for npm's fetch, the install user for pip). */
        credentialUid: string;
      }
    | undefined;
  /** "mount": BuildKit secret mounts; "copy": the classic builder, which has none. */
  secrets: 'mount' | 'copy';
  /** The base image's user, repeated explicitly; undefined in a dry run without engine. */
  baseUser: string | undefined;
  /** Kyma Python target: the PYTHONPATH of the image. */
  pythonPath: string | undefined;
}

export function generateDockerfile(plan: DockerfilePlan): string {
  const lines = ['# Generated by rtbuild. Build argument base_image: the runtime base image.', 'ARG base_image', ''];
  const deps = plan.dependencies;
  if (deps) {
    const { workDir, target } = deps.layout;
    lines.push(`FROM \${base_image} AS ${DEPS_STAGE}`, 'USER 0');
    for (const arg of deps.args) lines.push(`ARG ${arg}`);
    lines.push(`WORKDIR ${workDir}`, `COPY ${CONTEXT_DEPS}/ ${workDir}/`, `COPY ${CONTEXT_TOOLS}/ ${STAGE_TOOLS}/`);
    const mounts: string[] = [];
    if (deps.credential) {
      if (plan.secrets === 'copy') {
        lines.push(`COPY ${CONTEXT_SECRETS}/ ${STAGE_SECRETS}/`);
      } else {
        const secret = (id: string, file: string, uid: string): string => `--mount=type=secret,id=${id},target=${posix.join(STAGE_SECRETS, file)},mode=0400,uid=${uid}`;
        mounts.push(secret(SECRET_IDS.credential, SECRET_FILES.credential, deps.credentialUid), secret(SECRET_IDS.scan, SECRET_FILES.scan, '0'));
      }
    }
    lines.push(`RUN ${[...mounts, `sh ${STAGE_TOOLS}/install.sh`].join(' ')}`, '');
    lines.push('FROM ${base_image}', `COPY --from=${DEPS_STAGE} --chown=0:0 ${target} ${target}`);
  } else {
    lines.push('FROM ${base_image}');
  }
  if (plan.target === 'kyma' && plan.pythonPath !== undefined) lines.push(`ENV PYTHONPATH=${plan.pythonPath}`);
  // The context holds the sources at function/<install dir>/, so that this COPY also makes the install
  // directory itself root-owned and 0755 when the base image created it writable for its user.
  if (plan.target === 'function') lines.push(`COPY --chown=0:0 ${CONTEXT_SOURCES}/ /`);
  lines.push(plan.baseUser === undefined ? "# USER: the base image's user (not changed)" : `USER ${plan.baseUser}`);
  return `${lines.join('\n')}\n`;
}
