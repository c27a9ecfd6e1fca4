// What rtbuild needs to know about a runtime family: where the handler is, which files declare
// dependencies, and where the installed dependencies go (LOAD-PATH, LOAD-DEPS, FIN-SOURCES).
import { InvalidInputError } from '../errors.js';

export type RuntimeFamily = 'nodejs' | 'python';

/**
 * Where dependencies are installed, relative to $KUBELESS_INSTALL_VOLUME. These are the paths the
 * runtimes read (LOAD-DEPS): change them here and only here.
 */
export const DEPENDENCY_DIRS: Readonly<Record<RuntimeFamily, string>> = Object.freeze({
  nodejs: 'node_modules',
  python: 'lib',
});

/** The install volume when the base image does not say (IMG-VOLUME default). */
export const DEFAULT_INSTALL_VOLUME = '/kubeless';
/** The handler module name when the base image sets no MOD_NAME (LOAD-PATH). */
export const DEFAULT_MODULE_NAME = 'handler';

export interface RuntimeSpec {
  family: RuntimeFamily;
  handlerExtensions: readonly string[];
  /** The manifest that declares dependencies. */
  manifest: string;
  /** Lock files, in the order they are preferred. */
  lockfiles: readonly string[];
}

const SPECS: Readonly<Record<RuntimeFamily, RuntimeSpec>> = {
  nodejs: { family: 'nodejs', handlerExtensions: ['.js', '.mjs', '.cjs'], manifest: 'package.json', lockfiles: ['npm-shrinkwrap.json', 'package-lock.json'] },
  python: { family: 'python', handlerExtensions: ['.py'], manifest: 'requirements.txt', lockfiles: [] },
};

/** "nodejs20" → nodejs, "python312" → python; anything else is refused. */
export function runtimeSpec(runtime: string): RuntimeSpec {
  const match = /^(nodejs|python)\d+$/.exec(runtime);
  if (!match) {
    throw new InvalidInputError(`unknown runtime "${runtime}"`, {
      hint: 'rtbuild builds nodejs* (e.g. nodejs20) and python* (e.g. python312) functions',
    });
  }
  return SPECS[match[1] as RuntimeFamily];
}
