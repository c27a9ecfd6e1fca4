// Cold start of the runtime images, from container start to the first successful invocation (not just
// a healthy /healthz), started through the one function container as a platform starts them:
//   entrypoint   the image's own entrypoint, the function in $KUBELESS_INSTALL_VOLUME, restricted profile
//   kyma         Kyma's buildless launch (sh -c SCRIPT, npm install / pip install at start, no dependencies)
//   kyma+3deps   the same with three small dependencies installed at start from a registry on 127.0.0.1
// and, as the floor set by the engine and Node, a bare node:http server in the Node base image.
// Ratios are against the same image's own entrypoint, measured in the same run, rounds interleaved.
// Prints one JSON object (stdout) and a short table (stderr).
// Usage: tsx bench/cold-start.ts [--runs N] [--image IMAGE ...]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectEngine, onInterrupt, removeOwnContainers } from '../src/engine/index.js';
import { readDirectoryEntries } from '../src/image/archive.js';
import { FunctionContainer, type FunctionContainerSpec } from '../src/platform/function-container.js';
import { DEFAULT_PORT, freeLoopbackPort, leaseDefaultPort } from '../src/platform/ports.js';
import { PROJECT_RUNTIMES, runtimeById } from '../src/platform/runtimes.js';
import { type PackageRegistry, startPackageRegistry } from '../src/rtcheck/peers/package-registry.js';

const root = join(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'fixtures', 'cold-start');
const args = process.argv.slice(2);
const flag = (name: string): string[] => args.flatMap((arg, i) => (arg === name && args[i + 1] ? [args[i + 1] as string] : []));
const runs = Number(flag('--runs')[0] ?? 5);
const engine = await connectEngine();
const requested = flag('--image');
const images = requested.length ? requested : (await Promise.all(PROJECT_RUNTIMES.map(async (r) => ((await engine.imageExists(r.project!.devTag)) ? r.project!.devTag : undefined)))).filter((i): i is string => i !== undefined);

type Mode = 'entrypoint' | 'kyma' | 'kyma+3deps';
interface Subject {
  image: string;
  mode: Mode | 'baseline';
  spec: (port: { port: number; viaEnv: boolean }) => Promise<FunctionContainerSpec>;
}

const uninstall = onInterrupt(() => removeOwnContainers(engine));
const registries = new Map<string, PackageRegistry>();

async function subjectsOf(image: string): Promise<Subject[]> {
  const info = await engine.inspectImage(image);
  const runtime = runtimeById(info.env.FUNC_RUNTIME ?? '');
  const family = runtime.family;
  const dir = join(fixtures, family.name);
  const source = await readFile(join(dir, family.kyma.handlerFile), 'utf8');
  const deps = (await readFile(join(dir, family.name === 'nodejs' ? 'dependencies.json' : 'dependencies.txt'), 'utf8')).trim();
  if (!registries.has(family.name)) registries.set(family.name, await startPackageRegistry(family, join(dir, 'packages')));
  const registry = registries.get(family.name)!;
  const kyma = (withDeps: boolean) => (port: { port: number; viaEnv: boolean }): Promise<FunctionContainerSpec> => Promise.resolve({
    image,
    family,
    purpose: 'bench',
    port,
    launch: {
      kind: 'kyma',
      fn: { name: 'bench', namespace: 'bench', runtimeId: runtime.id, source: { kind: 'inline', source, dependencies: withDeps ? deps : '' }, env: [['BENCH_DEPS', withDeps ? '1' : '0']] },
      config: { traceCollectorEndpoint: '', publisherProxyAddress: '' },
      registryConfig: withDeps ? { kind: 'file', content: registry.config } : { kind: 'missing' },
    },
  } satisfies FunctionContainerSpec);
  return [
    {
      image,
      mode: 'entrypoint',
      spec: async (port) => ({
        image,
        family,
        purpose: 'bench',
        port,
        launch: { kind: 'entrypoint', volume: info.env.KUBELESS_INSTALL_VOLUME ?? '/kubeless', sources: await readDirectoryEntries(dir), env: { FUNC_NAME: 'bench' } },
      }),
    },
    { image, mode: 'kyma', spec: kyma(false) },
    { image, mode: 'kyma+3deps', spec: kyma(true) },
  ];
}

/** Start to the first 200 on "/", in ms. Kyma's launch runs on 8080, as the pod does. */
async function once(subject: Subject): Promise<number> {
  const onDefault = subject.mode === 'kyma' || subject.mode === 'kyma+3deps';
  const lease = onDefault ? await leaseDefaultPort(Date.now() + 120_000) : undefined;
  const port = onDefault ? { port: DEFAULT_PORT, viaEnv: false } : { port: await freeLoopbackPort(), viaEnv: true };
  try {
    const started = performance.now();
    const container = await FunctionContainer.start(engine, await subject.spec(port));
    try {
      const deadline = started + 150_000;
      while (performance.now() < deadline) {
        const answer = await container.call({ path: '/', timeoutMs: 1000 });
        if (answer.status === 200) return performance.now() - started;
        if (answer.status === undefined && !(await container.container.inspect()).running) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`${subject.image} (${subject.mode}) served no successful invocation: ${await container.logTail()}`);
    } finally {
      await container.remove();
    }
  } finally {
    await lease?.release();
  }
}

/** The floor: a bare node:http server in the Node base image, its file in the volume. */
function baseline(): Subject {
  const image = process.env.NODE20_BASE_IMAGE ?? 'node:20-bookworm-slim';
  return {
    image,
    mode: 'baseline',
    spec: async (port) => ({
      image,
      family: runtimeById('nodejs20').family,
      purpose: 'bench',
      port,
      launch: {
        kind: 'entrypoint',
        volume: '/kubeless',
        sources: await readDirectoryEntries(join(root, 'test/fixtures/engine/http-server')),
        env: { PORT: String(port.port) },
        user: '1000',
        command: ['node', '/kubeless/server.js'],
      },
    }),
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const results: Record<string, Record<string, { runs_ms: number[]; median_ms: number; ratio_to_entrypoint?: number }>> = {};
try {
  const all = [baseline(), ...(await Promise.all(images.map(subjectsOf))).flat()];
  const times = new Map<Subject, number[]>(all.map((s) => [s, []]));
  for (let round = 0; round < runs; round++) {
    for (const subject of all) times.get(subject)!.push(Math.round(await once(subject)));
    process.stderr.write(`round ${round + 1}/${runs} done\n`);
  }
  for (const subject of all) {
    const t = times.get(subject)!;
    (results[subject.image] ??= {})[subject.mode] = { runs_ms: t, median_ms: median(t) };
  }
  for (const image of images) {
    const own = results[image]!.entrypoint!.median_ms;
    for (const mode of ['kyma', 'kyma+3deps'] as const) results[image]![mode]!.ratio_to_entrypoint = Number((results[image]![mode]!.median_ms / own).toFixed(2));
    const row = results[image]!;
    process.stderr.write(`${image.padEnd(22)} entrypoint ${own} ms | kyma ${row.kyma!.median_ms} ms (${row.kyma!.ratio_to_entrypoint}×) | kyma+3deps ${row['kyma+3deps']!.median_ms} ms (${row['kyma+3deps']!.ratio_to_entrypoint}×)\n`);
  }
} finally {
  uninstall();
  await Promise.all([...registries.values()].map((registry) => registry.close()));
}
console.log(JSON.stringify({ benchmark: 'cold-start', what: 'container start to the first successful invocation; ratios against the same image under its own entrypoint', runs, results }, null, 2));
