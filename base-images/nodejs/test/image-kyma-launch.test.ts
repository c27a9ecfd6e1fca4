// The built images under Kyma's buildless launch (contract section 11: KB-LAUNCH, KB-DEPS, KB-TERM),
// emulated on the local engine as the controller's deployment.go (kyma-project/serverless @ 779485d)
// starts a pod: command `sh -c SCRIPT`, user 1000:1000 with group 1000, read-only root, all capabilities
// dropped, no privilege escalation, empty writable /tmp and /usr/src/app/function (the working
// directory), the controller's environment in its order, and package-registry-config/.npmrc mounted
// read-only in the working directory. FUNC_PORT is added so that tests never take 8080.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, waitFor } from './helpers';
import { Containers, NODE_IMAGES, RESTRICTED, skipReason, type Container, type NodeImage } from './images';
import { startHeaderPeer, type HeaderPeer } from './peers/headers';
import { startNpmRegistry, type NpmRegistry } from './peers/npm-registry';
import { SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver } from './peers/otlp';

const WORKING_DIR = '/usr/src/app/function';
const NPMRC = `${WORKING_DIR}/package-registry-config/.npmrc`;

/** SCRIPT, line for line as deployment.go's runtimeCommand() writes it for inline Node sources. */
function kymaScript(withDependencies: boolean): string {
  const sources = ['echo "{}" > package.json;', 'echo "${FUNC_HANDLER_SOURCE}" > handler.js;'];
  if (withDependencies) sources.push('echo "${FUNC_HANDLER_DEPENDENCIES}" > package.json;');
  return [
    'set -e;',
    sources.join('\n'),
    'NPM_CONFIG_USERCONFIG=package-registry-config/.npmrc npm install --prefer-offline --no-audit --progress=false;',
    'cd ..;\nnpm start;',
  ].join('\n');
}

interface Launch {
  source: string;
  dependencies?: string;
  /** The Function's own env (spec.env): after the controller's general variables. */
  env?: Record<string, string>;
  /** docker -v arguments (the package-registry-config mount). */
  mounts?: string[];
}

