// The peers rtcheck runs on 127.0.0.1 for the subject: a publisher-proxy sink (SDK-EMIT), an OTLP/HTTP
// trace receiver (TR-EXPORT) and an echo server that the probe calls (TR-PROPAGATE).
import { decodeExport, type ReceivedSpan } from './otlp.js';
import { type Recorder, startRecorder } from './recorder.js';

/** Events of this type are refused with 500, so the probe can see emitCloudEvent fail. */
export const REFUSED_EVENT_TYPE = 'rtcheck.refused';

export interface Peers {
  /** PUBLISHER_PROXY_ADDRESS: the exact URL events must be POSTed to. */
  publisherUrl: string;
  sink: Recorder;
  /** TRACE_COLLECTOR_ENDPOINT. */
  tracesUrl: string;
  collector: Recorder;
  echo: Recorder;
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

export async function startPeers(): Promise<Peers> {
  const sink = await startRecorder((request) => {
    let type: unknown;
    try {
      type = (JSON.parse(request.body.toString('utf8')) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    return type === REFUSED_EVENT_TYPE ? { status: 500, body: 'refused by rtcheck' } : { status: 204 };
  });
  const collector = await startRecorder((request) =>
    /json/i.test(request.headers['content-type'] ?? '')
      ? { status: 200, body: '{}', contentType: 'application/json' }
      : { status: 200, body: '', contentType: 'application/x-protobuf' },
  );
  const echo = await startRecorder((request) => ({
    status: 200,
    body: JSON.stringify({ headers: request.headers }),
    contentType: 'application/json',
  }));
  return {
    publisherUrl: `${sink.url}/rtcheck/publish`,
    sink,
    tracesUrl: `${collector.url}/v1/traces`,
    collector,
    echo,
    spans: () => collector.requests.flatMap((r) => decodeExport(r.headers['content-type'], r.body)),
    close: async () => {
      await Promise.all([sink.close(), collector.close(), echo.close()]);
    },
  };
}
