// How the toolchain reaches an engine: DOCKER_HOST (unix:// or tcp://, TLS from DOCKER_CERT_PATH
// when DOCKER_TLS_VERIFY is set) or the default socket. Fails with what it tried and how to fix it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineUnavailableError } from '../errors.js';
import { EngineClient } from './client.js';
import { EngineHttp, type HttpTarget, NO_ENGINE_HINT } from './http.js';
import type { Engine } from './types.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The same options serve the HTTP client and dockerode (for containers). */
type DockerOptions = HttpTarget;

export interface EngineTarget {
  endpoint: string;
  options: DockerOptions;
}

/** Decides where the engine is, from the environment alone (no I/O besides TLS files). */
export function engineTarget(env: NodeJS.ProcessEnv): EngineTarget {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { endpoint: `unix://${DEFAULT_SOCKET}`, options: { socketPath: DEFAULT_SOCKET } };
  if (host.startsWith('unix://')) {
    return { endpoint: host, options: { socketPath: host.slice('unix://'.length) } };
  }
  if (host.startsWith('tcp://') || host.startsWith('http://') || host.startsWith('https://')) {
    let url: URL;
    try {
      url = new URL(host.replace(/^tcp:/, 'http:'));
    } catch {
      throw new EngineUnavailableError(`DOCKER_HOST="${host}" is not a valid address`, {
        hint: 'use unix:///path/to/docker.sock or tcp://HOST:PORT',
      });
    }
    const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
    const options: DockerOptions = {
      host: url.hostname,
      port: url.port || (tls ? '2376' : '2375'),
      protocol: tls || url.protocol === 'https:' ? 'https' : 'http',
    };
    if (tls) {
      const certPath = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '', '.docker');
      try {
        options.ca = readFileSync(join(certPath, 'ca.pem'));
        options.cert = readFileSync(join(certPath, 'cert.pem'));
        options.key = readFileSync(join(certPath, 'key.pem'));
      } catch (cause) {
        throw new EngineUnavailableError(`DOCKER_TLS_VERIFY is set but the TLS files in ${certPath} cannot be read`, {
          hint: 'set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem',
          cause,
        });
      }
    }
    return { endpoint: host, options };
  }
  throw new EngineUnavailableError(`DOCKER_HOST="${host}" uses a scheme this tool does not support`, {
    hint: 'use unix:///path/to/docker.sock or tcp://HOST:PORT (ssh:// is not supported)',
  });
}

export interface ConnectOptions {
  env?: NodeJS.ProcessEnv;
  /** How long the first answer may take. */
  timeoutMs?: number;
  /**
   * false: no ping; an engine that does not answer fails the first request with the same
   * EngineUnavailableError (rtbuild saves the round trip: issue 16).
   */
  ping?: boolean;
}

/** Connects and checks that the engine answers; throws EngineUnavailableError otherwise. */
export async function connectEngine(options: ConnectOptions = {}): Promise<Engine> {
  const target = engineTarget(options.env ?? process.env);
  const http = new EngineHttp(target.options, target.endpoint);
  const engine = new EngineClient(http, target.options);
  if (options.ping === false) return engine;
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    await withTimeout(http.send('GET', '/_ping'), timeoutMs);
  } catch (cause) {
    if (cause instanceof EngineUnavailableError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineUnavailableError(`no Docker engine answers at ${target.endpoint} (${reason})`, { hint: NO_ENGINE_HINT, cause });
  }
  return engine;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
