// Section 9 and the process-level parts of section 7, against the real process (the bundled entry point):
// LC-TERM, LC-LOG, RES-CRASHSAFE.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { childRuntimes, rawRequest, waitFor, type Child } from './helpers';
import { SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver } from './peers/otlp';

let receiver: OtlpReceiver;
const runtimes = childRuntimes();
const start = runtimes.start;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  runtimes.killAll();
  await receiver.close();
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const calls = async (child: Child): Promise<number> =>
  Number(/^function_calls_total (\d+)$/m.exec((await rawRequest(child.url, { path: '/metrics' })).body)?.[1]);

describe('LC-TERM', () => {
  test('LC-TERM: on SIGTERM the server stops accepting, lets the in-flight invocation finish, flushes spans and exits 0', async () => {
    // A long batch delay: the span can only reach the collector through the shutdown flush.
    const child = await start('slow', { FUNC_TIMEOUT: '20', TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '600000' });
    const inFlight = rawRequest(child.url, { path: '/?ms=1500' });
    await waitFor('the invocation to start', async () => (await calls(child)) === 1);
    child.process.kill('SIGTERM');
    await waitFor('new connections to be refused', async () => !(await canConnect(child.port)));
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'slept 1500 ms');
    const { code } = await child.exited;
    assert.equal(code, 0);
    assert.ok(receiver.spans.some((s) => s.kind === SPAN_KIND_SERVER && s.attributes['url.path'] === '/'), 'the span was flushed');
  });
  test('LC-TERM: an in-flight invocation is waited for at most FUNC_TIMEOUT', async () => {
    const child = await start('slow', { FUNC_TIMEOUT: '0.5' });
    const inFlight = rawRequest(child.url, { path: '/?ms=60000' });
    await waitFor('the invocation to start', async () => (await calls(child)) === 1);
    child.process.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 408);
    const { code, afterMs } = await child.exited;
    assert.equal(code, 0);
    assert.ok(afterMs < 30000, `exited after ${afterMs} ms`);
  });
  test('LC-TERM: a client stalled mid-body is not an invocation in flight: SIGTERM does not wait FUNC_TIMEOUT for it (issue 15 #4)', async () => {
    const child = await start('slow', { FUNC_TIMEOUT: '60' });
    const stalled = net.connect(child.port, '127.0.0.1');
    stalled.on('error', () => undefined);
    let received = '';
    stalled.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    // Expect: 100-continue makes the server say when the request has reached the runtime's listener.
    stalled.write('POST /?ms=0 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n');
    await waitFor('100 Continue', () => received.startsWith('HTTP/1.1 100 Continue'));
    stalled.write('abc'); // and never the other 97 bytes
    child.process.kill('SIGTERM');
    // Before the fix the process waited FUNC_TIMEOUT (60 s) for "1 invocation(s) in flight".
    const exited = await Promise.race([child.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000).unref())]);
    stalled.destroy();
    assert.ok(exited !== undefined, `still running 20 s after SIGTERM; stdout: ${child.stdout()}`);
    assert.equal(exited.code, 0);
    assert.match(child.stdout(), /SIGTERM: stopping; 0 invocation\(s\) in flight/);
  });
  test('LC-TERM: an idle server exits 0 promptly on SIGTERM', async () => {
    const child = await start('cjs-module-exports');
    assert.equal((await rawRequest(child.url, { path: '/' })).status, 200);
    child.process.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });
});

describe('LC-LOG', () => {
  test('LC-LOG: one start-up line with runtime, version, handler path and load time', async () => {
    const child = await start('cjs-module-exports');
    const lines = child.stdout().trim().split('\n');
    assert.equal(lines.length, 1, child.stdout());
    const major = process.versions.node.split('.')[0]!;
    assert.match(lines[0]!, new RegExp(`^nodejs${major} runtime \\d+\\.\\d+\\.\\d+ \\(node v${major}\\.\\d+\\.\\d+\\): loaded`));
    assert.match(lines[0]!, /: loaded 'main' from \/.+\/cjs-module-exports\/handler\.js in \d+\.\d ms/);
    assert.equal(child.stderr(), '');
  });
  test('LC-LOG: an access log line per request when KYMA_INTERNAL_LOGGER_ENABLED is true, none otherwise', async () => {
    const logged = await start('cjs-module-exports', { KYMA_INTERNAL_LOGGER_ENABLED: 'true' });
    await rawRequest(logged.url, { path: '/hello?x=1', headers: { 'user-agent': 'lc-log-test' } });
    await waitFor('the access log line', () => /"GET \/hello\?x=1 HTTP\/1\.1" 200 \d+ "-" "lc-log-test"/.test(logged.stdout()));
    const quiet = await start('cjs-module-exports');
    await rawRequest(quiet.url, { path: '/hello' });
    const barrier = await rawRequest(quiet.url, { path: '/healthz' }); // the access log is written before the response closes
    assert.equal(barrier.status, 200);
    assert.doesNotMatch(quiet.stdout(), /GET \/hello/);
  });
  test('LC-LOG: errors go to stderr, not stdout', async () => {
    const child = await start('throws');
    assert.equal((await rawRequest(child.url, { path: '/?how=async' })).status, 500);
    await waitFor('the error on stderr', () => /function failed \(trace_id=[0-9a-f]{32}\): Error: async failure/.test(child.stderr()));
    assert.doesNotMatch(child.stdout(), /failure/);
  });
});

describe('RES-CRASHSAFE', () => {
  test('RES-CRASHSAFE: an exception thrown from a user callback is logged and does not kill the server', async () => {
    const child = await start('crash');
    assert.equal((await rawRequest(child.url, { path: '/?what=exception' })).status, 200);
    await waitFor('the uncaught exception on stderr', () => /uncaught exception .*thrown from a user timer/.test(child.stderr()));
    assert.equal((await rawRequest(child.url, { path: '/healthz' })).status, 200);
    assert.equal((await rawRequest(child.url, { path: '/?what=nothing' })).status, 200);
    assert.equal(child.process.exitCode, null);
  });
  test('RES-CRASHSAFE: an unhandled rejection is logged and does not kill the server', async () => {
    const child = await start('crash');
    assert.equal((await rawRequest(child.url, { path: '/?what=rejection' })).status, 200);
    await waitFor('the unhandled rejection on stderr', () => /unhandled promise rejection .*rejected and never handled/.test(child.stderr()));
    assert.equal((await rawRequest(child.url, { path: '/healthz' })).status, 200);
    assert.equal((await rawRequest(child.url, { path: '/?what=nothing' })).status, 200);
    assert.equal(child.process.exitCode, null);
  });
});
