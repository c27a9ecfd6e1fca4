// Builds the request listener; never listens by itself (main.ts does).
//
// Speed: requests do not go through express's router. A plain node:http listener answers /healthz,
// /metrics, /favicon.ico and OPTIONS directly; every other request is an Invocation (invocation.ts),
// which reads and parses bodies itself. Requests and responses are express objects from birth
// (express-compat.ts: the server is created with `runtime.serverOptions`), so
// `event.extensions.request.query`, `.get()`, `res.status().json()` work without express's per-request
// prototype swap.
import express from 'express';
import type { RequestListener } from 'node:http';
import { contextTemplate } from './context';
import { expressClasses, type ExpressClasses, type ExpressResponse } from './express-compat';
import { refusal } from './http-server';
import { Invocation, type InvocationHost } from './invocation';
import type { LoadedFunction } from './load';
import { describeError, type Log } from './log';
import { METRICS_CONTENT_TYPE, Metrics } from './metrics';
import type { Options } from './options';
import { INTERNAL_ERROR, sendPreflight, sendText } from './respond';
import type { Telemetry } from './telemetry';

export interface RuntimeDeps {
  options: Options;
  fn: Pick<LoadedFunction, 'handler'>;
  telemetry: Pick<Telemetry, 'serverSpans' | 'functionTracer'>;
  log: Log;
  metrics?: Metrics;
}

export interface Runtime {
  listener: RequestListener;
  /** Pass to http.createServer(serverOptions, listener): express-compatible req/res classes. */
  serverOptions: ExpressClasses;
  metrics: Metrics;
  /** Invocations whose user code has started and whose response has not closed yet. */
  inFlight(): number;
  /** Resolves true once nothing is in flight, false if timeoutMs passed first. */
  whenIdle(timeoutMs: number): Promise<boolean>;
  /** From now on every response asks the client to close its connection (LC-TERM). */
  beginShutdown(): void;
}

const OK = Buffer.from('OK');

export function createRuntime(deps: RuntimeDeps): Runtime {
  const { options, fn, telemetry, log } = deps;
  const metrics = deps.metrics ?? new Metrics();

  // Only used for its request/response prototypes and settings; no routes, no middleware.
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended'); // as in Kyma's express 4 runtime: a[b]=1 → { a: { b: '1' } }
  const serverOptions = expressClasses(app);

  let active = 0;
  let shuttingDown = false;
  let idleWaiters: (() => void)[] = [];

  const host: InvocationHost = {
    handler: fn.handler,
    limit: Math.floor(options.REQ_MB_LIMIT * 1024 * 1024),
    limitMb: options.REQ_MB_LIMIT,
    timeoutSeconds: options.FUNC_TIMEOUT,
    context: contextTemplate(options),
    publisher: { address: options.PUBLISHER_PROXY_ADDRESS, timeoutMs: options.PUBLISHER_TIMEOUT * 1000 },
    functionTracer: telemetry.functionTracer,
    serverSpans: telemetry.serverSpans,
    metrics,
    log,
    accessLog: options.KYMA_INTERNAL_LOGGER_ENABLED,
    count(delta) {
      active += delta;
      if (active === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    },
  };

  const listener: RequestListener = (req, res) => {
    try {
      const refused = refusal(req);
      if (refused !== undefined) {
        sendText(res, refused.status, refused.text, true);
        return;
      }
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
      if (shuttingDown) res.setHeader('Connection', 'close');
      new Invocation(host, req, res as ExpressResponse, path).start();
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
