// Return values, runtime errors and preflights → HTTP responses (RES-VALUE, RES-ERROR, RES-TIMEOUT,
// HTTP-ROUTE). Every error body here is a short fixed text: never a stack or a path (HTTP-NOLEAK).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExpressResponse } from './express-compat';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const BYTES = 'application/octet-stream';

export const INTERNAL_ERROR = 'Internal server error';
export const REQUEST_TIMEOUT = 'Request Timeout';

/** Writes the head of a runtime-made answer in one writeHead (and the CORS header when due). */
function head(res: ServerResponse, status: number, fields: (string | number)[], bodyLength: number): void {
  if (res instanceof ExpressResponse) {
    res.bodyLength = bodyLength;
    res.runtimeHead(status, fields);
  } else res.writeHead(status, fields as string[]);
}

/** A runtime-made plain-text response; its headers win over any the handler set. */
export function sendText(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = Buffer.from(text, 'utf8');
  // writeHead's fields replace headers of the same name the handler set (Content-Type included).
  const fields: (string | number)[] = ['Content-Type', TEXT, 'Content-Length', body.length];
  if (close) fields.push('Connection', 'close');
  head(res, status, fields, body.length);
  res.end(body);
}

/**
 * Sends what the handler returned (RES-VALUE), keeping the status and headers it set through the
 * response object or the SDK helpers; a Content-Type set by the handler wins.
 */
export function sendValue(res: ServerResponse, value: unknown): void {
  let body: string | Buffer | undefined;
  let type: string | undefined;
  if (value === undefined || value === null) {
    body = undefined;
  } else if (typeof value === 'string') {
    body = value;
    type = TEXT;
  } else if (Buffer.isBuffer(value)) {
    body = value;
    type = BYTES;
  } else if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    body = Buffer.from(value instanceof ArrayBuffer ? value : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    type = BYTES;
  } else {
    // Throws for BigInt and cycles: the caller turns that into a 500.
    const json = JSON.stringify(value) as string | undefined;
    if (json !== undefined) {
      body = json;
      type = JSON_TYPE;
    }
  }
  const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const fields: (string | number)[] = ['Content-Length', length];
  if (type !== undefined && !res.hasHeader('Content-Type')) fields.push('Content-Type', type);
  head(res, res.statusCode, fields, length);
  res.end(body);
}

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/** CORS preflight, answered by the runtime (HTTP-ROUTE): echo the requested method and headers. */
export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  const method = req.headers['access-control-request-method'];
  const headers = req.headers['access-control-request-headers'];
  res.statusCode = 204;
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', method ?? DEFAULT_METHODS);
  if (headers !== undefined) res.setHeader('Access-Control-Allow-Headers', headers);
  res.setHeader('Vary', 'Access-Control-Request-Headers');
  res.setHeader('Content-Length', 0);
  res.end();
}
