// The environment a platform gives a function container under the image's own entrypoint: the same
// variables Kyma's controller sets (kyma.ts), without its launch script's source variables, and with
// the Function's own variables (FUNC_TIMEOUT, REQ_MB_LIMIT, …) last, so they win.
import type { KymaConfig } from './kyma.js';

/** A Function as the platform sees it: its name, namespace, runtime and own variables. */
export interface PlatformFunction {
  readonly name: string;
  readonly namespace: string;
  readonly runtimeId: string;
  /** The Function's own variables (spec.env). */
  readonly env: Readonly<Record<string, string>>;
}

export function entrypointEnv(fn: PlatformFunction, config: Partial<KymaConfig> = {}): Record<string, string> {
  return {
    FUNC_NAME: fn.name,
    FUNC_RUNTIME: fn.runtimeId,
    SERVICE_NAMESPACE: fn.namespace,
    ...(config.traceCollectorEndpoint ? { TRACE_COLLECTOR_ENDPOINT: config.traceCollectorEndpoint } : {}),
    ...(config.publisherProxyAddress ? { PUBLISHER_PROXY_ADDRESS: config.publisherProxyAddress } : {}),
    ...fn.env,
  };
}
