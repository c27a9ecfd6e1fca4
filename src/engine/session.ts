// A BuildKit session that serves build secrets (`RUN --mount=type=secret`). The engine asks the client
// for a secret's bytes over the session while the step runs, so a secret is never in the build context,
// a layer or the build cache. dockerd's BuildKit accepts secret mounts only through a session (without
// one: "no active sessions", also with required=false; checked on dockerd 20.10).
//
// The session is the engine's /session endpoint, upgraded to h2c: the engine is the gRPC client and we
// serve two methods with node:http2 (no gRPC library, which would cost the CLI's start-up):
//   moby.buildkit.secrets.v1.Secrets/GetSecret  GetSecretRequest { string ID = 1; } → GetSecretResponse { bytes data = 1; }
//   grpc.health.v1.Health/Check                 → HealthCheckResponse { SERVING = 1 }
import { randomUUID } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { type Http2Server, type ServerHttp2Stream, createServer } from 'node:http2';
import type { Socket } from 'node:net';
import { EngineRequestError } from '../errors.js';

const SECRETS_METHOD = '/moby.buildkit.secrets.v1.Secrets/GetSecret';
const HEALTH_METHOD = '/grpc.health.v1.Health/Check';
/** gRPC status codes used here. */
const GRPC = { ok: 0, notFound: 5, unimplemented: 12, invalid: 3 } as const;

export interface SessionTarget {
  /** Unix socket path, or host and port of a plain-HTTP engine. */
  socketPath?: string;
  host?: string;
  port?: number;
}

export interface BuildSession {
  /** The id the build request names (`session=`). */
  readonly id: string;
  close(): void;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 127) {
    bytes.push((rest & 127) | 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** The string field 1 of a protobuf message (GetSecretRequest.ID); other fields are skipped. */
export function secretIdOf(message: Buffer): string | undefined {
  let offset = 0;
  while (offset < message.length) {
    let key = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = message[offset++] ?? 0;
      key += (byte & 127) * 2 ** shift;
      shift += 7;
    } while (byte & 128 && offset < message.length);
    const wire = key & 7;
    if (wire === 0) {
      while ((message[offset++] ?? 0) & 128 && offset < message.length);
      continue;
    }
    if (wire !== 2) return undefined;
    let length = 0;
    shift = 0;
    do {
      byte = message[offset++] ?? 0;
      length += (byte & 127) * 2 ** shift;
      shift += 7;
    } while (byte & 128 && offset < message.length);
    const value = message.subarray(offset, offset + length);
    offset += length;
    if (key >>> 3 === 1) return value.toString('utf8');
  }
  return undefined;
}

/** A gRPC message frame: not compressed, 4-byte big-endian length, the message. */
function frame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

function answer(stream: ServerHttp2Stream, status: number, message?: Buffer): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(status) }));
  stream.end(message ? frame(message) : undefined);
}

function serve(server: Http2Server, secrets: ReadonlyMap<string, Buffer>): void {
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const path = headers[':path'];
      if (path === HEALTH_METHOD) return answer(stream, GRPC.ok, Buffer.from([0x08, 0x01]));
      if (path !== SECRETS_METHOD) return answer(stream, GRPC.unimplemented);
      const id = secretIdOf(Buffer.concat(chunks).subarray(5));
      const data = id === undefined ? undefined : secrets.get(id);
      if (data === undefined) return answer(stream, id === undefined ? GRPC.invalid : GRPC.notFound);
      answer(stream, GRPC.ok, Buffer.concat([Buffer.from([0x0a]), varint(data.length), data]));
    });
  });
}

/** Opens a session serving `secrets` (id → bytes); close it once the build has ended. */
export function openSecretSession(target: SessionTarget, secrets: ReadonlyMap<string, Buffer>): Promise<BuildSession> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request({
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      path: '/session',
      method: 'POST',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'h2c',
        'X-Docker-Expose-Session-Uuid': id,
        'X-Docker-Expose-Session-Name': 'rtbuild',
        'X-Docker-Expose-Session-Sharedkey': '',
        'X-Docker-Expose-Session-Grpcmethod': [SECRETS_METHOD, HEALTH_METHOD],
      },
    });
    req.on('upgrade', (_response, socket: Socket, head: Buffer) => {
      // The engine may have sent its HTTP/2 preface with the 101 answer: it must reach the server.
      if (head.length > 0) socket.unshift(head);
      const server = createServer();
      serve(server, secrets);
      server.on('sessionError', () => undefined);
      socket.on('error', () => undefined);
      server.emit('connection', socket);
      resolve({
        id,
        close: () => {
          socket.destroy();
          server.close();
        },
      });
    });
    req.on('response', (response) => {
      response.resume();
      reject(new EngineRequestError(`the engine refused a build session (HTTP ${response.statusCode})`, { hint: 'secret mounts need an engine with BuildKit (API 1.39 or newer); or use --builder classic' }));
    });
    req.on('error', (cause) => reject(new EngineRequestError(`could not open a build session: ${cause.message}`, { cause })));
    req.end();
  });
}
