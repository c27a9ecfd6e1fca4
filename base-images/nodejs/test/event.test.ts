// Section 4: the event object (EV-FIELDS, EV-BINARY, EV-STRUCTURED, EV-INVALID, EV-BATCH, EV-PLAIN,
// EV-TIME, EV-REQUEST) and section 6: the context object (CTX-FIELDS).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startFixture, type Started } from './helpers';

interface Echo {
  ce: Record<string, unknown>;
  dataKind: string;
  data: unknown;
  keys: string[];
  hasTracer: boolean;
  request: {
    method: string;
    path: string;
    query: Record<string, unknown>;
    header: string | null;
    rawBodyLength: number;
    isExpress: boolean;
    params: Record<string, unknown>;
    localsIsObject: boolean;
    sameResponse: boolean;
  };
  context: Record<string, unknown>;
}

let echo: Started;
before(async () => {
  echo = await startFixture('echo');
});
after(() => echo.close());

async function send(opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; body: string; echo: () => Echo }> {
  const res = await rawRequest(echo.url, { method: 'POST', path: '/', ...opts });
  return { status: res.status, body: res.body, echo: () => JSON.parse(res.body) as Echo };
}

const binaryHeaders = {
  'ce-specversion': '1.0',
  'ce-type': 'order.created',
  'ce-source': '/shop',
  'ce-id': 'A234-1234',
  'ce-time': '2024-01-02T03:04:05.678+01:00',
  'ce-eventtypeversion': 'v1',
};

describe('EV-FIELDS', () => {
  test('EV-FIELDS: the event has every ce-* field, data, tracer and extensions', async () => {
    const e = (await send({ headers: binaryHeaders })).echo();
    for (const key of ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype', 'data', 'tracer', 'extensions']) {
      assert.ok(e.keys.includes(key), `missing ${key}`);
    }
    assert.equal(e.hasTracer, true);
  });
  test('EV-FIELDS: a plain request has the same keys too (with undefined values)', async () => {
    const e = (await send({ method: 'GET' })).echo();
    for (const key of ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype', 'data', 'tracer', 'extensions']) {
      assert.ok(e.keys.includes(key), `missing ${key}`);
    }
  });
});

describe('EV-BINARY', () => {
  test('EV-BINARY: ce-* headers become the ce-* fields, extensions included, data parsed by Content-Type', async () => {
    const e = (
      await send({ headers: { ...binaryHeaders, 'ce-myextension': 'ext%20value', 'content-type': 'application/json' }, body: '{"order":7}' })
    ).echo();
    assert.equal(e.ce['ce-type'], 'order.created');
    assert.equal(e.ce['ce-source'], '/shop');
    assert.equal(e.ce['ce-id'], 'A234-1234');
    assert.equal(e.ce['ce-specversion'], '1.0');
    assert.equal(e.ce['ce-eventtypeversion'], 'v1');
    assert.equal(e.ce['ce-myextension'], 'ext value', 'percent-decoded');
    assert.equal(e.ce['ce-datacontenttype'], 'application/json');
    assert.deepEqual(e.data, { order: 7 });
  });
  test('EV-BINARY: header names in any letter case; ce-type + ce-source without ce-specversion is still binary mode (and then invalid without it)', async () => {
    const mixed = (await send({ headers: { 'CE-SpecVersion': '1.0', 'Ce-Type': 't', 'CE-SOURCE': 's', 'ce-ID': '1', 'content-type': 'text/plain' }, body: 'hi' })).echo();
    assert.equal(mixed.ce['ce-type'], 't');
    assert.equal(mixed.data, 'hi');
    const noVersion = await send({ headers: { 'ce-type': 't', 'ce-source': 's', 'ce-id': '1' } });
    assert.equal(noVersion.status, 400);
    assert.match(noVersion.body, /specversion/);
  });
  test('EV-BINARY: a binary event with a text body and percent-encoded source', async () => {
    const e = (await send({ headers: { ...binaryHeaders, 'ce-source': '%2Fmy%2Fsource', 'content-type': 'text/plain' }, body: 'payload' })).echo();
    assert.equal(e.ce['ce-source'], '/my/source');
    assert.equal(e.data, 'payload');
  });
});

describe('EV-STRUCTURED', () => {
  test('EV-STRUCTURED: attributes from the JSON object, data from data', async () => {
    const ce = { specversion: '1.0', id: 'x1', source: 'src', type: 'typ', time: '2024-05-06T07:08:09Z', datacontenttype: 'application/json', eventtypeversion: 'v2', myext: 'e', data: { deep: [1] } };
    const e = (await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ce) })).echo();
    assert.equal(e.ce['ce-id'], 'x1');
    assert.equal(e.ce['ce-type'], 'typ');
    assert.equal(e.ce['ce-source'], 'src');
    assert.equal(e.ce['ce-specversion'], '1.0');
    assert.equal(e.ce['ce-eventtypeversion'], 'v2');
    assert.equal(e.ce['ce-datacontenttype'], 'application/json');
    assert.equal(e.ce['ce-myext'], 'e');
    assert.deepEqual(e.data, { deep: [1] });
    assert.ok(!('ce-data' in e.ce));
  });
  test('EV-STRUCTURED: data_base64 is decoded to bytes', async () => {
    const ce = { specversion: '1.0', id: 'x2', source: 'src', type: 'typ', datacontenttype: 'application/octet-stream', data_base64: Buffer.from([1, 2, 3]).toString('base64') };
    const e = (await send({ headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(ce) })).echo();
    assert.equal(e.dataKind, 'buffer');
    assert.equal(e.data, Buffer.from([1, 2, 3]).toString('base64'));
  });
});

