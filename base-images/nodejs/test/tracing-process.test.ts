// Section 8, the cases that need the real process (the bundled entry point): TR-NOBLOCK, service.name from the
// environment (TR-EXPORT), nothing exported without TRACE_COLLECTOR_ENDPOINT, and TR-PROPAGATE through
// the shipped bundle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { childRuntimes, freePort, rawRequest, waitFor, type Child } from './helpers';
import { startHeaderPeer } from './peers/headers';
import { SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver } from './peers/otlp';

let receiver: OtlpReceiver;
const runtimes = childRuntimes();
const start = (env: Record<string, string>): Promise<Child> => runtimes.start('tracing', env);
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  runtimes.killAll();
  await receiver.close();
});

async function stop(child: Child): Promise<number | null> {
  child.process.kill('SIGTERM');
  return (await child.exited).code;
}

/** Invokes `count` times; every invocation must succeed, each well within the bound. */
async function invokeQuickly(child: Child, count: number): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await rawRequest(child.url, { path: '/' });
    slowest = Math.max(slowest, performance.now() - t0);
    assert.equal(res.status, 200);
  }
  return slowest;
}

const exportErrorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /trace export/.test(l));

describe('TR-NOBLOCK', () => {
  test('TR-NOBLOCK: a dead collector never delays or fails an invocation, and is reported at most once', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1/traces`;
    const child = await start({ TRACE_COLLECTOR_ENDPOINT: dead, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_EXPORTER_OTLP_TIMEOUT: '300' });
    const slowest = await invokeQuickly(child, 20);
    assert.ok(slowest < 1000, `slowest invocation took ${slowest} ms`);
    await waitFor('the export failure to be reported', () => exportErrorLines(child.stderr()).length > 0);
    assert.ok((await invokeQuickly(child, 20)) < 1000);
    assert.equal(await stop(child), 0);
    assert.equal(exportErrorLines(child.stderr()).length, 1, child.stderr());
  });
  test('TR-NOBLOCK: a slow collector never delays an invocation', async () => {
    receiver.delayMs = 5000;
    try {
      const child = await start({ TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_EXPORTER_OTLP_TIMEOUT: '300' });
      const before = receiver.requests;
      const slowest = await invokeQuickly(child, 30);
      assert.ok(slowest < 1000, `slowest invocation took ${slowest} ms`);
      await waitFor('an export attempt to reach the slow collector', () => receiver.requests > before);
      assert.ok((await invokeQuickly(child, 10)) < 1000);
      assert.equal(await stop(child), 0);
      assert.ok(exportErrorLines(child.stderr()).length <= 1, child.stderr());
    } finally {
      receiver.delayMs = 0;
    }
  });
  test('TR-NOBLOCK: with no TRACE_COLLECTOR_ENDPOINT nothing is exported (not even to the standard OTEL_EXPORTER_OTLP_* endpoints)', async () => {
    const before = receiver.requests;
    const child = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace('/v1/traces', ''), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url });
    await invokeQuickly(child, 5);
    assert.equal(await stop(child), 0, 'the shutdown flush ran');
    assert.equal(receiver.requests, before);
    assert.match(child.stdout(), /tracing not exported/);
  });
});

describe('TR-EXPORT (environment)', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['FUNC_NAME', { FUNC_NAME: 'fn-name' }, 'fn-name'],
    ['OTEL_SERVICE_NAME', { FUNC_NAME: 'fn-name', OTEL_SERVICE_NAME: 'svc-from-env' }, 'svc-from-env'],
    ['OTEL_RESOURCE_ATTRIBUTES', { FUNC_NAME: 'fn-name', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,service.name=svc-from-attrs' }, 'svc-from-attrs'],
  ];
  for (const [what, env, expected] of cases) {
    test(`TR-EXPORT: service.name from ${what} in the running process`, async () => {
      const child = await start({ TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', ...env });
      const { traceId } = JSON.parse((await rawRequest(child.url, { path: '/' })).body) as { traceId: string };
      const span = await waitFor('the SERVER span', () => receiver.spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND_SERVER));
      assert.equal(span.serviceName, expected);
      assert.equal(await stop(child), 0);
    });
  }
});

describe('TR-PROPAGATE (process)', () => {
  test('TR-PROPAGATE: the shipped entry point injects the incoming trace into outgoing http and fetch calls', async () => {
    const peer = await startHeaderPeer();
    try {
      const child = await start({});
      const traceId = 'a'.repeat(31) + '1';
      const res = await rawRequest(child.url, {
        path: `/?peer=${encodeURIComponent(peer.url)}`,
        headers: { traceparent: `00-${traceId}-${'b'.repeat(16)}-01`, baggage: 'tenant=acme' },
      });
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(peer.seen.map((s) => s.via).sort(), ['fetch', 'http']);
      for (const { via, headers } of peer.seen) {
        assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), via);
        assert.equal(headers['x-b3-traceid'], traceId, via);
        assert.equal(headers.baggage, 'tenant=acme', via);
      }
      assert.equal(await stop(child), 0);
    } finally {
      await peer.close();
    }
  });
});

