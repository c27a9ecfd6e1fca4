// Builds the request listener; never listens by itself (main.ts does).
//
// Speed: requests do not go through express's router. A plain node:http listener answers /healthz,
// /metrics, /favicon.ico and OPTIONS directly and reads and parses bodies itself. Requests and
// responses are express objects from birth (express-compat.ts: the server is created with
// `runtime.serverOptions`), so `event.extensions.request.query`, `.get()`, `res.status().json()` work
// without express's per-request prototype swap.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, propagation, trace, type Span, type Context } from '@opentelemetry/api';
import express, { type Request } from 'express';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { TOO_LARGE, declaredLength, hasBody, mediaType, parseBody, readBody } from './body';
import { contextTemplate } from './context';
import { asExpress, expressClasses, type ExpressClasses } from './express-compat';
import { BATCH_MEDIA_TYPE, buildEvent, readCloudEvent } from './event';
import type { LoadedFunction } from './load';
import { describeError, type Log } from './log';
import { METRICS_CONTENT_TYPE, Metrics } from './metrics';
import type { Options } from './options';
import { INTERNAL_ERROR, REQUEST_TIMEOUT, sendPreflight, sendText, sendValue } from './respond';
import { createSdk, type Publisher } from './sdk';
import type { Telemetry } from './telemetry';

export interface RuntimeDeps {
  options: Options;
  fn: Pick<LoadedFunction, 'handler'>;
  telemetry: Pick<Telemetry, 'serverTracer' | 'functionTracer'>;
  log: Log;
  metrics?: Metrics;
}

export interface Runtime {
  listener: RequestListener;
  /** Pass to http.createServer(serverOptions, listener): express-compatible req/res classes. */
  serverOptions: ExpressClasses;
  metrics: Metrics;
  /** Invocations whose response has not closed yet. */
  inFlight(): number;
  /** Resolves true once nothing is in flight, false if timeoutMs passed first. */
  whenIdle(timeoutMs: number): Promise<boolean>;
  /** From now on every response asks the client to close its connection (LC-TERM). */
  beginShutdown(): void;
}

