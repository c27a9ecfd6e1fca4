// rtcheck's Node probe: one function that shows many behaviours, chosen by the request path, so one
// container serves most checks. Its twin is ../../python/main/handler.py; both answer alike.
// Written in the export style Kyma's loader misses (LOAD-PATH): module.exports = { main: async … }.
'use strict';
const http = require('node:http');

/** Paths user code was called with: lets rtcheck prove that a request never reached the function. */
const calls = [];
let inflight = 0;

const CE = ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype'];
const FIELDS = [...CE, 'data', 'tracer', 'extensions'];

function describe(data) {
  if (data === undefined) return { type: 'undefined' };
  if (data === null) return { type: 'null', value: null };
  if (Buffer.isBuffer(data) || data instanceof Uint8Array) return { type: 'bytes', base64: Buffer.from(data).toString('base64') };
  if (Array.isArray(data)) return { type: 'array', value: data };
  return { type: typeof data, value: data };
}

function echo(event, context) {
  const request = event.extensions && event.extensions.request;
  const ce = {};
  for (const key of CE) ce[key] = event[key] === undefined ? null : event[key];
  const ctx = {};
  for (const key of ['function-name', 'timeout', 'runtime', 'namespace', 'body-size-limit', 'memory-limit']) ctx[key] = context[key];
  return {
    data: describe(event.data),
    ce,
    present: FIELDS.filter((key) => key in event),
    tracer: typeof (event.tracer && event.tracer.startSpan),
    context: ctx,
    request: request
      ? {
          method: request.method,
          path: request.path,
          query: request.query,
          header: request.headers && request.headers['x-rtcheck'],
          // The raw bytes as received, and the parsed JSON (Express: req.rawBody and req.body).
          rawBase64: request.rawBody ? Buffer.from(request.rawBody).toString('base64') : null,
          json: request.body === undefined ? null : request.body,
        }
      : null,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function get(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function emit(event) {
  try {
    await event.emitCloudEvent('rtcheck.emitted', '/rtcheck/probe', { n: 1 }, { rtcheckext: 'yes' });
    await event.emitCloudEvent('rtcheck.text', '/rtcheck/probe', 'plain text');
  } catch (error) {
    return { ok: false, error: String(error && error.message ? error.message : error) };
  }
  let refusedRejected = false;
  try {
    await event.emitCloudEvent('rtcheck.refused', '/rtcheck/probe', { n: 2 });
  } catch {
    refusedRejected = true;
  }
  return { ok: true, refusedRejected };
}

module.exports = {
  main: async (event, context) => {
    const request = event.extensions.request;
    // The path without a query string, whatever the runtime put into request.path: a runtime that gets
    // that wrong fails EV-REQUEST, not every check whose route has a query.
    const path = String(request.path || '/').split('?')[0];
    const query = request.query || Object.fromEntries(new URLSearchParams(String(request.path || '').split('?')[1] || ''));
    // rtcheck's evidence shows the log lines of the request it judges: mark where they begin, on both streams.
    const requestId = request.headers && request.headers['x-rtcheck-request'];
    if (requestId) {
      console.log(`[rtcheck-request ${requestId}]`);
      console.error(`[rtcheck-request ${requestId}]`);
    }
    // rtcheck's own questions are answered as text, so that a runtime that renders lists and numbers
    // wrongly fails RES-VALUE alone, not every check that asks them.
    if (path === '/__rtcheck/calls') return JSON.stringify(calls);
    if (path === '/__rtcheck/inflight') return String(inflight);
    // Which container answered: rtcheck gives each one its own RTCHECK_NONCE (an image that ignores
    // FUNC_PORT would otherwise pass with another container's answers).
    if (path === '/__rtcheck/nonce') return String(process.env.RTCHECK_NONCE ?? '');
    calls.push(path);
    if (path.startsWith('/echo')) return echo(event, context);
    switch (path) {
      case '/throw':
        throw new Error('rtcheck probe failure');
      case '/throw-value':
        throw 'rtcheck probe failure (a thrown string)';
      case '/sleep':
        inflight += 1;
        try {
          await sleep(Number(query.ms));
        } finally {
          inflight -= 1;
        }
        return 'slept';
      case '/value/string':
        return 'hello';
      case '/value/escapes':
        // KB-LAUNCH: the source must reach the image unchanged (a shell whose echo expands escapes breaks it).
        return 'tab\\t newline\\n backslash\\\\';
      case '/value/object':
        return { a: 1 };
      case '/value/array':
        return [1, 'two'];
      case '/value/number':
        return 42;
      case '/value/boolean':
        return true;
      case '/value/bytes':
        return Buffer.from([0, 1, 2, 255]);
      case '/value/none':
        return undefined;
      case '/value/async':
        await sleep(10);
        return { async: true };
      case '/value/content-type':
        event.extensions.response.setHeader('Content-Type', 'text/csv');
        return 'a,b';
      case '/custom': {
        const response = event.extensions.response;
        response.statusCode = 201;
        response.setHeader('X-Rtcheck', 'custom');
        response.end('custom body');
        return 'a return value the sent response wins over';
      }
      case '/sdk-response':
        event.setResponseStatus(202);
        event.setResponseHeader('X-Rtcheck', 'sdk');
        event.setResponseContentType('text/x-rtcheck');
        return 'sdk body';
      case '/crash':
        setTimeout(() => {
          throw new Error('rtcheck uncaught exception from a callback');
        }, 0);
        Promise.reject(new Error('rtcheck unhandled rejection'));
        await sleep(50);
        return 'still here';
      case '/dep':
        return require('rtcheck-dep').answer();
      case '/emit':
        return emit(event);
      case '/outgoing':
        if (query.client === 'fetch') return (await fetch(String(query.url), { signal: AbortSignal.timeout(3000) })).text();
        return get(String(query.url), 3000);
      case '/publish':
        await event.publishCloudEvent({ specversion: '1.0', id: 'P-1', type: 'rtcheck.published', source: '/rtcheck/probe', datacontenttype: 'application/json', data: { p: 1 } });
        return 'published';
      case '/build':
        return JSON.parse(JSON.stringify(event.buildResponseCloudEvent('R-1', 'rtcheck.response', { r: 1 })));
      case '/span': {
        const span = event.tracer.startSpan('rtcheck-child');
        span.end();
        return 'span';
      }
      default:
        return 'hello';
    }
  },
};
