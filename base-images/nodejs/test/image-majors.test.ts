// The built images, one per Node major, started by their own entrypoint with a fixture function mounted
// read-only at /kubeless (where the platform mounts a volume): what a Node major can change (issue 13).
// The other suites run on the host's Node only; this one runs the server on Node 20, 22 and 24:
// module loading (LOAD-PATH, LOAD-DEPS), fetch and http propagation and span export through the
// OpenTelemetry packages of package.json (TR-PROPAGATE, TR-EXPORT), fetch with an AbortSignal, and
// IMG-RUNTIME. Skipped, saying why, without an engine or without the images (`make base-images`).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fixture, freePort, waitFor } from './helpers';
import { Containers, NODE_IMAGES, RESTRICTED, docker, skipReason, type Container, type NodeImage } from './images';
import { startHeaderPeer, type HeaderPeer } from './peers/headers';
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver } from './peers/otlp';

const containers = new Containers();
let receiver: OtlpReceiver;
let headerPeer: HeaderPeer;
/** A server that never answers: a fetch to it ends only by its AbortSignal. */
let silent: { url: string; close(): Promise<void> };

before(async () => {
  receiver = await startOtlpReceiver();
  headerPeer = await startHeaderPeer();
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  silent = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/silent`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
});
after(async () => {
  await containers.removeAll();
  await Promise.all([receiver.close(), headerPeer.close(), silent.close()]);
});

/** Starts IMAGE with its own entrypoint, user 1000, restricted, the fixture at /kubeless; waits until ready. */
async function serve(image: NodeImage, name: string, env: Record<string, string> = {}): Promise<Container> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const container = await containers.start(await freePort(), [...RESTRICTED, '--user', '1000', '-v', `${fixture(name)}:/kubeless:ro`, ...envArgs, image.tag]);
  await container.ready();
  return container;
}

async function invokeText(image: NodeImage, name: string): Promise<string> {
  const container = await serve(image, name);
  try {
    const res = await fetch(container.url + '/');
    const body = await res.text();
    assert.equal(res.status, 200, `${body}\n${await container.logs()}`);
    return body;
  } finally {
    await container.remove();
  }
}

const LOAD_CASES: [string, string, string][] = [
  ['module.exports = { main }', 'cjs-module-exports', 'cjs-module-exports'],
  ['handler.cjs', 'cjs-ext', 'cjs-ext'],
  ['handler.mjs', 'esm-mjs', 'esm-mjs'],
  ['export default { main } under "type": "module"', 'export-default', 'export-default'],
  ['ESM syntax in a .js under a package.json without "type" (as Kyma writes it)', 'esm-syntax-typeless', 'esm-syntax-typeless function'],
  ['ESM syntax with a top-level await in a .js without "type"', 'esm-syntax-top-level-await', 'esm-syntax-top-level-await'],
  ['require() of an ES module from CommonJS', 'require-esm', 'require-esm'],
];

// The majors side by side, each one's tests one after the other.
describe('Node images', { concurrency: true }, () => {
  for (const image of NODE_IMAGES) {
    describe(image.tag, { skip: skipReason(image), concurrency: 1 }, () => {
      test(`IMG-RUNTIME: ${image.tag} runs Node ${image.major}, sets FUNC_RUNTIME=${image.runtime} and says so at start-up`, async () => {
        const env = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config.Env}}', image.tag)) as string[];
        assert.ok(env.includes(`FUNC_RUNTIME=${image.runtime}`), env.join(' '));
        const container = await serve(image, 'echo');
        try {
          const ctx = ((await (await fetch(container.url + '/')).json()) as { context: { runtime: string } }).context;
          assert.equal(ctx.runtime, image.runtime);
          // LC-LOG: runtime id, the runtime package's version (found under its one name for every major), node version.
          assert.match(await container.logs(), new RegExp(`^${image.runtime} runtime \\d+\\.\\d+\\.\\d+ \\(node v${image.major}\\.\\d+\\.\\d+\\): loaded`, 'm'));
        } finally {
          await container.remove();
        }
      });

      test(`IMG-VOLUME (${image.runtime}): the own entrypoint serves a function copied into a volume at /kubeless before the start`, async () => {
        const container = await containers.start(
          await freePort(),
          [...RESTRICTED, '--user', '1000', '-v', '/kubeless', image.tag],
          (id) => docker('cp', `${fixture('cjs-module-exports')}/handler.js`, `${id}:/kubeless/handler.js`).then(() => undefined),
        );
        try {
          await container.ready();
          assert.equal(await (await fetch(container.url + '/')).text(), 'cjs-module-exports');
          const { exitCode } = await container.stop(20);
          assert.equal(exitCode, 0, 'LC-TERM: node is PID 1 and exits 0 on SIGTERM');
        } finally {
          await container.remove();
        }
      });

      for (const [what, name, expected] of LOAD_CASES) {
        test(`LOAD-PATH (${image.runtime}): ${what}`, async () => {
          assert.equal(await invokeText(image, name), expected);
        });
      }

      test(`LOAD-DEPS (${image.runtime}): the function's node_modules resolve for it, and its own @opentelemetry/api does not replace the runtime's`, async () => {
        const body = JSON.parse(await invokeText(image, 'with-node-modules')) as { greeting: string; userOtel: boolean; tracerWorks: boolean };
        assert.deepEqual(body, { greeting: 'hello kyma from tiny-greeter', userOtel: true, tracerWorks: true });
      });

      test(`TR-PROPAGATE, TR-EXPORT (${image.runtime}): http and fetch carry the incoming trace, and the spans are exported`, async () => {
        const container = await serve(image, 'tracing', { TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', FUNC_NAME: `traced-${image.runtime}` });
        try {
          const traceId = image.major.padStart(2, '0') + 'c'.repeat(30);
          const res = await fetch(`${container.url}/?peer=${encodeURIComponent(headerPeer.url)}`, {
            headers: { traceparent: `00-${traceId}-${'d'.repeat(16)}-01`, baggage: `major=${image.major}` },
          });
          assert.equal(res.status, 200, await container.logs());
          const seen = headerPeer.seen.filter((s) => String(s.headers.traceparent).includes(traceId));
          assert.deepEqual(seen.map((s) => s.via).sort(), ['fetch', 'http']);
          for (const { via, headers } of seen) {
            assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), via);
            assert.equal(headers['x-b3-traceid'], traceId, via);
            assert.equal(headers.baggage, `major=${image.major}`, via);
          }
          const spans = await waitFor('the SERVER, CLIENT and user spans', () => {
            const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
            return inTrace.filter((s) => s.kind === SPAN_KIND_CLIENT).length >= 2 && inTrace.some((s) => s.kind === SPAN_KIND_SERVER) && inTrace.some((s) => s.name === 'user-work') && inTrace;
          }, 10_000);
          assert.ok(spans.every((s) => s.serviceName === `traced-${image.runtime}`));
          const server = spans.find((s) => s.kind === SPAN_KIND_SERVER)!;
          assert.equal(server.parentSpanId, 'd'.repeat(16));
          assert.equal(spans.find((s) => s.name === 'user-work')?.parentSpanId, server.spanId);
        } finally {
          await container.remove();
        }
      });

      test(`TR-PROPAGATE (${image.runtime}): fetch under the instrumentation still ends by its AbortSignal (timeout, abort, any, already aborted)`, async () => {
        const container = await serve(image, 'abort-signal');
        try {
          const res = await fetch(`${container.url}/?peer=${encodeURIComponent(silent.url)}`);
          assert.equal(res.status, 200, await container.logs());
          assert.deepEqual(await res.json(), { timeout: 'TimeoutError', abort: 'AbortError', any: 'TimeoutError', aborted: 'AbortError' });
          assert.doesNotMatch(await container.logs(), /unhandled|uncaught/i);
        } finally {
          await container.remove();
        }
      });
    });
  }
});
