// Every setting of the runtime in one table: environment variable, default, validation.
// parseOptions() takes the environment as a parameter, so tests never touch process.env.
// zod 3 on purpose: it loads in ~10 ms where zod 4 takes 50-100 ms of the cold start.
import { z } from 'zod';

const nonEmpty = z.string().trim().min(1);
const port = z.coerce.number().int().min(1).max(65535);
const positive = z.coerce.number().positive().finite();
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((u) => /^https?:\/\//i.test(u));

/**
 * The runtime id of the Node major running this server (nodejs20, nodejs22, nodejs24): the default of
 * FUNC_RUNTIME, which the images set anyway (IMG-RUNTIME). One server source serves every major.
 */
export const NODE_RUNTIME_ID = `nodejs${process.versions.node.split('.')[0] ?? ''}`;

/** The table: env var → [schema, default (as the env string), description]. */
export const SETTINGS = {
  FUNC_PORT: { expect: 'an integer port 1-65535', schema: port, default: '8080', doc: 'TCP port the server listens on (all interfaces). HTTP-PORT' },
  FUNC_HOST: { expect: 'an address', schema: nonEmpty.optional(), default: undefined, doc: 'Address to listen on; unset → all interfaces (HTTP-PORT). Tests and the bench use 127.0.0.1' },
  FUNC_TIMEOUT: { expect: 'a positive number of seconds', schema: positive, default: '180', doc: 'Seconds an invocation may run before 408. RES-TIMEOUT, CTX-FIELDS' },
  REQ_MB_LIMIT: { expect: 'a positive number of MiB', schema: positive, default: '1', doc: 'Largest request body in MiB; larger → 413. HTTP-LIMIT, CTX-FIELDS' },
  FUNC_NAME: { expect: 'a string', schema: z.string(), default: '', doc: "context['function-name'], default service.name. CTX-FIELDS, TR-EXPORT" },
  SERVICE_NAMESPACE: { expect: 'a string', schema: z.string(), default: '', doc: 'context.namespace. CTX-FIELDS' },
  FUNC_RUNTIME: { expect: 'a runtime id', schema: nonEmpty, default: NODE_RUNTIME_ID, doc: 'context.runtime and the start-up line. IMG-RUNTIME' },
  FUNC_MEMORY_LIMIT: { expect: 'a string', schema: z.string().optional(), default: undefined, doc: "context['memory-limit'] (deprecated) when set. CTX-FIELDS" },
  KUBELESS_INSTALL_VOLUME: { expect: 'a directory path', schema: nonEmpty, default: '/kubeless', doc: 'Directory holding the function sources and node_modules. IMG-VOLUME' },
  MOD_NAME: { expect: 'a module name', schema: nonEmpty, default: 'handler', doc: 'Module file name without extension (.js, .mjs, .cjs). LOAD-PATH' },
  FUNC_HANDLER: { expect: 'an export name', schema: nonEmpty, default: 'main', doc: 'Name of the exported handler. LOAD-PATH' },
  HANDLER_PATH: { expect: 'a file path', schema: nonEmpty.optional(), default: undefined, doc: 'Path of the handler file; relative paths are taken from KUBELESS_INSTALL_VOLUME. LOAD-PATH' },
  TRACE_COLLECTOR_ENDPOINT: { expect: 'an http(s) URL', schema: httpUrl.optional(), default: undefined, doc: 'Full OTLP/HTTP traces URL; unset → nothing exported. TR-EXPORT' },
  PUBLISHER_PROXY_ADDRESS: { expect: 'an http(s) URL', schema: httpUrl.optional(), default: undefined, doc: 'Exact URL emitCloudEvent/publishCloudEvent POST to. SDK-EMIT' },
  PUBLISHER_TIMEOUT: { expect: 'a positive number of seconds', schema: positive, default: '10', doc: 'Seconds before an SDK publish fails. SDK-EMIT' },
  KYMA_INTERNAL_LOGGER_ENABLED: { expect: 'true or false', schema: bool, default: 'false', doc: 'true → one access-log line per request on stdout. LC-LOG' },
  OTEL_SERVICE_NAME: { expect: 'a service name', schema: nonEmpty.optional(), default: undefined, doc: 'Overrides service.name. TR-EXPORT' },
  OTEL_RESOURCE_ATTRIBUTES: { expect: 'key=value pairs', schema: z.string().optional(), default: undefined, doc: 'key=value,... resource attributes (may set service.name). TR-EXPORT' },
  OTEL_BSP_SCHEDULE_DELAY: { expect: 'a positive number of milliseconds', schema: positive, default: '1000', doc: 'Milliseconds between span batch exports. TR-EXPORT' },
  OTEL_EXPORTER_OTLP_TIMEOUT: { expect: 'a positive number of milliseconds', schema: positive, default: '5000', doc: 'Milliseconds one span export may take. TR-NOBLOCK' },
} as const;

type Settings = typeof SETTINGS;
type Parsed<K extends keyof Settings> = z.output<Settings[K]['schema']>;

export type Options = Readonly<{ [K in keyof Settings]: Parsed<K> }>;

export class OptionsError extends Error {
  readonly code = 'RT_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/**
 * Parses the runtime settings from an environment object. Empty strings count as unset
 * (Kubernetes manifests often carry `value: ""`). Throws OptionsError naming every bad setting.
 */
export function parseOptions(env: Readonly<Record<string, string | undefined>>): Options {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(SETTINGS) as [keyof Settings, Settings[keyof Settings]][]) {
    const raw = env[name];
    const given = raw === undefined || raw.trim() === '' ? undefined : raw;
    const value = given ?? setting.default;
    const result = (setting.schema as z.ZodTypeAny).safeParse(value);
    if (result.success) {
      out[name] = result.data;
    } else {
      problems.push(`${name}=${JSON.stringify(raw)} is not ${setting.expect}`);
    }
  }
  if (problems.length > 0) {
    throw new OptionsError(`invalid runtime settings: ${problems.join('; ')}`);
  }
  return Object.freeze(out) as Options;
}
