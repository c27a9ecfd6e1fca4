// One HTTP request to the subject on 127.0.0.1 and everything about it, kept as evidence. Never throws:
// a refused connection or a timeout is an exchange with `error` set, so checks can report it. Each
// request carries an id (x-rtcheck-request) that probe functions log, so the evidence of a check shows
// the log lines of its own request; the body kept is bounded.
import { request as httpRequest } from 'node:http';
import { bounded, printable } from './text.js';

/** The header a request's id travels in; probe functions write it to both log streams. */
export const REQUEST_ID_HEADER = 'x-rtcheck-request';
/** At most this much of an answer's body is kept (a noisy image must not fill memory). */
const BODY_KEPT = 4 * 1024 * 1024;
let nextId = 0;

export interface Request {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

export interface Exchange {
  /** The request's id, as sent in x-rtcheck-request. */
  id: string;
  url: string;
  request: Request;
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  ms: number;
  error: string | undefined;
}

const PREVIEW = 160;

export function send(base: string, req: Request): Promise<Exchange> {
  const url = new URL(req.path, base);
  const started = Date.now();
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  const headers: Record<string, string> = { ...req.headers };
  const id = headers[REQUEST_ID_HEADER] ?? `${process.pid.toString(36)}-${(nextId++).toString(36)}`;
  headers[REQUEST_ID_HEADER] = id;
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | undefined, responseHeaders: Record<string, string>, chunks: Buffer[], error?: string): void => {
      if (settled) return;
      settled = true;
      const data = Buffer.concat(chunks);
      resolve({ id, url: url.href, request: req, status, headers: responseHeaders, body: data, text: data.toString('utf8'), ms: Date.now() - started, error });
    };
    const outgoing = httpRequest(url, { method: req.method ?? 'GET', headers, agent: false, timeout: req.timeoutMs ?? 5000 }, (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      response.on('data', (chunk: Buffer) => {
        if (kept >= BODY_KEPT) return;
        chunks.push(chunk.subarray(0, BODY_KEPT - kept));
        kept += chunk.length;
      });
      response.on('end', () => finish(response.statusCode, flat, chunks));
      response.on('error', (error) => finish(response.statusCode, flat, chunks, error.message));
    });
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${req.timeoutMs ?? 5000} ms`));
    });
    // A server may answer (413) and close before the whole body is written; the answer still counts.
    outgoing.on('error', (error) => {
      setImmediate(() => finish(undefined, {}, [], error.message));
    });
    outgoing.end(body);
  });
}

function preview(body: Buffer | string | undefined): string {
  if (body === undefined || body.length === 0) return '';
  const text = typeof body === 'string' ? body : body.subarray(0, PREVIEW * 4).toString('utf8');
  return printable(text.length > PREVIEW ? `${text.slice(0, PREVIEW)}… (${body.length} ${typeof body === 'string' ? 'characters' : 'bytes'})` : text);
}

export function describeRequest(req: Request): string {
  const lines = [printable(bounded(`${req.method ?? 'GET'} ${req.path}`, 300))];
  for (const [name, value] of Object.entries(req.headers ?? {})) lines.push(printable(bounded(`${name}: ${value}`, 300)));
  const body = preview(req.body);
  if (body) lines.push('', body);
  return lines.join('\n');
}

export function describeResponse(exchange: Exchange): string {
  if (exchange.status === undefined) return printable(`no answer after ${exchange.ms} ms: ${exchange.error ?? 'unknown error'}`);
  const lines = [`${exchange.status} (${exchange.ms} ms)`];
  for (const name of ['content-type', 'content-length', 'access-control-allow-origin']) {
    if (exchange.headers[name] !== undefined) lines.push(printable(bounded(`${name}: ${exchange.headers[name]}`, 300)));
  }
  const body = preview(exchange.body);
  if (body) lines.push('', body);
  return lines.join('\n');
}

/** Media type without parameters, lower case ("text/plain"). */
export function mediaType(exchange: Exchange): string {
  return (exchange.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function parseJson(exchange: Exchange): unknown {
  try {
    return JSON.parse(exchange.text) as unknown;
  } catch {
    return undefined;
  }
}