describe('EV-INVALID', () => {
  test('EV-INVALID: a binary event missing ce-id → 400 naming it; no id is invented; user code not called', async () => {
    const s = await startFixture('echo');
    try {
      const res = await rawRequest(s.url, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': 's' } });
      assert.equal(res.status, 400);
      assert.match(res.body, /missing required attribute ce-id/);
      assert.match(s.runtime.metrics.render(), /^function_calls_total 0$/m);
    } finally {
      await s.close();
    }
  });
  test('EV-INVALID: a structured event missing several attributes → 400 naming all of them', async () => {
    const res = await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', data: 1 }) });
    assert.equal(res.status, 400);
    assert.match(res.body, /missing required attributes id, source, type/);
  });
  test('EV-INVALID: specversion other than 1.0 → 400 naming it', async () => {
    const binary = await send({ headers: { ...binaryHeaders, 'ce-specversion': '0.3' } });
    assert.equal(binary.status, 400);
    assert.match(binary.body, /specversion "0\.3" is not supported/);
    const structured = await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '2.0', id: '1', source: 's', type: 't' }) });
    assert.equal(structured.status, 400);
    assert.match(structured.body, /specversion "2\.0"/);
  });
  test('EV-INVALID: a structured body that is not a JSON object → 400', async () => {
    const res = await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: '[1,2]' });
    assert.equal(res.status, 400);
    assert.match(res.body, /must be a JSON object/);
  });
});

describe('EV-BATCH', () => {
  test('EV-BATCH: application/cloudevents-batch+json → 415 with a plain reason; user code not called', async () => {
    const s = await startFixture('echo');
    try {
      const res = await rawRequest(s.url, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' });
      assert.equal(res.status, 415);
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      assert.match(res.body, /batch/);
      assert.match(s.runtime.metrics.render(), /^function_calls_total 0$/m);
    } finally {
      await s.close();
    }
  });
});

describe('EV-PLAIN', () => {
  test('EV-PLAIN: a request that is not a CloudEvent has no ce-* values; data follows HTTP-BODY', async () => {
    const e = (await send({ headers: { 'content-type': 'application/json', 'ce-type': 'only-type-is-not-enough' }, body: '{"k":"v"}' })).echo();
    for (const key of ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype']) {
      assert.equal(e.ce[key], '<undefined>', key);
    }
    assert.deepEqual(e.data, { k: 'v' });
  });
});

describe('EV-TIME', () => {
  test('EV-TIME: ce-time is the string that was sent, unchanged (binary and structured)', async () => {
    assert.equal((await send({ headers: binaryHeaders })).echo().ce['ce-time'], '2024-01-02T03:04:05.678+01:00');
    const time = '2024-12-31T23:59:59.123456789Z';
    const e = (await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', time }) })).echo();
    assert.equal(e.ce['ce-time'], time);
  });
});

describe('EV-REQUEST', () => {
  test('EV-REQUEST: extensions.request is an Express request with method, path, headers, query and raw body', async () => {
    const e = (await send({ method: 'PUT', path: '/p/q?a=1&b[c]=2', headers: { 'x-probe': 'probe-value', 'content-type': 'text/plain' }, body: 'abc' })).echo();
    assert.equal(e.request.method, 'PUT');
    assert.equal(e.request.path, '/p/q');
    assert.deepEqual(e.request.query, { a: '1', b: { c: '2' } });
    assert.equal(e.request.header, 'probe-value');
    assert.equal(e.request.rawBodyLength, 3);
    assert.equal(e.request.isExpress, true);
    assert.deepEqual(e.request.params, {});
    assert.equal(e.request.localsIsObject, true);
    assert.equal(e.request.sameResponse, true, 'req.res and res.req link the pair, as in express');
  });
});

describe('CTX-FIELDS', () => {
  test('CTX-FIELDS: defaults: timeout 180 and body-size-limit 1 as numbers, no memory-limit, runtime the running Node major', async () => {
    const ctx = (await send({})).echo().context;
    const runtime = `nodejs${process.versions.node.split('.')[0]}`;
    assert.deepEqual(ctx, { 'function-name': '', timeout: 180, runtime, namespace: '', 'body-size-limit': 1 });
  });
  test('CTX-FIELDS: values come from FUNC_NAME, FUNC_TIMEOUT, FUNC_RUNTIME, SERVICE_NAMESPACE, REQ_MB_LIMIT, FUNC_MEMORY_LIMIT', async () => {
    const s = await startFixture('echo', {
      FUNC_NAME: 'orders',
      FUNC_TIMEOUT: '30',
      FUNC_RUNTIME: 'nodejs20',
      SERVICE_NAMESPACE: 'prod',
      REQ_MB_LIMIT: '5',
      FUNC_MEMORY_LIMIT: '128Mi',
    });
    try {
      const ctx = (JSON.parse((await rawRequest(s.url, {})).body) as Echo).context;
      assert.deepEqual(ctx, { 'function-name': 'orders', timeout: 30, runtime: 'nodejs20', namespace: 'prod', 'body-size-limit': 5, 'memory-limit': '128Mi' });
    } finally {
      await s.close();
    }
  });
});
