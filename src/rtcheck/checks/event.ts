// Section 4, the event object: binary and structured CloudEvents, invalid and batch ones, plain
// requests, the fields every event has, and the request the handler can read.
import { type Case, type Check, type Echo, echoOf, marker, runCases, runCasesUncalled, sameJson, statusIs } from '../check.js';
import type { Exchange, Request } from '../../platform/exchange.js';

const CE_TIME = '2026-11-23T20:15:00.123456789Z';

export const BINARY_REQUEST: Request = {
  method: 'POST',
  path: '/echo',
  headers: {
    'Ce-Specversion': '1.0',
    'CE-Type': 'rtcheck.binary',
    'ce-source': '%2Frtcheck%20source',
    'ce-id': 'B-1',
    'ce-time': CE_TIME,
    'ce-eventtypeversion': 'v1',
    'content-type': 'application/json',
  },
  body: '{"order":42}',
};

/** A case on the probe's echo: `check` gets the echo and returns what is wrong, or undefined. */
const RAW_JSON = '{ "k" :  [1, "two"] }';

function echoCase(name: string, request: Request, check: (echo: Echo) => string | undefined): Case {
  return {
    name,
    request,
    expect: (x: Exchange) => {
      const echo = echoOf(x);
      return echo ? check(echo) : (statusIs(x, 200) ?? 'the probe did not echo the event');
    },
  };
}

function fieldsAre(echo: Echo, expected: Record<string, unknown>): string | undefined {
  const wrong = Object.entries(expected).filter(([key, value]) => echo.ce[key] !== value);
  return wrong.length ? wrong.map(([key, value]) => `${key} was ${JSON.stringify(echo.ce[key])}, expected ${JSON.stringify(value)}`).join('; ') : undefined;
}

function dataIs(echo: Echo, expected: unknown): string | undefined {
  return sameJson(echo.data, expected) ? undefined : `data was ${JSON.stringify(echo.data)}, expected ${JSON.stringify(expected)}`;
}

export const FIELDS = ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype', 'data', 'tracer', 'extensions'];

/** A 4xx answer whose body names `word`. */
function rejects(status: number, word: string): (x: Exchange) => string | undefined {
  return (x) => statusIs(x, status) ?? (x.text.toLowerCase().includes(word) ? undefined : `the reason does not name "${word}"`);
}

