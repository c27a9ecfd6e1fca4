// What `--source` names (OVR-INPUT): a source folder (as `kyma function init` writes it: handler.js +
// package.json, handler.py + requirements.txt), or a Function YAML with inline sources, which may hold
// several Functions: each is built, or `--function NAME` picks one. Every input becomes a FunctionInput
// with the Function's name, so the rest of rtbuild does not care where the sources came from.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { BuildConfig } from '../../config/rtbuild.js';
import { InvalidInputError } from '../../errors.js';
import type { FunctionResource } from '../../platform/function-resource.js';
import { functionNameFrom } from '../../platform/function-names.js';
import type { InlineSources } from './source.js';

export interface FunctionInput {
  /** metadata.name: FUNC_NAME, the manifest's name, `{name}` in tags. */
  name: string;
  /** The folder local dependency paths are relative to (and rtbuild.json, git facts). */
  root: string;
  /** Undefined: read the source folder; else a Function resource's inline sources. */
  inline: InlineSources | undefined;
  /** The Function resource it came from, when it came from one (its other fields go into the manifest). */
  resource: FunctionResource | undefined;
}

function describe(fns: readonly FunctionResource[]): string {
  return fns.map((fn) => fn.metadata.name).join(', ');
}

/** The Functions of a YAML file that `config` asks for: all of them, or the one `--function` names. */
function selectFunctions(path: string, fns: FunctionResource[], config: Pick<BuildConfig, 'function' | 'functionName'>): FunctionResource[] {
  if (fns.length === 0) {
    throw new InvalidInputError(`${path} holds no Function (kind: Function, apiVersion: serverless.kyma-project.io/v1alpha2)`, {
      hint: 'pass a Function YAML or the folder of the Function (handler + package.json / requirements.txt)',
    });
  }
  let chosen = fns;
  if (config.function !== undefined) {
    chosen = fns.filter((fn) => fn.metadata.name === config.function);
    if (chosen.length === 0) {
      throw new InvalidInputError(`${path} has no Function named "${config.function}"; it has: ${describe(fns)}`, { hint: `use --function with one of: ${describe(fns)}` });
    }
  }
  if (chosen.length > 1 && config.functionName !== undefined) {
    throw new InvalidInputError(`--function-name names one Function, but ${path} has ${chosen.length}: ${describe(chosen)}`, {
      hint: `pick one with --function NAME (one of: ${describe(chosen)})`,
    });
  }
  const git = chosen.filter((fn) => fn.spec.source.inline === undefined);
  if (git.length > 0) {
    throw new InvalidInputError(`the Function ${describe(git)} in ${path} takes its sources from Git, which rtbuild cannot build from the resource`, {
      hint: chosen.length > 1 ? `clone the repository and pass its folder, or pick an inline Function with --function (${describe(chosen.filter((fn) => fn.spec.source.inline))})` : 'clone the repository and pass its folder as --source',
    });
  }
  return chosen;
}

export async function functionInputs(config: Pick<BuildConfig, 'source' | 'function' | 'functionName'>): Promise<FunctionInput[]> {
  const source = resolve(config.source);
  const found = await stat(source).catch(() => undefined);
  if (found?.isFile()) {
    // The schema and the YAML parser load only for a YAML source: they cost ~70 ms of a start.
    const { parseFunctionResources } = await import('../../platform/function-resource.js');
    const fns = selectFunctions(source, parseFunctionResources(await readFile(source, 'utf8'), source), config);
    return fns.map((fn) => {
      const inline = fn.spec.source.inline as NonNullable<FunctionResource['spec']['source']['inline']>;
      const name = config.functionName ?? fn.metadata.name;
      return {
        name,
        root: dirname(source),
        inline: { source: inline.source, dependencies: inline.dependencies ?? '', root: dirname(source), origin: `${source} (Function ${fn.metadata.name})` },
        resource: fn,
      };
    });
  }
  if (config.function !== undefined) {
    throw new InvalidInputError(`--function picks a Function out of a YAML file, but ${source} is not a file`, { hint: 'use --function-name to name the Function of a folder' });
  }
  const name = config.functionName ?? functionNameFrom(basename(source));
  if (name === undefined) {
    throw new InvalidInputError(`the folder name "${basename(source)}" makes no Function name`, { hint: 'name the Function with --function-name (lower-case letters, digits and "-")' });
  }
  return [{ name, root: source, inline: undefined, resource: undefined }];
}
