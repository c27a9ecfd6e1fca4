// CloudEvents (binary, structured, invalid, batch) → the `event` handed to main(event, context)
// (EV-FIELDS, EV-BINARY, EV-STRUCTURED, EV-INVALID, EV-BATCH, EV-PLAIN, EV-TIME, EV-REQUEST).
import type { Tracer } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import type { Sdk } from './sdk';

export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';
export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';

const REQUIRED = ['id', 'source', 'specversion', 'type'] as const;

/** CloudEvent attributes (context attributes and extensions) by their event field name, `ce-<name>`. */
export type CeFields = Record<`ce-${string}`, unknown>;

export type CloudEventResult =
  | { kind: 'plain' }
  | { kind: 'cloudevent'; fields: CeFields; data: unknown }
  | { kind: 'invalid'; message: string };

/**
 * EV-BINARY: one round of percent-decoding; undefined for a `%` without two hex digits after it or
 * escapes that are not UTF-8. The CloudEvents HTTP binding (1.0.2, §3.1.3.2) says such values MUST be
 * rejected; keeping the raw text (as this runtime did) or U+FFFD (as the Python one did) would hand the
 * function a value its sender never meant.
 */
function percentDecode(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** EV-STRUCTURED: standard base64 (RFC 4648 §4) with its padding, nothing else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validate(fields: CeFields, mode: string): string | undefined {
  const specversion = fields['ce-specversion'];
  if (specversion === '1.0' && nonEmpty(fields['ce-id']) && nonEmpty(fields['ce-source']) && nonEmpty(fields['ce-type'])) return undefined;
  const missing = REQUIRED.filter((name) => !nonEmpty(fields[`ce-${name}`]));
  if (missing.length > 0) {
    const list = missing.map((m) => (mode === 'binary' ? `ce-${m}` : m)).join(', ');
    return `Bad Request: invalid ${mode}-mode CloudEvent: missing required attribute${missing.length > 1 ? 's' : ''} ${list}`;
  }
  return `Bad Request: invalid ${mode}-mode CloudEvent: specversion ${JSON.stringify(specversion)} is not supported (expected "1.0")`;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** Binary mode (EV-BINARY): a ce-specversion header, or both ce-type and ce-source. */
export function isBinary(headers: IncomingHttpHeaders): boolean {
  return headers['ce-specversion'] !== undefined || (headers['ce-type'] !== undefined && headers['ce-source'] !== undefined);
}

/** Most requests are no CloudEvent: one shared answer instead of an object per request. */
const PLAIN: CloudEventResult = Object.freeze({ kind: 'plain' });

/**
 * Classifies a request whose body was already parsed by HTTP-BODY rules. `media` is the request's
 * media type (lower case, no parameters).
 */
export function readCloudEvent(headers: IncomingHttpHeaders, media: string, body: unknown): CloudEventResult {
  if (media === STRUCTURED_MEDIA_TYPE) {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
      return { kind: 'invalid', message: 'Bad Request: invalid structured-mode CloudEvent: the body must be a JSON object' };
    }
    const fields: CeFields = {};
    let data: unknown;
    let base64: unknown;
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === 'data') data = value;
      else if (key === 'data_base64') base64 = value;
      else fields[`ce-${key}`] = value;
    }
    const problem = validate(fields, 'structured');
    if (problem !== undefined) return { kind: 'invalid', message: problem };
    if (base64 !== undefined && !('data' in body)) {
      // An invalid data_base64 is refused, not decoded leniently into whatever bytes come out (unified).
      if (typeof base64 !== 'string' || !BASE64.test(base64)) {
        return { kind: 'invalid', message: 'Bad Request: invalid structured-mode CloudEvent: data_base64 is not valid base64' };
      }
      data = Buffer.from(base64, 'base64');
    }
    return { kind: 'cloudevent', fields, data };
  }
  if (isBinary(headers)) {
    const fields: CeFields = {};
    for (const name in headers) {
      // "ce-" and at least one more character
      if (name.length > 3 && name.charCodeAt(0) === 0x63 && name.charCodeAt(1) === 0x65 && name.charCodeAt(2) === 0x2d) {
        const value = headers[name];
        const decoded = percentDecode(Array.isArray(value) ? value.join(',') : (value ?? ''));
        if (decoded === undefined) {
          return { kind: 'invalid', message: `Bad Request: invalid binary-mode CloudEvent: ${name} is not valid percent-encoded UTF-8` };
        }
        fields[name as `ce-${string}`] = decoded;
      }
    }
    const contentType = headers['content-type'];
    if (contentType !== undefined) fields['ce-datacontenttype'] = contentType;
    const problem = validate(fields, 'binary');
    return problem === undefined ? { kind: 'cloudevent', fields, data: body } : { kind: 'invalid', message: problem };
  }
  return PLAIN;
}

/** The handler's first argument (EV-FIELDS). */
export interface FunctionEvent extends Sdk {
  'ce-type': unknown;
  'ce-source': unknown;
  'ce-eventtypeversion': unknown;
  'ce-specversion': unknown;
  'ce-id': unknown;
  'ce-time': unknown;
  'ce-datacontenttype': unknown;
  [extension: `ce-${string}`]: unknown;
  data: unknown;
  tracer: Tracer;
  extensions: { request: Request; response: Response };
}

export function buildEvent(
  cloudEvent: CloudEventResult,
  data: unknown,
  tracer: Tracer,
  request: Request,
  response: Response,
  sdk: Sdk,
): FunctionEvent {
  // One shape for every event: the standard fields and the SDK first, extensions after them.
  const fields: CeFields = cloudEvent.kind === 'cloudevent' ? cloudEvent.fields : {};
  const event: FunctionEvent = {
    'ce-type': fields['ce-type'],
    'ce-source': fields['ce-source'],
    'ce-eventtypeversion': fields['ce-eventtypeversion'],
    'ce-specversion': fields['ce-specversion'],
    'ce-id': fields['ce-id'],
    'ce-time': fields['ce-time'],
    'ce-datacontenttype': fields['ce-datacontenttype'],
    data: cloudEvent.kind === 'cloudevent' ? cloudEvent.data : data,
    tracer,
    extensions: { request, response },
    emitCloudEvent: sdk.emitCloudEvent,
    publishCloudEvent: sdk.publishCloudEvent,
    buildResponseCloudEvent: sdk.buildResponseCloudEvent,
    setResponseStatus: sdk.setResponseStatus,
    setResponseHeader: sdk.setResponseHeader,
    setResponseContentType: sdk.setResponseContentType,
  };
  if (cloudEvent.kind === 'cloudevent') {
    for (const name in fields) if (!(name in event)) event[name as `ce-${string}`] = fields[name as `ce-${string}`];
  }
  return event;
}
