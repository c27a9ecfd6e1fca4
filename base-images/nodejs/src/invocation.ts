// One request to the function, from its SERVER span to its answer: body (HTTP-BODY, HTTP-LIMIT),
// CloudEvent (EV-*), the call of user code in the span's context (TR-*), its result, failure or
// timeout (RES-*), then span end, metrics, access log and the in-flight count (LC-TERM).
//
// Speed (issue 16): one object per request with its steps as methods, not a dozen closures; the
// span is the runtime's own (server-span.ts); trace headers are only parsed when there are some;
// answers go out with one writeHead (respond.ts).
import { ROOT_CONTEXT, SpanStatusCode, context as otelContext, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Request } from 'express';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TOO_LARGE, declaredLength, hasBody, mediaType, parseBody, readBody } from './body';
import type { FunctionContext } from './context';
import { asExpress, type ExpressResponse } from './express-compat';
import { BATCH_MEDIA_TYPE, buildEvent, readCloudEvent } from './event';
import type { Handler } from './load';
import { describeError, type Log } from './log';
import type { Metrics } from './metrics';
import { INTERNAL_ERROR, REQUEST_TIMEOUT, sendText, sendValue } from './respond';
import { createSdk, type Publisher } from './sdk';
import type { ServerSpans } from './server-span';

/** What every invocation shares: the function, its settings and the runtime's collaborators. */
export interface InvocationHost {
  readonly handler: Handler;
  readonly limit: number;
  readonly limitMb: number;
  readonly timeoutSeconds: number;
  readonly context: Readonly<FunctionContext>;
  readonly publisher: Publisher;
  readonly functionTracer: Tracer;
  readonly serverSpans: ServerSpans;
  readonly metrics: Metrics;
  readonly log: Log;
  readonly accessLog: boolean;
  /** LC-TERM: an invocation's user code starts (`+1`) or its response has closed (`-1`). */
  count(delta: 1 | -1): void;
}

/** Whether the request carries a trace context to extract (TR-PROPAGATE): most requests do not. */
function hasTraceHeaders(headers: IncomingHttpHeaders): boolean {
  return headers.traceparent !== undefined || headers['x-b3-traceid'] !== undefined || headers.b3 !== undefined || headers.baggage !== undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** One listener for every response: `this` is the response, which knows its invocation. */
function onResponseClose(this: ExpressResponse): void {
  (this.invocation as Invocation | undefined)?.closed();
}

export class Invocation {
  private readonly started = performance.now();
  private readonly span: Span;
  private readonly ctx: Context;
  private readonly media: string;
  /** LC-TERM counts requests whose user code runs: one still waiting for its body is not one (issue 15 #4). */
  private invoked = false;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: InvocationHost,
    private readonly req: IncomingMessage,
    private readonly res: ExpressResponse,
    path: string,
  ) {
    const parent = hasTraceHeaders(req.headers) ? propagation.extract(ROOT_CONTEXT, req.headers) : ROOT_CONTEXT;
    const method = req.method ?? 'HTTP';
    this.span = host.serverSpans.start(method, { 'http.request.method': method, 'url.path': path }, parent);
    this.ctx = trace.setSpan(parent, this.span);
    this.media = mediaType(req.headers['content-type']);
    res.invocation = this;
    res.cors = true; // HTTP-ROUTE: function responses carry Access-Control-Allow-Origin: *
    res.on('close', onResponseClose);
  }

  start(): void {
    const { req, res } = this;
    if (this.media === BATCH_MEDIA_TYPE) {
      sendText(res, 415, 'Unsupported Media Type: CloudEvents batch mode (application/cloudevents-batch+json) is not supported');
      return;
    }
    if (!hasBody(req)) {
      this.call(undefined);
      return;
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > this.host.limit) {
      this.tooLarge();
      return;
    }
    readBody(req, this.host.limit, (raw) => {
      if (raw === undefined) res.destroy(); // the client went away mid-body
      else if (raw === TOO_LARGE) this.tooLarge();
      else this.call(raw);
    });
  }

  private tooLarge(): void {
    sendText(this.res, 413, `Payload Too Large: the body exceeds REQ_MB_LIMIT (${this.host.limitMb} MB)`, true);
    this.req.resume(); // discard the rest, so the client can read the answer
  }

  private call(raw: Buffer | undefined): void {
    const { host, req, res } = this;
    this.invoked = true;
    host.count(1);
    const parsed = parseBody(raw, req.headers['content-type']);
    if (!parsed.ok) {
      sendText(res, parsed.status, parsed.message);
      return;
    }
    const cloudEvent = readCloudEvent(req.headers, this.media, parsed.data);
    if (cloudEvent.kind === 'invalid') {
      sendText(res, 400, cloudEvent.message);
      return;
    }
    const { request, response } = asExpress(req, res);
    request.body = parsed.data;
    (request as Request & { rawBody?: Buffer }).rawBody = raw;
    const source = cloudEvent.kind === 'cloudevent' ? cloudEvent.fields['ce-source'] : undefined;
    const event = buildEvent(cloudEvent, parsed.data, host.functionTracer, request, response, createSdk(res, source, host.publisher));

    host.metrics.called();
    let result: unknown;
    try {
      result = otelContext.with(this.ctx, host.handler, undefined, event, { ...host.context });
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!isThenable(result)) {
      this.succeed(result);
      return;
    }
    this.timer = setTimeout(() => this.timedOut(), host.timeoutSeconds * 1000);
    result.then(
      (value) => this.succeed(value),
      (err: unknown) => this.fail(err),
    );
  }

  private done(): number {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const seconds = (performance.now() - this.started) / 1000;
    this.host.metrics.observe(seconds);
    return seconds;
  }

  private succeed(value: unknown): void {
    if (this.settled) return; // a late result after a timeout is discarded
    this.done();
    const res = this.res;
    if (res.headersSent || res.writableEnded) return; // the handler answered itself
    try {
      sendValue(res, value);
    } catch (err) {
      this.reportFailure(err); // e.g. a value JSON cannot encode
    }
  }

  private fail(err: unknown): void {
    if (this.settled) return; // a late rejection after a timeout is discarded
    this.done();
    this.reportFailure(err);
  }

  private reportFailure(err: unknown): void {
    this.host.metrics.failed();
    const message = err instanceof Error ? err.message : 'non-Error value thrown';
    if (err instanceof Error) this.span.recordException(err);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.host.log.error(`function failed (trace_id=${this.span.spanContext().traceId}): ${describeError(err)}`);
    sendText(this.res, 500, INTERNAL_ERROR);
  }

  private timedOut(): void {
    if (this.settled) return;
    const seconds = this.done();
    this.host.metrics.failed();
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
    this.host.log.error(
      `function timed out after ${seconds.toFixed(3)} s (FUNC_TIMEOUT=${this.host.timeoutSeconds}) (trace_id=${this.span.spanContext().traceId})`,
    );
    sendText(this.res, 408, REQUEST_TIMEOUT);
  }

  /** The response has closed (sent, or the connection is gone): end the span, log, count down. */
  closed(): void {
    const { res, span } = this;
    res.invocation = undefined;
    const status = res.statusCode;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    if (this.host.accessLog) this.logAccess();
    if (this.invoked) this.host.count(-1);
  }

  private logAccess(): void {
    const { req, res } = this;
    const ms = (performance.now() - this.started).toFixed(1);
    const length = res.bodyLength ?? res.getHeader('content-length') ?? '-';
    this.host.log.info(
      `${req.socket.remoteAddress ?? '-'} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ` +
        `${res.statusCode} ${String(length)} "${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}" ${ms} ms`,
    );
  }
}
