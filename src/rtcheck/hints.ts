// What to do when a clause fails: one hint per clause rtcheck checks, naming the knob (the variable, the
// Dockerfile line, the file the launch needs). A check's own, more precise hint wins; every failure and
// warning carries at least this one. The type makes a clause without a hint a compile error.
import type { ClauseId } from './clauses.js';

type Checked = Exclude<ClauseId, `FIN-${string}` | 'OVR-INPUT'>;

export const CLAUSE_HINTS: Readonly<Record<Checked, string>> = Object.freeze({
  'IMG-USER': 'add a numeric non-root `USER 1000` (or `1000:1000`) to the Dockerfile; runAsNonRoot cannot verify a name',
  'IMG-VOLUME': 'add `ENV KUBELESS_INSTALL_VOLUME=/kubeless` and read the function from $KUBELESS_INSTALL_VOLUME at start-up, not from a fixed path',
  'IMG-RUNTIME': 'add `ENV FUNC_RUNTIME=<id>` (nodejs20, nodejs22, nodejs24, python312) to the Dockerfile',
  'IMG-SIGNALS': 'start the server in exec form (CMD ["node", "server.js"]) or `exec` it from the start script, so it is PID 1 and gets SIGTERM',
  'IMG-PORT-EXPOSE': 'add `EXPOSE 8080` to the Dockerfile',
  'IMG-RESTRICTED': 'write only to /tmp (read-only root, no writable HOME), and need no capabilities',
  'IMG-ANYUID': 'make the runtime readable and runnable by any uid with gid 0 (chmod a+rX), and write nothing outside /tmp',
  'LOAD-PATH': 'load $KUBELESS_INSTALL_VOLUME/$MOD_NAME.<ext> (MOD_NAME default handler) and call the export FUNC_HANDLER (default main); honour HANDLER_PATH (Node) and FUNCTION_PATH (Python)',
  'LOAD-DEPS': 'resolve user imports from $KUBELESS_INSTALL_VOLUME/node_modules (Node) or the folder requirements are installed into (Python), after the runtime\'s own libraries',
  'LOAD-FAIL': 'on a load error print one line to stderr (the path and the reason) and exit non-zero at once, before opening the port',
  'LOAD-READY': 'listen on FUNC_PORT when it is set (rtcheck sets it to a free port; the default is 8080) and answer GET /healthz 200 only once the function is loaded',
  'HTTP-PORT': 'listen on 8080 on all interfaces unless FUNC_PORT says otherwise',
  'HTTP-HEALTH': 'answer GET /healthz with 200 "OK" at once, without waiting for invocations',
  'HTTP-METRICS': 'serve Prometheus text on GET /metrics with function_calls_total, function_failures_total and the histogram function_duration_seconds',
  'HTTP-FAVICON': 'answer GET /favicon.ico with 204 without calling the function',
  'HTTP-ROUTE': 'send every other method and path to the function; answer OPTIONS preflights yourself (echo the requested method and headers) and add Access-Control-Allow-Origin: * to function responses',
  'HTTP-BODY': 'parse application/json and application/cloudevents+json (any charset) as JSON, text/* as a string, forms as an object of fields, anything else as raw bytes; no body → no data',
  'HTTP-LIMIT': 'refuse bodies over REQ_MB_LIMIT megabytes (default 1) with 413, for every content type, before parsing and before user code',
  'HTTP-BADJSON': 'answer a malformed JSON body with 400 and a short text/plain reason, without calling the function',
  'HTTP-NOLEAK': 'answer errors with a short fixed text; write stacks and paths to stderr only',
  'EV-FIELDS': 'give the event ce-type, ce-source, ce-eventtypeversion, ce-specversion, ce-id, ce-time, ce-datacontenttype, data, tracer and extensions (Python: event["data"] and event.data)',
  'EV-BINARY': 'treat a request with ce-specversion (or ce-type and ce-source) headers as a binary CloudEvent: ce-* from the headers, percent-decoded; the other ce-* headers are extensions',
  'EV-STRUCTURED': 'treat application/cloudevents+json as a structured CloudEvent: attributes from the JSON object, data from data or data_base64',
  'EV-INVALID': 'answer a CloudEvent without id, source, specversion or type, or with a specversion other than 1.0, with 400 naming the attribute; invent nothing',
  'EV-BATCH': 'answer application/cloudevents-batch+json with 415 and a plain reason',
  'EV-PLAIN': 'leave every ce-* value unset (undefined / None) on a request that is not a CloudEvent',
  'EV-TIME': 'pass ce-time on as the string that was sent',
  'EV-REQUEST': 'give extensions.request (method, path, headers, query, raw body) and extensions.response (status, headers) to the handler',
  'SDK-EMIT': 'POST one structured CloudEvent to PUBLISHER_PROXY_ADDRESS as given (no path added), with a new id, time and specversion 1.0; reject on non-2xx, errors, timeouts and a missing address',
  'SDK-PUBLISH': 'POST the CloudEvent given to publishCloudEvent unchanged to PUBLISHER_PROXY_ADDRESS',
  'SDK-BUILD': 'return a CloudEvent from buildResponseCloudEvent(id, type, data), source from the incoming event, and send nothing',
  'SDK-RESPONSE': 'offer event.setResponseStatus, event.setResponseHeader and event.setResponseContentType, applied to the response',
  'CTX-FIELDS': 'give the context function-name (FUNC_NAME), timeout (FUNC_TIMEOUT, a number), runtime (FUNC_RUNTIME), namespace (SERVICE_NAMESPACE), body-size-limit (REQ_MB_LIMIT, a number) and memory-limit when FUNC_MEMORY_LIMIT is set',
  'RES-VALUE': 'answer a string as text/plain; charset=utf-8, objects, arrays, numbers and booleans as JSON, bytes as application/octet-stream, nothing as an empty 200; a content type the handler set wins',
  'RES-CUSTOM': 'let the handler choose status, headers and body (Node: extensions.response; Python: HTTPResponse or a (body, status, headers) tuple)',
  'RES-ERROR': 'answer a thrown error with 500 "Internal server error", log it with its stack and the trace id to stderr, count it in function_failures_total and mark the span',
  'RES-TIMEOUT': 'answer a handler still running after FUNC_TIMEOUT seconds with 408 and drop its late result',
  'RES-CRASHSAFE': 'catch unhandled rejections and exceptions from user callbacks (log them) so the server stays up',
  'TR-TRACER': 'give event.tracer: an OpenTelemetry tracer (Node @opentelemetry/api, Python opentelemetry.trace)',
  'TR-EXPORT': 'export one SERVER span per invocation to TRACE_COLLECTOR_ENDPOINT (OTLP/HTTP), child of the incoming traceparent, service.name = FUNC_NAME',
  'TR-PROPAGATE': 'extract W3C traceparent/tracestate/baggage and B3 headers and inject them into outgoing HTTP calls of user code',
  'TR-QUIET': 'do not trace /healthz, /metrics and /favicon.ico',
  'TR-NOBLOCK': 'export spans in the background with a bounded timeout and log export failures at most once in a while',
  'LC-TERM': 'on SIGTERM stop accepting, let in-flight invocations finish (at most FUNC_TIMEOUT), flush spans and exit 0 (as PID 1 a process gets no default SIGTERM handling: Node and Python must install a handler)',
  'LC-LOG': 'print one start-up line with runtime, version, handler path and load time; with KYMA_INTERNAL_LOGGER_ENABLED=true one access-log line per request',
  'KB-LAUNCH': "start the server from `npm start` in /usr/src/app (Node: /usr/src/app/package.json with a start script; HANDLER_PATH=./function/handler.js) or `python server.py` in / (Python: /server.py); the image needs sh, npm or pip and python",
  'KB-GIT': 'load the handler from the working directory the launch copies /git-repository/src/* into, with its relative imports',
  'KB-DEPS': 'let `npm install` / `pip install --target=/kubeless/.local` install FUNC_HANDLER_DEPENDENCIES with the credentials in package-registry-config/, and keep the runtime\'s own libraries first',
  'KB-CONTRACT': 'the same server must behave the same under both launches: compare the failing clauses with the image\'s own entrypoint',
  'KB-PROBES': 'answer /healthz on 8080 within 2 s while invocations run, and start (dependency install included) within the startup probe\'s 150 s',
  'OVR-MANIFEST': 'let rtbuild --for kyma --manifest FILE write the Function: runtime as the image declares, runtimeImageOverride naming this image (by digest after --push), inline source, no dependencies',
  'OVR-BAKED': 'bake the Function\'s dependencies where the launch finds them (Node: /usr/src/app/node_modules; Python: a folder on PYTHONPATH outside /kubeless and /.local): rtbuild --for kyma does',
  'KB-TERM': "the controller's `sh` is PID 1 and passes no signal on: install a /bin/sh that runs the script under an init forwarding SIGTERM to its process group (see base-images/shared/pid1-sh)",
});

export function clauseHint(id: ClauseId): string | undefined {
  return (CLAUSE_HINTS as Readonly<Record<string, string>>)[id];
}
