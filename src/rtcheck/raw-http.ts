// One HTTP/1.1 connection to the subject, read as raw bytes: shows what a server writes on a connection
// between and after its answers (RES-TIMEOUT: nothing may follow a 408 when the late result comes).
import { type Socket, connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Offset just after this response in the connection's bytes. */
  end: number;
}

/** The chunked body starting at `start`: [body, end offset], or undefined while incomplete. */
function chunkedBody(data: Buffer, start: number): [Buffer, number] | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    const chunkStart = lineEnd + 2;
    if (size === 0) {
      // No trailers are expected: the final CRLF ends the body.
      return data.length >= chunkStart + 2 ? [Buffer.concat(parts), chunkStart + 2] : undefined;
    }
    if (data.length < chunkStart + size + 2) return undefined;
    parts.push(data.subarray(chunkStart, chunkStart + size));
    at = chunkStart + size + 2;
  }
}

/**
 * The complete response at `offset` of the bytes a connection received, or undefined while it is
 * incomplete. Bodies framed by Content-Length or chunked encoding; bytes that are not a status line
 * give status 0.
 */
export function parseResponse(data: Buffer, offset = 0, method = 'GET'): RawResponse | undefined {
  const headEnd = data.indexOf('\r\n\r\n', offset);
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})\b/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  if (method === 'HEAD' || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0), end: bodyStart };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const chunked = chunkedBody(data, bodyStart);
    return chunked && { status, headers, body: chunked[0], end: chunked[1] };
  }
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < bodyStart + length) return undefined;
  return { status, headers, body: data.subarray(bodyStart, bodyStart + length), end: bodyStart + length };
}

export class RawConnection {
  private data = Buffer.alloc(0);
  private ended = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, timeoutMs = 2000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(new RawConnection(socket));
      });
      socket.once('timeout', () => socket.destroy(new Error(`no connection to 127.0.0.1:${port} within ${timeoutMs} ms`)));
      socket.once('error', reject);
    });
  }

  /** Everything received so far. */
  get received(): Buffer {
    return this.data;
  }

  /** The server (or the network) closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  get(path: string): void {
    this.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  /** Any bytes, well-formed HTTP or not; a server that closes before taking them all is no error here. */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /**
   * Resolves with the first defined value of `probe` over the received bytes, re-evaluated whenever
   * bytes arrive or the connection closes; undefined once `deadline` (epoch ms) passes or the
   * connection is closed without it.
   */
  waitFor<T>(probe: (data: Buffer, closed: boolean) => T | undefined, deadline: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = (timedOut = false): void => {
        const value = probe(this.data, this.ended);
        // The timer decides the deadline, not Date.now(): a timer may fire a millisecond before the
        // wall clock says the deadline has come, and nothing would re-arm it.
        if (value !== undefined || this.ended || timedOut) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(value);
        }
      };
      const listener = (): void => check();
      const timer = setTimeout(() => check(true), Math.max(0, deadline - Date.now()));
      this.listeners.add(listener);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
