// The node:http server the runtime listens with (main.ts listens; this never does): the limits and
// timeouts of the connection, and the answers to what a client gets wrong before a request reaches the
// runtime's listener. The Python runtime (fnruntime/protocol.py) keeps the same numbers and answers;
// test/fixtures/bad-input/cases.json at the repository root holds the cases both must answer alike.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExpressClasses } from './express-compat';

/**
 * HTTP-LIMIT, the request head: the URL plus every header name and value must stay under 16 KiB
 * (16 384 bytes or more → 431). Node's own maxHeaderSize default, pinned so a Node release cannot move
 * it away from the Python runtime's.
 */
export const HEAD_LIMIT_BYTES = 16384;
/** HTTP-LIMIT, header fields: more than 1000 → 431 (Node 22.23.2+ and 24.18.1+ refuse that themselves). */
export const MAX_HEADER_FIELDS = 1000;
/** A kept-alive connection with no request is closed after this (Node's default). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** The request head must have arrived within this, from its first byte (Node's default) → else 408. */
export const HEADERS_TIMEOUT_MS = 60_000;
/** The whole request (head and body) must have arrived within this (Node's default) → else 408. */
export const REQUEST_TIMEOUT_MS = 300_000;
/** How often the two timeouts above are checked (Node's default is 30 s; the Python runtime checks every second). */
const CHECK_INTERVAL_MS = 1_000;

/** The connection's most recent response: a refusal is written only after it (pipelining keeps its order). */
const lastResponse = Symbol('lastResponse');
/** The response before it (one link only, so a long-lived connection keeps no chain of them). */
const previousResponse = Symbol('previousResponse');
const refused = Symbol('refused');
type Tracked = Duplex & { [lastResponse]?: Linked; [refused]?: boolean };
type Linked = ServerResponse & { [previousResponse]?: Linked };

/** A complete HTTP/1.1 answer that closes the connection, for sockets that have no ServerResponse. */
function closingAnswer(status: number): string {
  const phrase = http.STATUS_CODES[status] ?? 'Error';
  return `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(phrase)}\r\nConnection: close\r\n\r\n${phrase}`;
}

function statusOfClientError(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/**
 * A request the parser cannot read (or that came too slowly). Unlike Node's default, requests that
 * were read before it keep their answers: the refusal is written after the last of them
 * (`GET / ...` followed by garbage → 200, then 400), and bytes after a `Connection: close` request are
 * ignored rather than answered 400 in place of that request's answer (RFC 9112 §9.6).
 */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  const tracked = socket as Tracked;
  if (tracked[refused]) return; // the parser reports the same error for every later chunk
  tracked[refused] = true;
  socket.pause();
  let pending = tracked[lastResponse];
  // An error inside a request's body is that request's: it gets the refusal, after the one before it.
  if (pending !== undefined && !pending.req.complete) pending = pending[previousResponse];
  const unanswered = pending !== undefined && !pending.writableFinished;
  if (err.code === 'HPE_CLOSED_CONNECTION') {
    // The `Connection: close` request's answer ends the connection; nothing after it is answered.
    if (!unanswered) socket.end();
    return;
  }
  const refuse = (): void => {
    if (socket.writable && !socket.writableEnded) socket.end(closingAnswer(statusOfClientError(err.code)));
    else socket.destroy();
  };
  if (!socket.writable || err.code === 'ECONNRESET') socket.destroy();
  else if (unanswered) pending?.once('finish', refuse);
  else refuse();
}

/**
 * Refusals of requests that did parse but that the runtime does not serve (RFC 9112 §3.2, RFC 9110
 * §15.6.6); undefined when the request may go on. Checked in the listener, before anything else.
 */
export function refusal(req: IncomingMessage): { status: number; text: string } | undefined {
  if (req.httpVersionMajor !== 1) return { status: 505, text: 'HTTP Version Not Supported: only HTTP/1.0 and HTTP/1.1 are supported' };
  if (req.httpVersionMinor === 1 && req.headers.host === undefined) return { status: 400, text: 'Bad Request: an HTTP/1.1 request needs a Host header' };
  if (req.rawHeaders.length > 2 * MAX_HEADER_FIELDS) return { status: 431, text: 'Request Header Fields Too Large' };
  return undefined;
}

/** `runtime` is what server.ts's createRuntime() returns (its listener and express-compatible classes). */
export function createHttpServer(runtime: { listener: http.RequestListener; serverOptions: ExpressClasses }): http.Server {
  const listener = runtime.listener;
  const server = http.createServer(
    {
      ...runtime.serverOptions,
      maxHeaderSize: HEAD_LIMIT_BYTES,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
      // The listener answers a missing Host itself (refusal()), in the runtime's words.
      requireHostHeader: false,
    },
    (req, res) => {
      const socket = req.socket as Tracked;
      const previous = socket[lastResponse];
      if (previous !== undefined) previous[previousResponse] = undefined;
      (res as Linked)[previousResponse] = previous;
      socket[lastResponse] = res;
      listener(req, res);
    },
  );
  // One more than the limit, so that Node 20 (which drops fields past it silently) shows the listener
  // a request over the limit; Node 22+ refuse from two over with HPE_HEADER_OVERFLOW.
  server.maxHeadersCount = MAX_HEADER_FIELDS + 1;
  server.on('clientError', onClientError);
  // RFC 9110 §10.1.1: an expectation the server cannot meet → 417. Only 100-continue is met.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = 'Expectation Failed: only Expect: 100-continue is supported';
    res.writeHead(417, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
  });
  // A function is no proxy: CONNECT → 400 (without this listener Node closes without an answer).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(closingAnswer(400));
  });
  return server;
}
