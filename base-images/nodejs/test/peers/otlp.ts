// A small OTLP/HTTP trace receiver on 127.0.0.1 (JSON encoding, as @opentelemetry/exporter-trace-otlp-http
// sends it). Records every span with its resource's service.name. Can be told to answer slowly.
import { listenLocal, readAll } from './local';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  serviceName: string | undefined;
  attributes: Record<string, unknown>;
  statusCode: number | undefined;
}

export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function value(v: OtlpValue): unknown {
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of list ?? []) out[a.key] = value(a.value);
  return out;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  requests: number;
  /** Delay each answer by this many ms (a slow collector). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = { url: '', spans: [], requests: 0, delayMs: 0, close: async () => {} };
  const server = await listenLocal((req, res) => {
    readAll(req, (raw) => {
      receiver.requests++;
      const body = raw.toString('utf8');
      if ((req.headers['content-type'] ?? '').includes('json')) {
        const parsed = JSON.parse(body) as OtlpRequest;
        for (const rs of parsed.resourceSpans ?? []) {
          const service = attributes(rs.resource?.attributes)['service.name'];
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              receiver.spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId === '' ? undefined : s.parentSpanId,
                name: s.name,
                kind: s.kind,
                serviceName: typeof service === 'string' ? service : undefined,
                attributes: attributes(s.attributes),
                statusCode: s.status?.code,
              });
            }
          }
        }
      }
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      };
      if (receiver.delayMs > 0) setTimeout(answer, receiver.delayMs);
      else answer();
    });
  });
  receiver.url = `${server.base}/v1/traces`;
  receiver.close = server.close;
  return receiver;
}
