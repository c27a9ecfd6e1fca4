// `rtbuild --for kyma` (contract section 12): what a Function run by Kyma's buildless launch can be
// made of, and the Function resource that runs the override image (OVR-MANIFEST).
import { InvalidInputError } from '../../errors.js';
import type { FunctionEnvVar, FunctionResource } from '../../platform/function-resource.js';
import { FUNCTION_API_VERSION, FUNCTION_KIND } from '../../platform/function-names.js';
import type { BaseFacts } from './base.js';
import type { FunctionSource } from './source.js';

/** Files whose absence would break the Function's code (it could require or import them). */
const CODE = /\.(c?js|mjs|json|ts|py|pyc|node|so)$/i;

/**
 * Kyma's launch writes one inline source file (handler.js / handler.py) into an empty folder: refuses
 * a runtime Kyma's Function does not accept, a handler under another name, and other code files
 * (they would be missing at run time); returns notes for other files left out (README, …).
 */
export function checkKymaSources(source: FunctionSource, base: BaseFacts): string[] {
  const family = base.runtime.family;
  if (!base.runtime.kyma) {
    throw new InvalidInputError(`Kyma's Function resource does not accept the runtime ${base.runtime.id} (FUNC_RUNTIME of ${base.name})`, {
      hint: 'Kyma accepts nodejs20, nodejs22, nodejs24 and python312: build on a base image of one of them',
    });
  }
  if (source.handler !== family.kyma.handlerFile) {
    throw new InvalidInputError(`Kyma's launch writes the inline source to ${family.kyma.handlerFile}, but the handler of ${source.origin} is ${source.handler}`, {
      hint: `rename it to ${family.kyma.handlerFile} (Kyma runs every ${family.name} Function from that file)`,
    });
  }
  const kept = new Set([source.handler, family.manifest, ...family.lockfiles]);
  const local = source.dependencies?.local ?? [];
  const left = source.entries.filter(
    (entry) => entry.type === 'file' && !kept.has(entry.path) && !local.some((path) => entry.path === path || entry.path.startsWith(`${path}/`)),
  );
  const code = left.filter((entry) => CODE.test(entry.path));
  if (code.length > 0) {
    const names = code.slice(0, 5).map((entry) => entry.path);
    throw new InvalidInputError(
      `a Kyma Function has one source file (${family.kyma.handlerFile}); ${names.join(', ')}${code.length > 5 ? ` and ${code.length - 5} more` : ''} would be missing at run time`,
      {
        hint:
          family.name === 'nodejs'
            ? 'make them a local package ("mylib": "file:lib" in package.json: it is baked into the image), or leave them out with .rtbuildignore'
            : 'make them a local package (a path in requirements.txt: it is baked into the image), or leave them out with .rtbuildignore',
      },
    );
  }
  return left
    .filter((entry) => !code.includes(entry))
    .map((entry) => `note: ${entry.path} is not part of the Function under Kyma's launch (only ${family.kyma.handlerFile} and the dependencies are)`);
}

export interface ManifestFacts {
  name: string;
  runtimeId: string;
  /** The image reference for runtimeImageOverride: pinned by digest once pushed. */
  image: string;
  handler: string;
  /** --env / rtbuild.json "env": win over the input resource's variables of the same name. */
  env: Readonly<Record<string, string>>;
  /** The Function the sources came from, when they came from one: its other fields are kept. */
  resource: FunctionResource | undefined;
}

/** The Function resource that runs the override image (OVR-MANIFEST): no inline dependencies, they are baked in. */
export function functionManifest(facts: ManifestFacts): FunctionResource {
  const resource = facts.resource;
  const env: FunctionEnvVar[] = (resource?.spec.env ?? []).filter((entry) => !(entry.name in facts.env));
  env.push(...Object.entries(facts.env).map(([name, value]) => ({ name, value })));
  const spec = { ...resource?.spec };
  delete spec.env;
  return {
    apiVersion: FUNCTION_API_VERSION,
    kind: FUNCTION_KIND,
    metadata: { ...resource?.metadata, name: facts.name },
    spec: {
      ...spec,
      runtime: facts.runtimeId,
      runtimeImageOverride: facts.image,
      source: { inline: { source: facts.handler } },
      ...(env.length > 0 ? { env } : {}),
    },
  };
}
