// Reading a request body within REQ_MB_LIMIT (HTTP-LIMIT) and parsing it by content type
// (HTTP-BODY, HTTP-BADJSON).
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
 * Collects the body; resolves TOO_LARGE as soon as more than `limit` bytes arrived (the rest is
 * drained and discarded so the connection can carry the 413).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

export type ParsedBody = { ok: true; data: unknown } | { ok: false; status: 400; message: string };

const JSON_TYPES = new Set(['application/json', 'application/cloudevents+json']);

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

/**
 * The body as the handler sees it (HTTP-BODY): JSON types → any JSON value, text/* → string,
 * form → object of fields, anything else → Buffer, no body → undefined.
 */
export function parseBody(raw: Buffer | undefined, contentType: string | undefined): ParsedBody {
  if (raw === undefined || raw.length === 0) return { ok: true, data: undefined };
  const media = mediaType(contentType);
  if (JSON_TYPES.has(media)) {
    let text = raw.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      return { ok: true, data: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, status: 400, message: 'Bad Request: the body is not valid JSON' };
    }
  }
  if (media.startsWith('text/')) return { ok: true, data: decodeText(raw, charsetOf(contentType)) };
  if (media === 'application/x-www-form-urlencoded') {
    return { ok: true, data: qs.parse(decodeText(raw, charsetOf(contentType)), { allowPrototypes: false }) };
  }
  return { ok: true, data: raw };
}
