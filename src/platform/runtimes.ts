// The one runtime table: every runtime id the toolchain knows, its family, and what each family means
// for loading (LOAD-PATH, LOAD-DEPS), for Kyma's buildless launch (KB-LAUNCH) and for the project's own
// base images. Adding a runtime (nodejs26, say) is one row in RUNTIMES; rtcheck, rtbuild, the tests
// and the scripts read the ids from here.
import { InvalidInputError } from '../errors.js';

export type RuntimeFamily = 'nodejs' | 'python';

/** What a runtime family means, for every tool. */
export interface Family {
  readonly name: RuntimeFamily;
  /** Handler module extensions, in the order the runtimes try them (LOAD-PATH). */
  readonly handlerExtensions: readonly string[];
  /** The file that declares dependencies. */
  readonly manifest: 'package.json' | 'requirements.txt';
  /** Lock files, in the order they are preferred. */
  readonly lockfiles: readonly string[];
  /**
   * Where dependencies are installed, relative to $KUBELESS_INSTALL_VOLUME: the paths the runtimes read
   * (LOAD-DEPS). Change them here and only here.
   */
  readonly dependencyDir: string;
  /** The package-registry credential file the install step reads (`.npmrc`, `pip.conf`). */
  readonly registryConfigFile: '.npmrc' | 'pip.conf';
  /** Kyma's buildless launch for this family (contract section 11). */
  readonly kyma: KymaLaunchFacts;
  /** Folder of rtcheck's probe functions: src/rtcheck/probes/<probes>/. */
  readonly probes: string;
}

/** How Kyma's controller (serverless deployment.go) starts a function of this family. */
export interface KymaLaunchFacts {
  /** The container's working directory, an empty writable volume. */
  readonly workingDir: string;
  /** The file SCRIPT writes $FUNC_HANDLER_SOURCE into. */
  readonly handlerFile: string;
  /** More empty writable volumes (Python: /.local, for pip). */
  readonly extraVolumes: readonly string[];
}

export const FAMILIES: Readonly<Record<RuntimeFamily, Family>> = Object.freeze({
  nodejs: {
    name: 'nodejs',
    handlerExtensions: ['.js', '.mjs', '.cjs'],
    manifest: 'package.json',
    lockfiles: ['npm-shrinkwrap.json', 'package-lock.json'],
    dependencyDir: 'node_modules',
    registryConfigFile: '.npmrc',
    kyma: { workingDir: '/usr/src/app/function', handlerFile: 'handler.js', extraVolumes: [] },
    probes: 'nodejs',
  },
  python: {
    name: 'python',
    handlerExtensions: ['.py'],
    manifest: 'requirements.txt',
    lockfiles: [],
    dependencyDir: 'lib',
    registryConfigFile: 'pip.conf',
    kyma: { workingDir: '/kubeless', handlerFile: 'handler.py', extraVolumes: ['/.local'] },
    probes: 'python',
  },
});

/** How the project builds its own base image of a runtime (`make base-images`, `rtbuild base`). */
export interface ProjectImage {
  /** Folder under the repository root holding the Dockerfile. */
  readonly folder: string;
  /** Build arguments that pick this runtime out of a shared folder (Node majors share one source). */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Environment variable naming the upstream image for `BASE_IMAGE` (set by scripts/base-images.sh). */
  readonly upstreamEnv: string;
  /** The local tag `make base-images` gives it. */
  readonly devTag: string;
}

export interface Runtime {
  /** The runtime id as Kyma's Function resource and FUNC_RUNTIME spell it. */
  readonly id: string;
  readonly family: Family;
  /** "20" for nodejs20, "3.12" for python312. */
  readonly version: string;
  /** Kyma's Function resource accepts it (serverless api/v1alpha2/function_types.go). */
  readonly kyma: boolean;
  readonly deprecated: boolean;
  /** Set when this project ships a base image of it. */
  readonly project: ProjectImage | undefined;
}

function node(major: number, deprecated = false): Runtime {
  const id = `nodejs${major}`;
  return {
    id,
    family: FAMILIES.nodejs,
    version: String(major),
    kyma: true,
    deprecated,
    project: { folder: 'base-images/nodejs', buildArgs: { NODE_MAJOR: String(major) }, upstreamEnv: `NODE${major}_BASE_IMAGE`, devTag: `rt/${id}:dev` },
  };
}

/** Kyma's runtimes, each with the project's base image of it. */
export const RUNTIMES: readonly Runtime[] = Object.freeze([
  node(20, true),
  node(22),
  node(24),
  {
    id: 'python312',
    family: FAMILIES.python,
    version: '3.12',
    kyma: true,
    deprecated: false,
    project: { folder: 'base-images/python312', buildArgs: {}, upstreamEnv: 'PYTHON_BASE_IMAGE', devTag: 'rt/python312:dev' },
  },
]);

/** The runtimes this project ships base images of. */
export const PROJECT_RUNTIMES: readonly Runtime[] = RUNTIMES.filter((runtime) => runtime.project !== undefined);

/** The install volume when the image does not say (IMG-VOLUME default). */
export const DEFAULT_INSTALL_VOLUME = '/kubeless';
/** The handler module name when MOD_NAME is not set (LOAD-PATH). */
export const DEFAULT_MODULE_NAME = 'handler';
/** The handler export when FUNC_HANDLER is not set (LOAD-PATH). */
export const DEFAULT_HANDLER = 'main';

/** "nodejs20, nodejs22, nodejs24, python312" */
export function knownRuntimeIds(): string {
  return RUNTIMES.map((runtime) => runtime.id).join(', ');
}

const PATTERNS: readonly [RegExp, RuntimeFamily, (match: RegExpExecArray) => string][] = [
  [/^nodejs([1-9]\d*)$/, 'nodejs', (m) => m[1] as string],
  [/^python3(\d{1,2})$/, 'python', (m) => `3.${m[1] as string}`],
];

/**
 * The runtime an id names: a row of the table, or any other `nodejs<major>` / `python3<minor>` of the
 * same API (IMG-RUNTIME: tools accept those too). Anything else is refused, listing what is supported.
 */
export function runtimeById(id: string, where = ''): Runtime {
  const known = RUNTIMES.find((runtime) => runtime.id === id);
  if (known) return known;
  for (const [pattern, family, version] of PATTERNS) {
    const match = pattern.exec(id);
    if (match) return { id, family: FAMILIES[family], version: version(match), kyma: false, deprecated: false, project: undefined };
  }
  throw new InvalidInputError(`unknown runtime "${id}"${where}`, {
    hint: `supported: ${knownRuntimeIds()}, or any nodejs<major> / python3<minor> of the same API (set ENV FUNC_RUNTIME in the image, or pass --runtime)`,
  });
}

/** The project's base image of a runtime id, or an InvalidInputError listing them. */
export function projectRuntime(id: string): Runtime & { project: ProjectImage } {
  const runtime = PROJECT_RUNTIMES.find((candidate) => candidate.id === id);
  if (!runtime?.project) {
    throw new InvalidInputError(`this project has no base image "${id}"`, {
      hint: `use one of: ${PROJECT_RUNTIMES.map((r) => r.id).join(', ')}, or --context DIR for your own image folder`,
    });
  }
  return runtime as Runtime & { project: ProjectImage };
}
