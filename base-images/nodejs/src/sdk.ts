// The event SDK: emitCloudEvent / publishCloudEvent / buildResponseCloudEvent and the
// setResponse* helpers (SDK-EMIT, SDK-PUBLISH, SDK-BUILD, SDK-RESPONSE).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface CloudEvent {
  specversion: string;
  id: string;
  type: string;
  source: string;
  [attribute: string]: unknown;
}

/** What a successful publish resolves to (axios-like, as Kyma's SDK returned axios responses). */
export interface PublishResult {
  status: number;
  statusText: string;
  data: string;
}

export interface Sdk {
  emitCloudEvent(type: string, source: string, data: unknown, optionalAttributes?: Record<string, unknown>): Promise<PublishResult>;
  /** @deprecated Kyma's legacy API: posts the given structured CloudEvent as is. */
  publishCloudEvent(cloudEvent: Record<string, unknown>): Promise<PublishResult>;
  /** @deprecated Kyma's legacy API: builds a CloudEvent, sends nothing. */
  buildResponseCloudEvent(id: string, type: string, data: unknown): CloudEvent;
  setResponseStatus(code: number): void;
  setResponseHeader(name: string, value: string | number | readonly string[]): void;
  setResponseContentType(type: string): void;
}

export interface Publisher {
  /** PUBLISHER_PROXY_ADDRESS: the exact URL to POST to. */
  address: string | undefined;
  timeoutMs: number;
}

export class PublishError extends Error {
  readonly code = 'RT_PUBLISH';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** Posts one structured-mode CloudEvent; rejects on no address, network error, timeout or non-2xx. */
export async function postCloudEvent(publisher: Publisher, cloudEvent: Record<string, unknown>): Promise<PublishResult> {
  if (publisher.address === undefined) {
    throw new PublishError('cannot publish the CloudEvent: PUBLISHER_PROXY_ADDRESS is not set');
  }
  let response: Response;
  try {
    response = await fetch(publisher.address, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(cloudEvent),
      signal: AbortSignal.timeout(publisher.timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${publisher.timeoutMs} ms` : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new PublishError(`cannot publish the CloudEvent to ${publisher.address}: ${reason}`, { cause: err });
  }
  const data = await response.text().catch(() => '');
  if (response.status < 200 || response.status > 299) {
    throw new PublishError(`publishing the CloudEvent to ${publisher.address} failed: HTTP ${response.status} ${response.statusText}`.trim());
  }
  return { status: response.status, statusText: response.statusText, data };
}

/** The structured CloudEvent emitCloudEvent sends (SDK-EMIT). */
export function newCloudEvent(type: string, source: string, data: unknown, optionalAttributes?: Record<string, unknown>): Record<string, unknown> {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: randomUUID(),
    time: new Date().toISOString(),
    type,
    source,
  };
  if (Buffer.isBuffer(data) || data instanceof Uint8Array) {
    event.datacontenttype = 'application/octet-stream';
    event.data_base64 = Buffer.from(data).toString('base64');
  } else if (data !== undefined) {
    event.datacontenttype = typeof data === 'string' ? 'text/plain' : 'application/json';
    event.data = data;
  }
  return { ...event, ...optionalAttributes };
}

export function createSdk(res: ServerResponse, incomingSource: unknown, publisher: Publisher): Sdk {
  return {
    emitCloudEvent: (type, source, data, optionalAttributes) =>
      postCloudEvent(publisher, newCloudEvent(type, source, data, optionalAttributes)),
    publishCloudEvent: (cloudEvent) => postCloudEvent(publisher, cloudEvent),
    buildResponseCloudEvent: (id, type, data) => ({
      specversion: '1.0',
      id,
      type,
      source: typeof incomingSource === 'string' ? incomingSource : '',
      data,
    }),
    setResponseStatus: (code) => {
      res.statusCode = code;
    },
    setResponseHeader: (name, value) => {
      res.setHeader(name, value);
    },
    setResponseContentType: (type) => {
      res.setHeader('Content-Type', type);
    },
  };
}