const containers = new Containers();
let scratch: string;
let receiver: OtlpReceiver;
let headerPeer: HeaderPeer;
let registry: NpmRegistry;

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'rt-kyma-launch-'));
  chmodSync(scratch, 0o755);
  receiver = await startOtlpReceiver();
  headerPeer = await startHeaderPeer();
  registry = await startNpmRegistry(
    [
      { name: 'kb-greeter', version: '1.0.0', files: { 'index.js': 'module.exports = (name) => `hello ${name} from kb-greeter`;\n' } },
      // A broken copy of a library the runtime uses: the function may use it, the runtime must not.
      { name: '@opentelemetry/api', version: '0.0.1-user', files: { 'index.js': 'module.exports = { fake: true, trace: undefined, context: undefined, propagation: undefined };\n' } },
    ],
    'kb-deps-token',
  );
});
after(async () => {
  await containers.removeAll();
  await Promise.all([receiver.close(), headerPeer.close(), registry.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts IMAGE as Kyma's controller would and waits for /healthz (KB-PROBES: 30 × 5 s at most). */
async function launch(image: NodeImage, spec: Launch): Promise<Container> {
  const env: [string, string][] = [
    ['FUNC_NAME', `kb-${image.runtime}`],
    ['FUNC_RUNTIME', image.runtime],
    ['SERVICE_NAMESPACE', 'default'],
    ['TRACE_COLLECTOR_ENDPOINT', ''],
    ['PUBLISHER_PROXY_ADDRESS', ''],
    ...Object.entries(spec.env ?? {}),
    ['FUNC_HANDLER_SOURCE', spec.source],
    ['FUNC_HANDLER_DEPENDENCIES', spec.dependencies ?? ''],
    ['HANDLER_PATH', './function/handler.js'],
  ];
  const container = await containers.start(await freePort(), [
    '--entrypoint', 'sh', '--user', '1000:1000', '--group-add', '1000', ...RESTRICTED,
    '-w', WORKING_DIR, '--tmpfs', `${WORKING_DIR}:uid=1000,gid=1000,mode=0775`,
    ...env.flatMap(([name, value]) => ['-e', `${name}=${value}`]),
    ...(spec.mounts ?? []),
    image.tag, '-c', kymaScript((spec.dependencies ?? '') !== ''),
  ]);
  await container.ready(150_000);
  return container;
}

// A '\n' inside a string literal must reach handler.js unchanged (dash's echo would break the line).
const SLOW_SOURCE = `module.exports = {
  main: async function (event, context) {
    const ms = Number(event.extensions.request.query.ms || 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { runtime: context.runtime, node: process.versions.node, slept: ms, escapes: 'a\\nb'.length };
  },
};`;

const DEPS_SOURCE = `const greet = require('kb-greeter');
const userApi = require('@opentelemetry/api');
module.exports = {
  main: async function (event) {
    const span = event.tracer.startSpan('user-work');
    span.end();
    await fetch(event.extensions.request.query.peer + '?via=fetch').then((r) => r.text());
    return { greeting: greet('kyma'), userApiIsTheirs: userApi.fake === true, traceId: span.spanContext().traceId };
  },
};`;

const calls = async (container: Container): Promise<number> =>
  Number(/^function_calls_total (\d+)$/m.exec(await (await fetch(container.url + '/metrics')).text())?.[1]);

// The majors side by side, each one's tests one after the other.
describe('Kyma buildless launch', { concurrency: true }, () => {
  for (const image of NODE_IMAGES) {
    describe(image.tag, { skip: skipReason(image), concurrency: 1 }, () => {
      test(`KB-LAUNCH, KB-TERM (${image.runtime}): serves FUNC_HANDLER_SOURCE with nothing at package-registry-config/.npmrc; on SIGTERM the in-flight invocation completes and the container exits 0`, async () => {
        const container = await launch(image, { source: SLOW_SOURCE });
        try {
          const first = await fetch(container.url + '/?ms=0');
          assert.equal(first.status, 200, await container.logs());
          const body = (await first.json()) as { runtime: string; node: string; slept: number; escapes: number };
          assert.equal(body.runtime, image.runtime);
          assert.match(body.node, new RegExp(`^${image.major}\\.`));
          assert.equal(body.escapes, 3, 'the source reached handler.js unchanged');
          const inFlight = fetch(container.url + '/?ms=1500').then(async (res) => ({ status: res.status, body: await res.text() }));
          await waitFor('the slow invocation to start', async () => (await calls(container)) === 2);
          // Without the image's PID 1 shell, SIGTERM is lost: docker waits the 20 s and kills (exit 137).
          const { ms, exitCode } = await container.stop(20);
          const answer = await inFlight;
          assert.equal(answer.status, 200, await container.logs());
          assert.match(answer.body, /"slept":1500/);
          assert.equal(exitCode, 0, `exit code after docker stop (${ms.toFixed(0)} ms):\n${await container.logs()}`);
          assert.ok(ms < 10_000, `docker stop took ${ms.toFixed(0)} ms`);
        } finally {
          await container.remove();
        }
      });

      test(`KB-DEPS (${image.runtime}): FUNC_HANDLER_DEPENDENCIES install at start from the registry and token of a read-only package-registry-config/.npmrc and resolve for user code; the function's own @opentelemetry/api does not break the runtime's tracing`, async () => {
        const npmrc = path.join(scratch, `npmrc-${image.major}`);
        writeFileSync(npmrc, registry.npmrc, { mode: 0o644 });
        const container = await launch(image, {
          source: DEPS_SOURCE,
          dependencies: JSON.stringify({ name: 'kb-deps', version: '1.0.0', dependencies: { 'kb-greeter': '1.0.0', '@opentelemetry/api': '0.0.1-user' } }),
          env: { TRACE_COLLECTOR_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' },
          mounts: ['-v', `${npmrc}:${NPMRC}:ro`],
        });
        try {
          const traceId = image.major.padStart(2, '0') + 'e'.repeat(30);
          const res = await fetch(`${container.url}/?peer=${encodeURIComponent(headerPeer.url)}`, { headers: { traceparent: `00-${traceId}-${'f'.repeat(16)}-01` } });
          assert.equal(res.status, 200, await container.logs());
          assert.deepEqual(await res.json(), { greeting: 'hello kyma from kb-greeter', userApiIsTheirs: true, traceId });
          assert.ok(headerPeer.seen.some((s) => String(s.headers.traceparent).startsWith(`00-${traceId}-`)), 'fetch carried the trace');
          await waitFor('the SERVER span', () => receiver.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND_SERVER), 10_000);
          assert.ok(registry.requests.some((r) => r.path === '/kb-greeter/-/kb-greeter-1.0.0.tgz'), JSON.stringify(registry.requests));
          assert.ok(registry.requests.every((r) => r.authorized), 'every request carried the token');
        } finally {
          await container.remove();
        }
      });

      test(`KB-LAUNCH (${image.runtime}): an empty read-only directory at package-registry-config/.npmrc (the optional Secret does not exist) does not stop the start`, async () => {
        const empty = mkdtempSync(path.join(scratch, 'no-secret-'));
        chmodSync(empty, 0o755);
        const container = await launch(image, { source: SLOW_SOURCE, mounts: ['-v', `${empty}:${NPMRC}:ro`] });
        try {
          const res = await fetch(container.url + '/');
          assert.equal(res.status, 200, await container.logs());
        } finally {
          await container.remove();
        }
      });
    });
  }
});
