// The handler's second argument (CTX-FIELDS).
import type { Options } from './options';

export interface FunctionContext {
  'function-name': string;
  /** FUNC_TIMEOUT in seconds. */
  timeout: number;
  runtime: string;
  namespace: string;
  /** REQ_MB_LIMIT in MB. */
  'body-size-limit': number;
  /** Deprecated: FUNC_MEMORY_LIMIT, present only when set. */
  'memory-limit'?: string;
}

export function contextTemplate(options: Options): Readonly<FunctionContext> {
  const ctx: FunctionContext = {
    'function-name': options.FUNC_NAME,
    timeout: options.FUNC_TIMEOUT,
    runtime: options.FUNC_RUNTIME,
    namespace: options.SERVICE_NAMESPACE,
    'body-size-limit': options.REQ_MB_LIMIT,
  };
  if (options.FUNC_MEMORY_LIMIT !== undefined) ctx['memory-limit'] = options.FUNC_MEMORY_LIMIT;
  return Object.freeze(ctx);
}