export const eventChecks: Check[] = [
  {
    clause: 'EV-BINARY',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          echoCase('binary CloudEvent (mixed-case headers, percent-encoded source)', BINARY_REQUEST, (echo) =>
            fieldsAre(echo, {
              'ce-type': 'rtcheck.binary',
              'ce-source': '/rtcheck source',
              'ce-id': 'B-1',
              'ce-specversion': '1.0',
              'ce-eventtypeversion': 'v1',
              'ce-datacontenttype': 'application/json',
            }) ?? dataIs(echo, { type: 'object', value: { order: 42 } }),
          ),
        ],
        'ce-* from headers (percent-decoded), extensions, datacontenttype from Content-Type, data parsed',
      ),
  },
  {
    clause: 'EV-STRUCTURED',
    placement: 'main',
    run: (ctx) => {
      const attributes = { specversion: '1.0', type: 'rtcheck.structured', source: '/rtcheck', id: 'S-1', eventtypeversion: 'v2' };
      return runCases(
        ctx.subject,
        [
          echoCase(
            'structured CloudEvent with data',
            { method: 'POST', path: '/echo', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify({ ...attributes, datacontenttype: 'application/json', data: { x: 1 } }) },
            (echo) => fieldsAre(echo, { 'ce-type': 'rtcheck.structured', 'ce-source': '/rtcheck', 'ce-id': 'S-1', 'ce-specversion': '1.0', 'ce-eventtypeversion': 'v2' }) ?? dataIs(echo, { type: 'object', value: { x: 1 } }),
          ),
          echoCase(
            'structured CloudEvent with data_base64',
            { method: 'POST', path: '/echo', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ ...attributes, datacontenttype: 'application/octet-stream', data_base64: 'AAEC/w==' }) },
            (echo) => dataIs(echo, { type: 'bytes', base64: 'AAEC/w==' }),
          ),
        ],
        'attributes from the JSON object; data from data, bytes from data_base64',
      );
    },
  },
  {
    clause: 'EV-INVALID',
    placement: 'main',
    run: (ctx) => {
      const paths = [marker('ce-no-id'), marker('ce-old-version'), marker('ce-binary-no-id')];
      return runCasesUncalled(
        ctx.subject,
        [
          {
            name: 'structured CloudEvent without id',
            request: { method: 'POST', path: paths[0]!, headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', type: 't', source: '/s', data: {} }) },
            expect: rejects(400, 'id'),
          },
          {
            name: 'binary CloudEvent with specversion 0.3',
            request: { method: 'POST', path: paths[1]!, headers: { 'ce-specversion': '0.3', 'ce-type': 't', 'ce-source': '/s', 'ce-id': '1', 'content-type': 'text/plain' }, body: 'x' },
            expect: rejects(400, 'specversion'),
          },
          {
            name: 'binary CloudEvent without ce-id',
            request: { method: 'POST', path: paths[2]!, headers: { 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': '/s', 'content-type': 'text/plain' }, body: 'x' },
            expect: rejects(400, 'id'),
          },
        ],
        paths,
        'an invalid CloudEvent',
        '400 naming the missing or wrong attribute; user code not called',
        'validate id, source, specversion (1.0) and type before calling the function; never invent them',
      );
    },
  },
  {
    clause: 'EV-BATCH',
    placement: 'main',
    run: (ctx) => {
      const path = marker('batch');
      return runCasesUncalled(
        ctx.subject,
        [
          {
            name: 'POST application/cloudevents-batch+json',
            request: { method: 'POST', path, headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' },
            expect: (x) => statusIs(x, 415) ?? (x.text.trim() !== '' && !/<html/i.test(x.text) ? undefined : 'expected a plain reason in the body'),
          },
        ],
        [path],
        'a batch',
        '415 with a plain reason; user code not called',
      );
    },
  },
  {
    clause: 'EV-PLAIN',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          echoCase('plain text request', { method: 'POST', path: '/echo', headers: { 'content-type': 'text/plain' }, body: 'just text' }, (echo) => {
            const set = Object.entries(echo.ce).filter(([, value]) => value !== null);
            return set.length ? `a plain request has ${set.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(', ')}` : dataIs(echo, { type: 'string', value: 'just text' });
          }),
        ],
        'no ce-* values on a plain request; data as in HTTP-BODY',
      ),
  },
  {
    clause: 'EV-FIELDS',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          echoCase('binary CloudEvent', BINARY_REQUEST, (echo) => {
            const missing = FIELDS.filter((field) => !echo.present.includes(field));
            if (missing.length) return `the event lacks ${missing.join(', ')}`;
            if (echo.attrData === false) return 'event.data does not work (only event["data"])';
            return undefined;
          }),
        ],
        `the event has ${FIELDS.join(', ')}`,
      ),
  },
  {
    clause: 'EV-TIME',
    placement: 'main',
    run: (ctx) => runCases(ctx.subject, [echoCase('binary CloudEvent with a nanosecond ce-time', BINARY_REQUEST, (echo) => fieldsAre(echo, { 'ce-time': CE_TIME }))], 'ce-time is the string that was sent'),
  },
  {
    clause: 'EV-REQUEST',
    placement: 'main',
    run: (ctx) =>
      runCases(
        ctx.subject,
        [
          echoCase('GET /echo-request?x=1&y=two', { path: '/echo-request?x=1&y=two', headers: { 'x-rtcheck': 'request' } }, (echo) => {
            const request = echo.request;
            if (!request) return 'event.extensions.request is missing';
            if (request.method !== 'GET') return `request.method was ${JSON.stringify(request.method)}`;
            if (request.path !== '/echo-request') return `request.path was ${JSON.stringify(request.path)}, expected "/echo-request"`;
            if (!sameJson(request.query, { x: '1', y: 'two' })) return `request.query was ${JSON.stringify(request.query)}`;
            if (request.header !== 'request') return `request.headers["x-rtcheck"] was ${JSON.stringify(request.header)}`;
            return undefined;
          }),
          // Spacing that parsing would lose proves the raw body is the bytes as sent.
          echoCase('POST /echo-request (raw and parsed JSON body)', { method: 'POST', path: '/echo-request', headers: { 'content-type': 'application/json' }, body: RAW_JSON }, (echo) => {
            const request = echo.request;
            if (!request) return 'event.extensions.request is missing';
            if (request.method !== 'POST') return `request.method was ${JSON.stringify(request.method)}`;
            const raw = typeof request.rawBase64 === 'string' ? Buffer.from(request.rawBase64, 'base64').toString('utf8') : undefined;
            if (raw !== RAW_JSON) return `the raw body was ${JSON.stringify(raw ?? null)}, expected the bytes sent: ${JSON.stringify(RAW_JSON)} (Node: request.rawBody; Python: request.body)`;
            if (!sameJson(request.json, JSON.parse(RAW_JSON))) return `the parsed body was ${JSON.stringify(request.json)} (Node: request.body; Python: request.json)`;
            return undefined;
          }),
        ],
        'extensions.request gives method, path, query, headers, the raw body and the parsed JSON',
      ),
  },
];
