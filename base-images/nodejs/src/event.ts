// CloudEvents (binary, structured, invalid, batch) → the `event` handed to main(event, context)
// (EV-FIELDS, EV-BINARY, EV-STRUCTURED, EV-INVALID, EV-BATCH, EV-PLAIN, EV-TIME, EV-REQUEST).
import type { Tracer } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import type { Sdk } from './sdk';

export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';
export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';

const REQUIRED = ['id', 'source', 'specversion', 'type'] as const;

/** CloudEvent attributes (context attributes and extensions), by name without the `ce-` prefix. */
export type CeAttributes = Record<string, unknown>;

export type CloudEventResult =
  | { kind: 'plain' }
  | { kind: 'cloudevent'; attributes: CeAttributes; data: unknown }
  | { kind: 'invalid'; message: string };

function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function validate(attributes: CeAttributes, mode: string): string | undefined {
  const missing = REQUIRED.filter((name) => typeof attributes[name] !== 'string' || attributes[name] === '');
  if (missing.length > 0) {
    const list = missing.map((m) => (mode === 'binary' ? `ce-${m}` : m)).join(', ');
    return `Bad Request: invalid ${mode}-mode CloudEvent: missing required attribute${missing.length > 1 ? 's' : ''} ${list}`;
  }
  if (attributes.specversion !== '1.0') {
    return `Bad Request: invalid ${mode}-mode CloudEvent: specversion ${JSON.stringify(attributes.specversion)} is not supported (expected "1.0")`;
  }
  return undefined;
}

/** Binary mode (EV-BINARY): a ce-specversion header, or both ce-type and ce-source. */
export function isBinary(headers: IncomingHttpHeaders): boolean {
  return headers['ce-specversion'] !== undefined || (headers['ce-type'] !== undefined && headers['ce-source'] !== undefined);
}

/**
 * Classifies a request whose body was already parsed by HTTP-BODY rules. `media` is the request's
 * media type (lower case, no parameters).
 */
export function readCloudEvent(headers: IncomingHttpHeaders, media: string, body: unknown): CloudEventResult {
  if (media === STRUCTURED_MEDIA_TYPE) {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
      return { kind: 'invalid', message: 'Bad Request: invalid structured-mode CloudEvent: the body must be a JSON object' };
    }
    const attributes: CeAttributes = {};
    let data: unknown;
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === 'data') data = value;
      else if (key === 'data_base64') {
        if (!('data' in body) && typeof value === 'string') data = Buffer.from(value, 'base64');
      } else attributes[key] = value;
    }
    const problem = validate(attributes, 'structured');
    return problem === undefined ? { kind: 'cloudevent', attributes, data } : { kind: 'invalid', message: problem };
  }
  if (isBinary(headers)) {
    const attributes: CeAttributes = {};
    for (const name of Object.keys(headers)) {
      if (name.length > 3 && name.startsWith('ce-')) {
        const value = headers[name];
        const text = Array.isArray(value) ? value.join(',') : (value ?? '');
        attributes[name.slice(3)] = percentDecode(text);
      }
    }
    const contentType = headers['content-type'];
    if (contentType !== undefined) attributes.datacontenttype = contentType;
    const problem = validate(attributes, 'binary');
    return problem === undefined ? { kind: 'cloudevent', attributes, data: body } : { kind: 'invalid', message: problem };
  }
  return { kind: 'plain' };
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
  const event: FunctionEvent = {
    'ce-type': undefined,
    'ce-source': undefined,
    'ce-eventtypeversion': undefined,
    'ce-specversion': undefined,
    'ce-id': undefined,
    'ce-time': undefined,
    'ce-datacontenttype': undefined,
    data,
    tracer,
    extensions: { request, response },
    ...sdk,
  };
  if (cloudEvent.kind === 'cloudevent') {
    for (const [name, value] of Object.entries(cloudEvent.attributes)) event[`ce-${name}`] = value;
    event.data = cloudEvent.data;
  }
  return event;
}
