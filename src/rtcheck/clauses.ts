// The contract as data: every clause of CONTRACT.md (../shared/CONTRACT.md, kept word for word in
// docs/CONTRACT.md) with its id, level, section and a short text. rtcheck checks sections 1–9 under the
// image's own entrypoint and section 11 under Kyma's buildless launch; sections 10 and 12 (the images
// rtbuild produces) are checked by rtbuild's own tests and listed here so that ids stay in one place.
// test/unit/rtcheck-select.test.ts keeps this table in step with the spec; `ClauseId` makes a wrong id
// a type error anywhere it is cited.

export type Level = 'MUST' | 'SHOULD';

export const GROUPS = ['image', 'load', 'http', 'event', 'sdk', 'context', 'response', 'tracing', 'lifecycle', 'final', 'kyma', 'override'] as const;
export type Group = (typeof GROUPS)[number];

interface ClauseRow {
  readonly id: string;
  readonly level: Level;
  readonly section: number;
  readonly group: Group;
  /** The clause's first sentence, shortened: enough for a report line. */
  readonly text: string;
}

export const CLAUSES = [
  { id: 'IMG-USER', level: 'MUST', section: 1, group: 'image', text: "the image's default user is numeric and not 0 (`USER 1000`, or `1000:1000`)." },
  { id: 'IMG-VOLUME', level: 'MUST', section: 1, group: 'image', text: "the image config sets `KUBELESS_INSTALL_VOLUME` (default `/kubeless`), and the runtime reads the function…" },
  { id: 'IMG-RUNTIME', level: 'MUST', section: 1, group: 'image', text: "the image config sets `FUNC_RUNTIME` to the runtime id, one of Kyma's (`nodejs20`, `nodejs22`, `nodejs24`, `python312`;…" },
  { id: 'IMG-SIGNALS', level: 'MUST', section: 1, group: 'image', text: "the server runs as PID 1 or under an init that forwards signals (exec-form `CMD`/`ENTRYPOINT`, no `sh -c`…" },
  { id: 'IMG-PORT-EXPOSE', level: 'SHOULD', section: 1, group: 'image', text: "the image config exposes `8080/tcp`." },
  { id: 'IMG-RESTRICTED', level: 'MUST', section: 1, group: 'image', text: "the runtime works unchanged under the Kubernetes *restricted* profile: read-only root filesystem with a…" },
  { id: 'IMG-ANYUID', level: 'SHOULD', section: 1, group: 'image', text: "the runtime also works under an arbitrary non-root UID with GID 0." },
  { id: 'LOAD-PATH', level: 'MUST', section: 2, group: 'load', text: "the function module is `$KUBELESS_INSTALL_VOLUME/$MOD_NAME.<ext>` (`MOD_NAME` default `handler`; Node:…" },
  { id: 'LOAD-DEPS', level: 'MUST', section: 2, group: 'load', text: "dependencies installed next to the sources resolve for user code (Node:…" },
  { id: 'LOAD-FAIL', level: 'MUST', section: 2, group: 'load', text: "a missing module, a syntax or import error, or a missing / non-callable handler makes the process print…" },
  { id: 'LOAD-READY', level: 'MUST', section: 2, group: 'load', text: "`GET /healthz` answers 200 only once the function is loaded; the first invocation after the first healthy…" },
  { id: 'HTTP-PORT', level: 'MUST', section: 3, group: 'http', text: "listens on port 8080 on all interfaces. `FUNC_PORT` may override it; the default is 8080." },
  { id: 'HTTP-HEALTH', level: 'MUST', section: 3, group: 'http', text: "`GET /healthz` → 200 `OK`; it stays fast (under 1 s) while invocations are running (liveness), including…" },
  { id: 'HTTP-METRICS', level: 'SHOULD', section: 3, group: 'http', text: "`GET /metrics` → Prometheus text with `function_calls_total`, `function_failures_total` and the histogram…" },
  { id: 'HTTP-FAVICON', level: 'SHOULD', section: 3, group: 'http', text: "`GET /favicon.ico` → 204 without calling user code." },
  { id: 'HTTP-ROUTE', level: 'MUST', section: 3, group: 'http', text: "every other method and path (GET, POST, PUT, PATCH, DELETE, HEAD) reaches the function." },
  { id: 'HTTP-BODY', level: 'MUST', section: 3, group: 'http', text: "`application/json` and `application/cloudevents+json` (any charset parameter) → parsed JSON, any JSON…" },
  { id: 'HTTP-LIMIT', level: 'MUST', section: 3, group: 'http', text: "bodies larger than `REQ_MB_LIMIT` megabytes (default 1) → 413 for every content type, before user code runs." },
  { id: 'HTTP-BADJSON', level: 'MUST', section: 3, group: 'http', text: "a malformed JSON body → 400 with a short plain-text reason; user code not called." },
  { id: 'HTTP-NOLEAK', level: 'MUST', section: 3, group: 'http', text: "no error response carries a stack trace, a file path or a framework HTML page." },
  { id: 'EV-FIELDS', level: 'MUST', section: 4, group: 'event', text: "the handler's first argument has `ce-type`, `ce-source`, `ce-eventtypeversion`, `ce-specversion`, `ce-id`,…" },
  { id: 'EV-BINARY', level: 'MUST', section: 4, group: 'event', text: "a request with a `ce-specversion` header, or with both `ce-type` and `ce-source` headers (any letter…" },
  { id: 'EV-STRUCTURED', level: 'MUST', section: 4, group: 'event', text: "a request with `Content-Type: application/cloudevents+json` is a structured-mode CloudEvent: attributes…" },
  { id: 'EV-INVALID', level: 'MUST', section: 4, group: 'event', text: "a request that claims to be a CloudEvent but lacks a required attribute (`id`, `source`, `specversion`,…" },
  { id: 'EV-BATCH', level: 'MUST', section: 4, group: 'event', text: "`application/cloudevents-batch+json` → 415 with a plain reason." },
  { id: 'EV-PLAIN', level: 'MUST', section: 4, group: 'event', text: "a request that is not a CloudEvent has no `ce-*` values (undefined / `None`); `data` follows HTTP-BODY." },
  { id: 'EV-TIME', level: 'SHOULD', section: 4, group: 'event', text: "`ce-time` is the string that was sent, unchanged." },
  { id: 'EV-REQUEST', level: 'MUST', section: 4, group: 'event', text: "`extensions.request` gives the method, path, headers, query and raw body (Node: an Express request;…" },
  { id: 'SDK-EMIT', level: 'MUST', section: 5, group: 'sdk', text: "`event.emitCloudEvent(type, source, data, optionalAttributes?)` POSTs one structured-mode CloudEvent to…" },
  { id: 'SDK-PUBLISH', level: 'SHOULD', section: 5, group: 'sdk', text: "`event.publishCloudEvent(cloudEvent)` (deprecated) POSTs a complete structured CloudEvent as given." },
  { id: 'SDK-BUILD', level: 'SHOULD', section: 5, group: 'sdk', text: "`event.buildResponseCloudEvent(id, type, data)` (deprecated) returns a CloudEvent object (source from the…" },
  { id: 'SDK-RESPONSE', level: 'MUST', section: 5, group: 'sdk', text: "`event.setResponseStatus(code)`, `event.setResponseHeader(name, value)`,…" },
  { id: 'CTX-FIELDS', level: 'MUST', section: 6, group: 'context', text: "the handler's second argument has `function-name` (`FUNC_NAME`), `timeout` (`FUNC_TIMEOUT` in seconds as a…" },
  { id: 'RES-VALUE', level: 'MUST', section: 7, group: 'response', text: "a returned string → 200 `text/plain; charset=utf-8`; an object, array, number or boolean → 200 JSON; bytes…" },
  { id: 'RES-CUSTOM', level: 'MUST', section: 7, group: 'response', text: "the handler can choose status, headers and body." },
  { id: 'RES-ERROR', level: 'MUST', section: 7, group: 'response', text: "a handler that throws or rejects (any value) → 500 with body `Internal server error`; the error and its…" },
  { id: 'RES-TIMEOUT', level: 'MUST', section: 7, group: 'response', text: "a handler still running after `FUNC_TIMEOUT` seconds → 408 `Request Timeout`; the server stays up and…" },
  { id: 'RES-CRASHSAFE', level: 'MUST', section: 7, group: 'response', text: "unhandled rejections and exceptions from user callbacks are logged and never kill the server." },
  { id: 'TR-TRACER', level: 'MUST', section: 8, group: 'tracing', text: "`event.tracer` is a working OpenTelemetry tracer (Node: `@opentelemetry/api` `Tracer`; Python:…" },
  { id: 'TR-EXPORT', level: 'MUST', section: 8, group: 'tracing', text: "with `TRACE_COLLECTOR_ENDPOINT` set (a full OTLP/HTTP URL such as `http://collector:4318/v1/traces`),…" },
  { id: 'TR-PROPAGATE', level: 'MUST', section: 8, group: 'tracing', text: "W3C `traceparent`/`tracestate`, W3C baggage and B3 multi-header are extracted from requests and injected…" },
  { id: 'TR-QUIET', level: 'SHOULD', section: 8, group: 'tracing', text: "no spans for `/healthz`, `/metrics`, `/favicon.ico`." },
  { id: 'TR-NOBLOCK', level: 'MUST', section: 8, group: 'tracing', text: "a dead or slow collector never delays or fails an invocation, and does not log an error per request." },
  { id: 'LC-TERM', level: 'MUST', section: 9, group: 'lifecycle', text: "on SIGTERM the server stops accepting connections, lets in-flight invocations finish (at most…" },
  { id: 'LC-LOG', level: 'SHOULD', section: 9, group: 'lifecycle', text: "one start-up line with runtime, version, handler path and load time; errors on stderr; an access log when…" },
  { id: 'FIN-BASE', level: 'MUST', section: 10, group: 'final', text: "built `FROM` the given `base_image`, inheriting its entrypoint, user and env; the final user is the base…" },
  { id: 'FIN-SOURCES', level: 'MUST', section: 10, group: 'final', text: "sources land in `$KUBELESS_INSTALL_VOLUME`, owned by root, readable but not writable by the runtime user;…" },
  { id: 'FIN-SECRETS', level: 'MUST', section: 10, group: 'final', text: "no registry credentials (`.npmrc`, `pip.conf`), `.git`, `.env` or build-only file ends up in any layer of…" },
  { id: 'FIN-LAYERS', level: 'MUST', section: 10, group: 'final', text: "dependencies and sources are separate layers; a change to the sources alone reuses the dependency layer." },
  { id: 'FIN-LABELS', level: 'SHOULD', section: 10, group: 'final', text: "OCI labels `org.opencontainers.image.base.name`, `...base.digest`, `...created` (from `SOURCE_DATE_EPOCH`…" },
  { id: 'KB-LAUNCH', level: 'MUST', section: 11, group: 'kyma', text: "the image serves the function when started as the controller starts it: `sh -c SCRIPT`, user 1000, read-only root,…" },
  { id: 'KB-GIT', level: 'MUST', section: 11, group: 'kyma', text: "the same with sources from a Git repository: SCRIPT copies `/git-repository/src/*` into the working directory…" },
  { id: 'KB-DEPS', level: 'MUST', section: 11, group: 'kyma', text: "dependencies named in `FUNC_HANDLER_DEPENDENCIES` are installed at start from the registry and with the…" },
  { id: 'KB-CONTRACT', level: 'MUST', section: 11, group: 'kyma', text: "sections 3–8 hold under this launch as they do under the image's own entrypoint." },
  { id: 'KB-PROBES', level: 'MUST', section: 11, group: 'kyma', text: "under this launch `/healthz` on port 8080 answers within the controller's probe timeouts (readiness 2 s,…" },
  { id: 'KB-TERM', level: 'SHOULD', section: 11, group: 'kyma', text: "SIGTERM under this launch still lets in-flight invocations finish, flushes spans and ends the container well…" },
  { id: 'OVR-BAKED', level: 'MUST', section: 12, group: 'override', text: "`rtbuild` can produce an image for a Function's `runtimeImageOverride` that carries the function's…" },
  { id: 'OVR-MANIFEST', level: 'MUST', section: 12, group: 'override', text: "with such an image `rtbuild` writes the Function resource that runs it (`apiVersion:…" },
  { id: 'OVR-INPUT', level: 'SHOULD', section: 12, group: 'override', text: "`rtbuild` also takes a Function resource with inline sources (a YAML file, or a folder as `kyma function…" },
] as const satisfies readonly ClauseRow[];

export type ClauseId = (typeof CLAUSES)[number]['id'];

export interface Clause extends ClauseRow {
  readonly id: ClauseId;
}

/** The sections `rtcheck IMAGE` covers: 1–9 under the image's own entrypoint, 11 under Kyma's launch. */
export const RTCHECK_SECTIONS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11];

/** Sections 3–8: what KB-CONTRACT re-runs under Kyma's buildless launch. */
export const KB_CONTRACT_SECTIONS: readonly number[] = [3, 4, 5, 6, 7, 8];

const byId = new Map<string, Clause>(CLAUSES.map((clause) => [clause.id, clause]));

export function clauseById(id: string): Clause | undefined {
  return byId.get(id);
}

export function isClauseId(id: string): id is ClauseId {
  return byId.has(id);
}
