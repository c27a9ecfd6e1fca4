// The peers rtcheck runs on 127.0.0.1 for the containers it checks: a publisher-proxy sink (SDK-EMIT),
// an OTLP/HTTP trace receiver (TR-EXPORT) and an echo server that the probe calls (TR-PROPAGATE). Both
// launches share the servers; each launch gets its own publisher path, so that what one launch's
// containers send is never taken for the other's.
import type { LaunchKind } from '../../platform/function-container.js';
import { decodeExport, type ReceivedSpan } from './otlp.js';
import { type Recorded, type Recorder, startRecorder } from './recorder.js';

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

export interface PeerServers {
  /** The peers as the containers of one launch see them. */
  forLaunch(launch: LaunchKind): Peers;
  close(): Promise<void>;
}

/** A view of `recorder` holding only the requests whose path is `path`. */
function onPath(recorder: Recorder, path: string): Recorder {
  const mine = (request: Recorded): boolean => request.path === path;
  return {
    url: recorder.url,
    get requests() {
      return recorder.requests.filter(mine);
    },
    waitFor: (match, timeoutMs) => recorder.waitFor((request) => mine(request) && match(request), timeoutMs),
    close: () => recorder.close(),
  };
}

export async function startPeers(): Promise<PeerServers> {
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
  const close = async (): Promise<void> => {
    await Promise.all([sink.close(), collector.close(), echo.close()]);
  };
  return {
    forLaunch: (launch) => {
      const path = `/rtcheck/publish/${launch}`;
      return {
        publisherUrl: `${sink.url}${path}`,
        sink: onPath(sink, path),
        tracesUrl: `${collector.url}/v1/traces`,
        collector,
        echo,
        spans: () => collector.requests.flatMap((r) => decodeExport(r.headers['content-type'], r.body)),
        close,
      };
    },
    close,
  };
}
