// Decoding OTLP/HTTP trace exports, JSON or protobuf, into flat spans. The protobuf reader knows just
// the fields rtcheck looks at (ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span), so no
// generated code or schema package is needed.

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind number: 1 internal, 2 server, 3 client. */
  kind: number;
  serviceName: string | undefined;
}

interface Field {
  no: number;
  value: Buffer | number;
}

/** The fields of one protobuf message, in order; throws on malformed input. */
function readFields(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[offset++]!;
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) fields.push({ no, value: varint() });
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = varint();
      if (offset + length > buffer.length) throw new Error('truncated field');
      fields.push({ no, value: buffer.subarray(offset, offset + length) });
      offset += length;
    } else throw new Error(`unsupported wire type ${wireType}`);
  }
  return fields;
}

function messages(fields: Field[], no: number): Buffer[] {
  return fields.filter((f) => f.no === no && Buffer.isBuffer(f.value)).map((f) => f.value as Buffer);
}

function first(fields: Field[], no: number): Buffer | number | undefined {
  return fields.find((f) => f.no === no)?.value;
}

function serviceNameOf(attributes: { key: string; value: string | undefined }[]): string | undefined {
  return attributes.find((a) => a.key === 'service.name')?.value;
}

export function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of messages(readFields(body), 1)) {
    const rs = readFields(resourceSpans);
    const resource = messages(rs, 1)[0];
    const attributes = resource
      ? messages(readFields(resource), 1).map((kv) => {
          const f = readFields(kv);
          const any = messages(f, 2)[0];
          const stringValue = any ? messages(readFields(any), 1)[0] : undefined;
          return { key: (messages(f, 1)[0] ?? Buffer.alloc(0)).toString('utf8'), value: stringValue?.toString('utf8') };
        })
      : [];
    const serviceName = serviceNameOf(attributes);
    for (const scopeSpans of [...messages(rs, 2), ...messages(rs, 1000)]) {
      for (const span of messages(readFields(scopeSpans), 2)) {
        const f = readFields(span);
        const hex = (no: number): string => {
          const value = first(f, no);
          return Buffer.isBuffer(value) ? value.toString('hex') : '';
        };
        const name = first(f, 5);
        const kind = first(f, 6);
        spans.push({
          traceId: hex(1),
          spanId: hex(2),
          parentSpanId: hex(4),
          name: Buffer.isBuffer(name) ? name.toString('utf8') : '',
          kind: typeof kind === 'number' ? kind : 0,
          serviceName,
        });
      }
    }
  }
  return spans;
}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

interface JsonKeyValue {
  key?: string;
  value?: { stringValue?: string };
}

interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
}

interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: { spans?: JsonSpan[] }[];
  }[];
}

/** OTLP JSON ids are hex (the spec); some exporters send base64, which is turned into hex here. */
function jsonId(value: string | undefined, bytes: number): string {
  if (!value) return '';
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

export function decodeJson(body: Buffer): ReceivedSpan[] {
  const parsed = JSON.parse(body.toString('utf8')) as JsonExport;
  const spans: ReceivedSpan[] = [];
  for (const rs of parsed.resourceSpans ?? []) {
    const attributes = (rs.resource?.attributes ?? []).map((kv) => ({ key: kv.key ?? '', value: kv.value?.stringValue }));
    const serviceName = serviceNameOf(attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        spans.push({
          traceId: jsonId(span.traceId, 16),
          spanId: jsonId(span.spanId, 8),
          parentSpanId: jsonId(span.parentSpanId, 8),
          name: span.name ?? '',
          kind: typeof span.kind === 'string' ? (KIND_NAMES[span.kind] ?? 0) : (span.kind ?? 0),
          serviceName,
        });
      }
    }
  }
  return spans;
}

/** Spans in one export request, by its content type; undecodable bodies give no spans. */
export function decodeExport(contentType: string | undefined, body: Buffer): ReceivedSpan[] {
  try {
    return /json/i.test(contentType ?? '') ? decodeJson(body) : decodeProtobuf(body);
  } catch {
    return [];
  }
}
