// The span exporter (TR-EXPORT, TR-NOBLOCK): OTLP/HTTP with JSON encoding, written straight to a
// string. Issue 16: with @opentelemetry/exporter-trace-otlp-http, exporting cost about as much CPU per
// request as everything else the runtime does (its transformer builds an object tree per span before
// JSON.stringify); this writes the same document (the OTLP JSON mapping: hex ids, int enums, nanosecond
// strings) in one pass. The Python runtime's fnruntime/otlp.py writes the same shape, so one receiver
// serves both.
import { ROOT_CONTEXT, context, type Attributes, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import http from 'node:http';
import https from 'node:https';
import { ServerSpan } from './server-span';

/** Characters a JSON string cannot hold as they are (controls, quote, backslash, surrogates). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A string as a JSON string: most need no escaping, and JSON.stringify costs more per call. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function anyValue(value: AttributeValue | undefined | null): string | undefined {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${quote(value)}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
    case 'number':
      if (Number.isInteger(value)) return `{"intValue":${value}}`;
      return `{"doubleValue":${Number.isFinite(value) ? value : `"${String(value)}"`}}`;
    case 'object': {
      if (!Array.isArray(value)) return undefined;
      const values: string[] = [];
      for (const item of value as (string | number | boolean | null | undefined)[]) {
        const encoded = anyValue(item);
        if (encoded !== undefined) values.push(encoded);
      }
      return `{"arrayValue":{"values":[${values.join(',')}]}}`;
    }
    default:
      return undefined;
  }
}

function attributes(attrs: Attributes | undefined): string {
  let out = '';
  if (attrs === undefined) return out;
  for (const key in attrs) {
    const encoded = anyValue(attrs[key]);
    if (encoded === undefined) continue;
    out += `${out === '' ? '' : ','}{"key":${quote(key)},"value":${encoded}}`;
  }
  return out;
}

/** HrTime [seconds, nanoseconds] as the decimal string of its nanoseconds. */
function nanos(time: HrTime): string {
  const fraction = String(time[1]);
  return time[0] === 0 ? fraction : `${time[0]}${'000000000'.slice(fraction.length)}${fraction}`;
}

/** OTLP span flags: the W3C trace flags, "has is-remote" and, for a remote parent, "is remote". */
function flags(traceFlags: number, remoteParent: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (remoteParent ? 0x200 : 0);
}

/**
 * One span. Fields at their default (zero counts, empty lists, an unset status) are left out, as the
 * proto3 JSON mapping allows: a third less to write and to send per span.
 */
function span(s: ReadableSpan): string {
  if (s instanceof ServerSpan && s.events.length === 0) return serverSpan(s);
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  let out = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}",`;
  if (parent?.spanId) out += `"parentSpanId":"${parent.spanId}",`;
  if (traceState) out += `"traceState":${quote(traceState)},`;
  out += `"name":${quote(s.name)},"kind":${s.kind + 1},"startTimeUnixNano":"${nanos(s.startTime)}","endTimeUnixNano":"${nanos(s.endTime)}",`;
  out += `"attributes":[${attributes(s.attributes)}]`;
  if (s.droppedAttributesCount) out += `,"droppedAttributesCount":${s.droppedAttributesCount}`;
  if (s.events.length > 0) {
    out += ',"events":[';
    let first = true;
    for (const e of s.events) {
      out += `${first ? '' : ','}{"attributes":[${attributes(e.attributes)}],"name":${quote(e.name)},"timeUnixNano":"${nanos(e.time)}"}`;
      first = false;
    }
    out += ']';
  }
  if (s.droppedEventsCount) out += `,"droppedEventsCount":${s.droppedEventsCount}`;
  if (s.status.code !== 0 || s.status.message !== undefined) {
    out += `,"status":{"code":${s.status.code}${s.status.message === undefined ? '' : `,"message":${quote(s.status.message)}`}}`;
  }
  if (s.links.length > 0) {
    out += ',"links":[';
    let first = true;
    for (const l of s.links) {
      const linkState = l.context.traceState?.serialize();
      out +=
        `${first ? '' : ','}{"attributes":[${attributes(l.attributes)}],"spanId":"${l.context.spanId}","traceId":"${l.context.traceId}",` +
        `${linkState ? `"traceState":${quote(linkState)},` : ''}"flags":${flags(l.context.traceFlags, l.context.isRemote)}}`;
      first = false;
    }
    out += ']';
  }
  if (s.droppedLinksCount) out += `,"droppedLinksCount":${s.droppedLinksCount}`;
  return out + `,"flags":${flags(ctx.traceFlags, parent?.isRemote)}}`;
}

/**
 * The runtime's own SERVER span without an exception event, nearly all of what is exported: its
 * shape is known, so most of it is fixed text (about half the time of the general path).
 */
function serverSpan(s: ServerSpan): string {
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const a = s.attributes;
  const status = s.status.code === 0 && s.status.message === undefined ? '' : `,"status":{"code":${s.status.code}${s.status.message === undefined ? '' : `,"message":${quote(s.status.message)}`}}`;
  return (
    `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}",${parent ? `"parentSpanId":"${parent.spanId}",` : ''}${traceState ? `"traceState":${quote(traceState)},` : ''}` +
    `"name":${quote(s.name)},"kind":2,"startTimeUnixNano":"${s.startNanos}","endTimeUnixNano":"${s.endNanos}","attributes":[` +
    `{"key":"http.request.method","value":{"stringValue":${quote(String(a['http.request.method']))}}},` +
    `{"key":"url.path","value":{"stringValue":${quote(String(a['url.path']))}}}` +
    (a['http.response.status_code'] === undefined ? '' : `,{"key":"http.response.status_code","value":{"intValue":${Number(a['http.response.status_code'])}}}`) +
    `${Object.keys(a).length > 3 ? `,${attributes(extraAttributes(a))}` : ''}]${status},"flags":${flags(ctx.traceFlags, parent?.isRemote)}}`
  );
}