const OK = Buffer.from('OK');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export function createRuntime(deps: RuntimeDeps): Runtime {
  const { options, fn, telemetry, log } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const handler = fn.handler;
  const limit = Math.floor(options.REQ_MB_LIMIT * 1024 * 1024);
  const timeoutMs = options.FUNC_TIMEOUT * 1000;
  const ctxTemplate = contextTemplate(options);
  const publisher: Publisher = { address: options.PUBLISHER_PROXY_ADDRESS, timeoutMs: options.PUBLISHER_TIMEOUT * 1000 };
  const accessLog = options.KYMA_INTERNAL_LOGGER_ENABLED;
  const { serverTracer, functionTracer } = telemetry;

  // Only used for its request/response prototypes and settings; no routes, no middleware.
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended'); // as in Kyma's express 4 runtime: a[b]=1 → { a: { b: '1' } }
  const serverOptions = expressClasses(app);

  let active = 0;
  let shuttingDown = false;
  let idleWaiters: (() => void)[] = [];

  function logAccess(req: IncomingMessage, res: ServerResponse, started: number): void {
    const ms = (performance.now() - started).toFixed(1);
    const length = res.getHeader('content-length') ?? '-';
    log.info(
      `${req.socket.remoteAddress ?? '-'} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ` +
        `${res.statusCode} ${String(length)} "${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}" ${ms} ms`,
    );
  }

  function invoke(req: IncomingMessage, res: ServerResponse, path: string): void {
    const started = performance.now();
    active++;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = serverTracer.startSpan(
      req.method ?? 'HTTP',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': path } },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (shuttingDown) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      if (accessLog) logAccess(req, res, started);
      if (--active === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });

    const media = mediaType(req.headers['content-type']);
    if (media === BATCH_MEDIA_TYPE) {
      sendText(res, 415, 'Unsupported Media Type: CloudEvents batch mode (application/cloudevents-batch+json) is not supported');
      return;
    }
    if (!hasBody(req)) {
      call(req, res, span, ctx, media, undefined, started);
      return;
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > limit) {
      tooLarge(req, res);
      return;
    }
    readBody(req, limit).then(
      (raw) => {
        if (raw === TOO_LARGE) tooLarge(req, res);
        else call(req, res, span, ctx, media, raw, started);
      },
      () => res.destroy(), // the client went away mid-body
    );
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    sendText(res, 413, `Payload Too Large: the body exceeds REQ_MB_LIMIT (${options.REQ_MB_LIMIT} MB)`, true);
    req.resume(); // discard the rest, so the client can read the answer
  }

  function call(req: IncomingMessage, res: ServerResponse, span: Span, ctx: Context, media: string, raw: Buffer | undefined, started: number): void {
    const parsed = parseBody(raw, req.headers['content-type']);
    if (!parsed.ok) {
      sendText(res, parsed.status, parsed.message);
      return;
    }
    const cloudEvent = readCloudEvent(req.headers, media, parsed.data);
    if (cloudEvent.kind === 'invalid') {
      sendText(res, 400, cloudEvent.message);
      return;
    }

    const { request, response } = asExpress(req, res);
    request.body = parsed.data;
    (request as Request & { rawBody?: Buffer }).rawBody = raw;

    const source = cloudEvent.kind === 'cloudevent' ? cloudEvent.attributes.source : undefined;
    const event = buildEvent(cloudEvent, parsed.data, functionTracer, request, response, createSdk(res, source, publisher));
    const fnContext = { ...ctxTemplate };

    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (): number => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      metrics.observe(seconds);
      return seconds;
    };
    const reportFailure = (err: unknown): void => {
      metrics.failed();
      const message = err instanceof Error ? err.message : 'non-Error value thrown';
      if (err instanceof Error) span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      log.error(`function failed (trace_id=${span.spanContext().traceId}): ${describeError(err)}`);
      sendText(res, 500, INTERNAL_ERROR);
    };
    const fail = (err: unknown): void => {
      if (settled) return; // a late rejection after a timeout is discarded
      done();
      reportFailure(err);
    };
    const succeed = (value: unknown): void => {
      if (settled) return; // a late result after a timeout is discarded
      done();
      if (res.headersSent || res.writableEnded) return; // the handler answered itself
      try {
        sendValue(res, value);
      } catch (err) {
        reportFailure(err); // e.g. a value JSON cannot encode
      }
    };

    metrics.called();
    let result: unknown;
    try {
      result = otelContext.with(ctx, handler, undefined, event, fnContext);
    } catch (err) {
      fail(err);
      return;
    }
    if (!isThenable(result)) {
      succeed(result);
      return;
    }
    timer = setTimeout(() => {
      if (settled) return;
      const seconds = done();
      metrics.failed();
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
      log.error(`function timed out after ${seconds.toFixed(3)} s (FUNC_TIMEOUT=${options.FUNC_TIMEOUT}) (trace_id=${span.spanContext().traceId})`);
      sendText(res, 408, REQUEST_TIMEOUT);
    }, timeoutMs);
    result.then(succeed, fail);
  }

  const listener: RequestListener = (req, res) => {
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const method = req.method;
      if (method === 'GET' || method === 'HEAD') {
        if (path === '/healthz') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': OK.length });
          res.end(OK);
          return;
        }
        if (path === '/metrics') {
          const text = metrics.render();
          res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        if (path === '/favicon.ico') {
          res.writeHead(204);
          res.end();
          return;
        }
      } else if (method === 'OPTIONS') {
        sendPreflight(req, res);
        return;
      }
      invoke(req, res, path);
    } catch (err) {
      log.error(`runtime error: ${describeError(err)}`);
      sendText(res, 500, INTERNAL_ERROR);
    }
  };

  return {
    listener,
    serverOptions,
    metrics,
    inFlight: () => active,
    whenIdle: (ms) =>
      active === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), ms);
            idleWaiters.push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
