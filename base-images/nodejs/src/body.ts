// Reading a request body within REQ_MB_LIMIT (HTTP-LIMIT) and parsing it by content type
// (HTTP-BODY, HTTP-BADJSON).
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import qs from 'qs';

/** Media type of a Content-Type header: lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

/** Whether the request carries a body at all (RFC 9112 §6.3). */
export function hasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Declared Content-Length, or undefined for chunked or bodyless requests. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  if (length === undefined) return undefined;
  const n = Number(length);
  return Number.isFinite(n) ? n : undefined;
}

export const TOO_LARGE = Symbol('body too large');

/**
 * Collects the body and calls `done` once: with the body, with TOO_LARGE as soon as more than `limit`
 * bytes arrived (the rest is drained and discarded so the connection can carry the 413), or with
 * undefined when the request failed (the client went away).
 */
export function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | typeof TOO_LARGE | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > limit) {
      finished = true;
      chunks.length = 0;
      done(TOO_LARGE);
      return;
    }
    chunks.push(chunk);
  });
  // `on`, not `once`: each fires at most once anyway, and `once` costs a wrapper per request.
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
  req.on('error', () => {
    if (finished) return;
    finished = true;
    done(undefined);
  });
}

export type ParsedBody = { ok: true; data: unknown } | { ok: false; status: 400; message: string };

const JSON_TYPES = new Set(['application/json', 'application/cloudevents+json']);

/**
 * HTTP-BADJSON: JSON nested deeper than this is refused, valid or not (the Python runtime's parser
 * recurses and cannot take much more; both runtimes refuse at the same depth).
 */
export const MAX_JSON_DEPTH = 512;
const NOT_JSON = 'Bad Request: the body is not valid JSON';
const NOT_UTF8 = 'Bad Request: the JSON body is not UTF-8';
const TOO_DEEP = `Bad Request: the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;

/** Whether `raw` holds more than `limit` opening brackets: a native search per bracket, so cheap. */
function moreBracketsThan(raw: Buffer, limit: number): boolean {
  let count = 0;
  for (const bracket of [0x5b, 0x7b]) {
    for (let at = raw.indexOf(bracket); at !== -1; at = raw.indexOf(bracket, at + 1)) {
      if (++count > limit) return true;
    }
  }
  return false;
}

/** Whether arrays and objects nest deeper than `limit`, counting brackets outside strings only. */
export function jsonNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * HTTP-BODY / HTTP-BADJSON for the JSON types: UTF-8 only (RFC 8259 §8.1; the charset parameter is
 * not consulted), a leading BOM skipped, at most MAX_JSON_DEPTH levels deep.
 */
function parseJson(raw: Buffer): ParsedBody {
  if (!isUtf8(raw)) return { ok: false, status: 400, message: NOT_UTF8 };
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Nesting deeper than the limit takes more brackets than the limit: only then is the text scanned.
  const deep = (): boolean => moreBracketsThan(raw, MAX_JSON_DEPTH) && jsonNestsDeeperThan(text, MAX_JSON_DEPTH);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: deep() ? TOO_DEEP : NOT_JSON };
  }
  // Valid JSON that deep also closes every bracket: it is longer than twice the limit.
  return raw.length > 2 * MAX_JSON_DEPTH && deep() ? { ok: false, status: 400, message: TOO_DEEP } : { ok: true, data };
}

function decodeText(raw: Buffer, charset: string | undefined): string {
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    try {
      return new TextDecoder(charset).decode(raw);
    } catch {
      // unknown charset: fall back to UTF-8
    }
  }
  return raw.toString('utf8');
}

/** Most requests (every GET) have no body: one shared answer instead of an object per request. */
const NO_BODY: ParsedBody = Object.freeze({ ok: true, data: undefined });

/**
 * The body as the handler sees it (HTTP-BODY): JSON types → any JSON value, text/* → string,
 * form → object of fields, anything else → Buffer, no body → undefined.
 */
export function parseBody(raw: Buffer | undefined, contentType: string | undefined): ParsedBody {
  if (raw === undefined || raw.length === 0) return NO_BODY;
  const media = mediaType(contentType);
  if (JSON_TYPES.has(media)) return parseJson(raw);
  if (media.startsWith('text/')) return { ok: true, data: decodeText(raw, charsetOf(contentType)) };
  if (media === 'application/x-www-form-urlencoded') {
    return { ok: true, data: qs.parse(decodeText(raw, charsetOf(contentType)), { allowPrototypes: false }) };
  }
  return { ok: true, data: raw };
}