const OWN_ATTRIBUTES = new Set(['http.request.method', 'url.path', 'http.response.status_code']);
function extraAttributes(a: Attributes): Attributes {
  const extra: Attributes = {};
  for (const key in a) if (!OWN_ATTRIBUTES.has(key)) extra[key] = a[key];
  return extra;
}

type Scope = ReadableSpan['instrumentationScope'];
const scopeJson = new WeakMap<Scope, string>();
function scopeOf(scope: Scope): string {
  let json = scopeJson.get(scope);
  if (json === undefined) {
    json =
      `{"name":${quote(scope.name)}${scope.version === undefined ? '' : `,"version":${quote(scope.version)}`}}` +
      (scope.schemaUrl === undefined ? '' : `,"schemaUrl":${quote(scope.schemaUrl)}`);
    scopeJson.set(scope, json);
  }
  return json;
}

/**
 * A growable byte buffer the export document is written into, a chunk of spans at a time. Issue 16,
 * profiled: encoding a 512-span batch as one string and then copying it into a Buffer cost as much
 * system time as user time (a 190 KB string and a 190 KB Buffer are each a fresh mmap, page faults
 * included, for every batch); chunks stay small young-generation strings and the buffer is reused.
 */
class ByteSink {
  at = 0;
  constructor(public bytes: Buffer) {}

  write(text: string): void {
    const room = text.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (this.bytes.length - this.at < room) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + room));
      this.bytes.copy(grown, 0, 0, this.at);
      this.bytes = grown;
    }
    this.at += this.bytes.write(text, this.at, 'utf8');
  }
}

/** Spans joined into one string per chunk: small enough to stay out of V8's large-object space. */
const SPANS_PER_CHUNK = 64;

/** Initial size of an export buffer: a full default batch of the runtime's spans (~380 bytes each) fits. */
const BUFFER_BYTES = 256 * 1024;

/**
 * Writes the ExportTraceServiceRequest of `spans` (grouped by resource and instrumentation scope)
 * into `into`, or into a larger buffer when it does not fit; returns the bytes written (a view).
 */
export function writeSpans(spans: readonly ReadableSpan[], into: Buffer = Buffer.allocUnsafe(BUFFER_BYTES)): Buffer {
  // Almost always one resource and one or two scopes: group by object identity, in order.
  const groups = new Map<ReadableSpan['resource'], Map<Scope, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = groups.get(s.resource);
    if (scopes === undefined) groups.set(s.resource, (scopes = new Map()));
    const list = scopes.get(s.instrumentationScope);
    if (list === undefined) scopes.set(s.instrumentationScope, [s]);
    else list.push(s);
  }
  const out = new ByteSink(into);
  let firstResource = true;
  out.write('{"resourceSpans":[');
  for (const [resource, scopes] of groups) {
    out.write(`${firstResource ? '' : ','}{"resource":{"attributes":[${attributes(resource.attributes)}]},"scopeSpans":[`);
    firstResource = false;
    let firstScope = true;
    for (const [scope, list] of scopes) {
      out.write(`${firstScope ? '' : ','}{"scope":${scopeOf(scope)},"spans":[`);
      firstScope = false;
      // Joined, not appended one by one: one string of thousands of appended pieces costs more to
      // flatten (when it is written out) than encoding them did.
      const chunk: string[] = [];
      for (let i = 0; i < list.length; i += SPANS_PER_CHUNK) {
        chunk.length = 0;
        for (let j = i; j < list.length && j < i + SPANS_PER_CHUNK; j++) chunk.push(span(list[j]!));
        if (i > 0) out.write(',');
        out.write(chunk.join(','));
      }
      out.write(']}');
    }
    out.write(`]${resource.schemaUrl ? `,"schemaUrl":${quote(resource.schemaUrl)}` : ''}}`);
  }
  out.write(']}');
  return out.bytes.subarray(0, out.at);
}

/** The ExportTraceServiceRequest of `spans` as a string (what writeSpans writes). */
export function encodeSpans(spans: readonly ReadableSpan[]): string {
  return writeSpans(spans).toString('utf8');
}

export class OtlpJsonExporter implements SpanExporter {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly pending = new Set<http.ClientRequest>();
  /** The buffer of the last export the collector answered: its bytes were sent, so it is free again. */
  private spare: Buffer | undefined;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(url);
    const Agent = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 2 });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const body = writeSpans(spans, this.spare);
    this.spare = undefined; // taken: a concurrent export (forceFlush) gets a buffer of its own
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      resultCallback(error === undefined ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error });
    };
    // The exporter's own request is never traced, nor given trace headers (no span loop).
    context.with(suppressTracing(ROOT_CONTEXT), () => {
      const send = this.url.protocol === 'https:' ? https.request : http.request;
      const req = send(this.url, {
        method: 'POST',
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      });
      this.pending.add(req);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          // The body was handed to the OS in full: its buffer (never a pool slice) may take the next batch.
          if (req.writableFinished) this.spare = Buffer.from(body.buffer);
          finish(res.statusCode !== undefined && res.statusCode < 300 ? undefined : new Error(`the collector answered ${res.statusCode}`));
        });
        res.on('error', finish);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', finish);
      req.on('close', () => {
        this.pending.delete(req);
        finish(new Error('the connection closed before an answer'));
      });
      req.end(body);
    });
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }

  forceFlush(): Promise<void> {
    // Resolves once the requests in flight have ended (the batch processor flushes its queue first).
    return Promise.all([...this.pending].map((req) => new Promise<void>((resolve) => req.once('close', () => resolve())))).then(() => undefined);
  }
}
