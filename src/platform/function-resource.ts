// Kyma Serverless's Function resource (serverless.kyma-project.io/v1alpha2, kind Function) as a value:
// its schema (the fields this toolchain reads, others kept as they are), parsing from YAML (one or
// several documents, other kinds skipped), rendering, and the KymaFunction the buildless launch runs
// (kyma.ts). The reference is the controller's api/v1alpha2/function_types.go (revision in kyma.ts).
// rtbuild reads Functions (OVR-INPUT) and writes them (OVR-MANIFEST); rtcheck reads them.
import { isMap, isScalar, parseAllDocuments, stringify } from 'yaml';
import * as z from '../zod.js';
import { InvalidInputError } from '../errors.js';
import type { KymaFunction } from './kyma.js';
import { ENV_NAME, FUNCTION_API_VERSION, FUNCTION_KIND, NAME, RESERVED_ENV } from './function-names.js';

export { FUNCTION_API_VERSION, FUNCTION_KIND, RESERVED_ENV, functionNameFrom, isFunctionEnvName, isFunctionName } from './function-names.js';


const envVarSchema = z.looseObject({
  name: z.string().check(z.regex(ENV_NAME, 'is not a valid variable name')),
  value: z.optional(z.string()),
  /** ConfigMap and Secret references: kept as they are, resolved only in the cluster. */
  valueFrom: z.optional(z.record(z.string(), z.unknown())),
});

const inlineSchema = z.looseObject({ source: z.string().check(z.minLength(1, 'is empty')), dependencies: z.optional(z.string()) });
const gitSchema = z.looseObject({ url: z.string().check(z.minLength(1)), baseDir: z.optional(z.string()), reference: z.optional(z.string()) });

export const functionResourceSchema = z.looseObject({
  apiVersion: z.literal(FUNCTION_API_VERSION),
  kind: z.literal(FUNCTION_KIND),
  metadata: z.looseObject({
    name: z.string().check(z.regex(NAME, 'is not a lower-case RFC 1123 name (a-z, 0-9, "-")'), z.maxLength(63)),
    namespace: z.optional(z.string().check(z.minLength(1))),
    labels: z.optional(z.record(z.string(), z.string())),
    annotations: z.optional(z.record(z.string(), z.string())),
  }),
  spec: z.looseObject({
    runtime: z.string().check(z.minLength(1)),
    runtimeImageOverride: z.optional(z.string().check(z.minLength(1))),
    source: z
      .looseObject({ inline: z.optional(inlineSchema), gitRepository: z.optional(gitSchema) })
      .check(z.refine((source) => (source.inline === undefined) !== (source.gitRepository === undefined), 'has both or neither of inline and gitRepository')),
    env: z
      .optional(z.array(envVarSchema))
      .check(z.refine((env) => !env?.some((entry) => RESERVED_ENV.includes(entry.name)), `names a variable Kyma reserves (${RESERVED_ENV.join(', ')})`)),
  }),
});

export type FunctionResource = z.infer<typeof functionResourceSchema>;
export type FunctionEnvVar = z.infer<typeof envVarSchema>;

/** Where a problem is: "fn.yaml (document 2, metadata.name)". */
function at(where: string, index: number, count: number, path: readonly PropertyKey[]): string {
  const doc = count > 1 ? `document ${index + 1}` : '';
  const field = path.map(String).join('.');
  const inner = [doc, field].filter(Boolean).join(', ');
  return inner ? `${where} (${inner})` : where;
}

/**
 * Every Function in a YAML text of one or more documents (a `kind: List` of items too). Documents of
 * other kinds are skipped (a file may hold a Function with its APIRule); a Function that does not
 * match the schema is refused, naming the document and the field. `where` names the text in messages.
 */
export function parseFunctionResources(text: string, where: string): FunctionResource[] {
  const documents = parseAllDocuments(text);
  const docs = Array.isArray(documents) ? documents : [documents];
  const found: FunctionResource[] = [];
  docs.forEach((doc, index) => {
    const problem = doc.errors[0];
    if (problem) {
      throw new InvalidInputError(`${at(where, index, docs.length, [])} is not valid YAML: ${problem.message.split('\n')[0]}`, {
        hint: 'fix the YAML (kubectl apply --dry-run=client -f FILE shows the same)',
      });
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    if (!isMap(doc.contents)) throw new InvalidInputError(`${at(where, index, docs.length, [])} is not a YAML mapping`, { hint: 'a Function is an object with apiVersion, kind, metadata and spec' });
    const value = doc.toJS() as { kind?: unknown; items?: unknown };
    const candidates = value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const candidate of candidates) {
      if ((candidate as { kind?: unknown } | null)?.kind !== FUNCTION_KIND) continue;
      const parsed = functionResourceSchema.safeParse(candidate);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${at(where, index, docs.length, issue.path)}: ${issue.message}`);
        throw new InvalidInputError(`the Function in ${issues.join('; ')}`, {
          hint: `a Function is ${FUNCTION_API_VERSION} with metadata.name, spec.runtime and spec.source.inline.source (see Kyma's Function reference)`,
        });
      }
      found.push(parsed.data);
    }
  });
  return found;
}

/** The Function as YAML (one document), multi-line sources as literal blocks, as people write them. */
export function renderFunctionResource(fn: FunctionResource): string {
  return stringify(fn, { lineWidth: 0, blockQuote: 'literal' });
}

/** Several Functions as one YAML stream ("---" between documents). */
export function renderFunctionResources(fns: readonly FunctionResource[]): string {
  return fns.map(renderFunctionResource).join('---\n');
}

/** The Function's own variables as name → value pairs; a valueFrom (ConfigMap, Secret) needs `resolve`, else it is refused. */
export function functionEnvPairs(fn: FunctionResource, resolve?: (entry: FunctionEnvVar) => string | undefined): [string, string][] {
  return (fn.spec.env ?? []).map((entry) => {
    if (entry.valueFrom === undefined) return [entry.name, entry.value ?? ''];
    const value = resolve?.(entry);
    if (value === undefined) {
      throw new InvalidInputError(`the Function ${fn.metadata.name} takes ${entry.name} from a ConfigMap or Secret (valueFrom), which is only known in the cluster`, {
        hint: `give ${entry.name} a value to run it here`,
      });
    }
    return [entry.name, value];
  });
}

/**
 * The Function as Kyma's buildless launch runs it (kyma.ts): its name, namespace (default "default",
 * as kubectl's), runtime, inline source and dependencies, and variables. Git Functions are refused:
 * their sources are not in the resource.
 */
export function kymaFunctionOf(fn: FunctionResource, options: { namespace?: string; resolve?: (entry: FunctionEnvVar) => string | undefined } = {}): KymaFunction {
  const inline = fn.spec.source.inline;
  if (!inline) {
    throw new InvalidInputError(`the Function ${fn.metadata.name} takes its sources from Git, not inline`, {
      hint: 'clone the repository and use its folder, or give the Function inline sources',
    });
  }
  return {
    name: fn.metadata.name,
    namespace: fn.metadata.namespace ?? options.namespace ?? 'default',
    runtimeId: fn.spec.runtime,
    source: { kind: 'inline', source: inline.source, dependencies: inline.dependencies ?? '' },
    env: functionEnvPairs(fn, options.resolve),
  };
}
