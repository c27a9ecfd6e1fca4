// The engine's HTTP API with node:http alone: what images, builds and loads need (issue 16: dockerode
// brings gRPC, protobufjs and ssh2 into every start of rtbuild; its container handling is loaded only
// when a container is made, see client.ts). A failed request rejects with EngineHttpError, which carries
// the status and the engine's JSON message as dockerode's errors do, so engine-errors.ts reads both;
// an engine that cannot be reached at all is an EngineUnavailableError.
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { EngineUnavailableError } from '../errors.js';
import { extraCaTrust } from '../extra-ca-certs.js';

/** Where the engine listens, as connect.ts decides it from DOCKER_HOST. */
export interface HttpTarget {
  socketPath?: string;
  host?: string;
  port?: string | number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export class EngineHttpError extends Error {
  readonly json: { message?: string } | null;
  constructor(
    readonly statusCode: number,
    body: string,
  ) {
    let json: { message?: string } | null = null;
    try {
      json = JSON.parse(body) as { message?: string };
    } catch {
      json = body.trim() === '' ? null : { message: body.trim() };
    }
    super(json?.message ?? `HTTP ${statusCode}`);
    this.json = json;
  }
}

export type QueryValue = string | number | boolean | readonly string[] | Record<string, string> | undefined;

export interface RequestOptions {
  /** Arrays repeat the parameter (t=a&t=b); objects are sent as JSON (buildargs, labels). */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

/** The hint for an engine nobody answers at (also what connectEngine's ping says). */
export const NO_ENGINE_HINT =
  'start one: on this project\'s Debian machines run "make engine" (or scripts/engine.sh) as root; ' +
  'elsewhere start Docker, or point DOCKER_HOST at a running engine (unix:// or tcp://)';

/** Name characters sent as they are; anything else is escaped (references never contain it). */
export function enginePath(name: string): string {
  return name.replace(/[^A-Za-z0-9._\-/:@]/g, (c) => encodeURIComponent(c));
}

export function queryString(query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else if (typeof value === 'object') params.append(key, JSON.stringify(value));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class EngineHttp {
  /** The engine's Server header ("Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"), once it answered. */
  server: string | undefined;

  constructor(
    readonly target: HttpTarget,
    readonly endpoint: string,
  ) {}

  /** Resolves with the answer (2xx or 304) to read; rejects with EngineHttpError, after reading its body. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const t = this.target;
    const https = t.protocol === 'https';
    // TLS is loaded only for an engine that needs it.
    const send = https ? (await import('node:https')).request : httpRequest;
    // An engine over TLS without a CA of its own (DOCKER_CERT_PATH) is checked against the default
    // roots, to which NODE_EXTRA_CA_CERTS adds (handed over by the launcher: extra-ca-certs.ts).
    const trust = https && !t.ca ? await extraCaTrust() : {};
    const headers: Record<string, string> = { ...options.headers };
    if (Buffer.isBuffer(options.body)) headers['content-length'] = String(options.body.length);
    return new Promise((resolve, reject) => {
      const req: ClientRequest = send({
        ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.host, port: Number(t.port) }),
        // TLS's server name for SNI; without TLS none, and saying so spares Node's agent working one out:
        // its isIP() check compiles Node's IPv6 pattern, 5–7 ms of every rtbuild run (issue 16, profiled).
        ...(https ? { ...trust, ca: t.ca, cert: t.cert, key: t.key } : { servername: '' }),
        method,
        path: `${path}${queryString(options.query)}`,
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      req.on('response', (response) => {
        const server = response.headers.server;
        if (typeof server === 'string') this.server = server;
        const status = response.statusCode ?? 0;
        if ((status >= 200 && status < 300) || status === 304) return resolve(response);
        readText(response).then((body) => reject(new EngineHttpError(status, body)), reject);
      });
      req.on('error', (cause: NodeJS.ErrnoException) => {
        // Nothing listens (or may be reached) there: the same error as a failed ping.
        if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNRESET'].includes(cause.code ?? '') && !req.reusedSocket) {
          reject(new EngineUnavailableError(`no Docker engine answers at ${this.endpoint} (${cause.message})`, { hint: NO_ENGINE_HINT, cause }));
        } else {
          reject(cause);
        }
      });
      const body = options.body;
      if (body === undefined || Buffer.isBuffer(body)) {
        req.end(body);
      } else {
        body.on('error', (error) => req.destroy(error));
        body.pipe(req);
      }
    });
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await readText(await this.request(method, path, options));
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer is not read (tag, remove): drains it. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    await readText(await this.request(method, path, options));
  }
}

/**
 * The X-Registry-Auth / X-Registry-Config header value: the JSON in Go's base64.URLEncoding, which the
 * engine decodes it with: the URL alphabet, with padding (Node's "base64url" leaves the padding out, and
 * the engine then reads no credentials at all).
 */
export function registryHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

