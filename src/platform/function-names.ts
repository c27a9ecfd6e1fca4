// What a Kyma Function's name and variables may be, without zod or yaml: rtbuild's settings check them
// at start-up, and loading the Function resource's schema and YAML parser (function-resource.ts) costs
// about 70 ms of every start.

export const FUNCTION_API_VERSION = 'serverless.kyma-project.io/v1alpha2';
export const FUNCTION_KIND = 'Function';

/** Variables the Function CRD refuses in spec.env (its XValidation rule). */
export const RESERVED_ENV: readonly string[] = Object.freeze([
  'FUNC_RUNTIME',
  'FUNC_HANDLER',
  'FUNC_PORT',
  'FUNC_HANDLER_SOURCE',
  'FUNC_HANDLER_DEPENDENCIES',
  'MOD_NAME',
  'NODE_PATH',
  'PYTHONPATH',
]);

/** A Kubernetes object name as a Service needs it (the controller makes one per Function): an RFC 1123 label. */
export const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A C identifier-like variable name; Kubernetes also allows "-" and "." (but shells do not read those). */
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A name for a Function from a folder name: lower case, runs of other characters as "-", or undefined. */
export function functionNameFrom(text: string): string | undefined {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return NAME.test(name) ? name : undefined;
}

/** Whether a text is a valid Function name (metadata.name). */
export function isFunctionName(text: string): boolean {
  return NAME.test(text) && text.length <= 63;
}

/** Whether a variable name may go into spec.env. */
export function isFunctionEnvName(name: string): boolean {
  return ENV_NAME.test(name) && !RESERVED_ENV.includes(name);
}
