// Section 5: the event SDK against a real publisher-proxy sink on 127.0.0.1 (SDK-EMIT, SDK-PUBLISH,
// SDK-BUILD).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startFixture, type Started } from './helpers';
import { startPublisherSink, type PublisherSink } from './peers/publisher';

interface SdkAnswer {
  ok: boolean;
  error?: string;
  result?: { status: number };
  built?: Record<string, unknown>;
}

let sink: PublisherSink;
let fn: Started;
before(async () => {
  sink = await startPublisherSink();
  fn = await startFixture('sdk', { PUBLISHER_PROXY_ADDRESS: sink.url, PUBLISHER_TIMEOUT: '0.5' });
});
after(async () => {
  await fn.close();
  await sink.close();
});

async function call(s: Started, query: string, headers: Record<string, string> = {}): Promise<SdkAnswer> {
  const res = await rawRequest(s.url, { path: `/?${query}`, headers });
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as SdkAnswer;
}

describe('SDK-EMIT', () => {
  test('SDK-EMIT: emitCloudEvent POSTs one structured CloudEvent to the exact PUBLISHER_PROXY_ADDRESS', async () => {
    sink.status = 204;
    const before = sink.received.length;
    const answer = await call(fn, 'call=emit-object');
    assert.equal(answer.ok, true, answer.error);
    assert.equal(sink.received.length, before + 1);
    const got = sink.received.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/publish', 'no path added');
    assert.match(got.headers['content-type'] ?? '', /^application\/cloudevents\+json/);
    const ce = JSON.parse(got.body) as Record<string, unknown>;
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.type, 'order.created');
    assert.equal(ce.source, 'shop');
    assert.match(String(ce.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(!Number.isNaN(Date.parse(String(ce.time))) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(String(ce.time)), `RFC 3339 time: ${String(ce.time)}`);
    assert.equal(ce.datacontenttype, 'application/json');
    assert.deepEqual(ce.data, { order: 7 });
    assert.equal(ce.myextension, 'ext-value');
  });
  test('SDK-EMIT: a string payload gets datacontenttype text/plain; every event gets a new id', async () => {
    const before = sink.received.length;
    await call(fn, 'call=emit-string');
    await call(fn, 'call=emit-string');
    const [a, b] = sink.received.slice(before).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    assert.equal(a!.datacontenttype, 'text/plain');
    assert.equal(a!.data, 'just text');
    assert.notEqual(a!.id, b!.id);
  });
  test('SDK-EMIT: a non-2xx answer rejects', async () => {
    sink.status = 500;
    try {
      const answer = await call(fn, 'call=emit-object');
      assert.equal(answer.ok, false);
      assert.match(answer.error ?? '', /HTTP 500/);
    } finally {
      sink.status = 204;
    }
  });
  test('SDK-EMIT: no answer within the bounded timeout rejects', async () => {
    sink.delayMs = 3000;
    try {
      const answer = await call(fn, 'call=emit-object');
      assert.equal(answer.ok, false);
      assert.match(answer.error ?? '', /no answer within 500 ms/);
    } finally {
      sink.delayMs = 0;
    }
  });
  test('SDK-EMIT: a network error rejects', async () => {
    const s = await startFixture('sdk', { PUBLISHER_PROXY_ADDRESS: 'http://127.0.0.1:1/unreachable' });
    try {
      const answer = await call(s, 'call=emit-object');
      assert.equal(answer.ok, false);
      assert.match(answer.error ?? '', /cannot publish the CloudEvent to http:\/\/127\.0\.0\.1:1\/unreachable/);
    } finally {
      await s.close();
    }
  });
  test('SDK-EMIT: with no PUBLISHER_PROXY_ADDRESS it rejects with a clear message', async () => {
    const s = await startFixture('sdk');
    try {
      const answer = await call(s, 'call=emit-object');
      assert.equal(answer.ok, false);
      assert.match(answer.error ?? '', /PUBLISHER_PROXY_ADDRESS is not set/);
    } finally {
      await s.close();
    }
  });
});

describe('SDK-PUBLISH', () => {
  test('SDK-PUBLISH: publishCloudEvent POSTs the given structured CloudEvent as is', async () => {
    const before = sink.received.length;
    const answer = await call(fn, 'call=publish');
    assert.equal(answer.ok, true, answer.error);
    const ce = JSON.parse(sink.received[before]!.body) as Record<string, unknown>;
    assert.deepEqual(ce, { specversion: '1.0', id: 'given-id', type: 'given.type', source: 'given-source', data: { x: 1 } });
  });
});

describe('SDK-BUILD', () => {
  test('SDK-BUILD: buildResponseCloudEvent returns a CloudEvent with the incoming source and sends nothing', async () => {
    const before = sink.received.length;
    const answer = await call(fn, 'call=build', { 'ce-specversion': '1.0', 'ce-id': 'in-1', 'ce-type': 'in.type', 'ce-source': 'incoming-source' });
    assert.deepEqual(answer.built, { specversion: '1.0', id: 'resp-1', type: 'resp.type', source: 'incoming-source', data: { y: 2 } });
    assert.equal(sink.received.length, before, 'nothing sent');
  });
});
