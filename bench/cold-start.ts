// Cold start of the runtime images, from container start to the first successful invocation (not just
// a healthy /healthz), started through the one function container as a platform starts them:
//   entrypoint   the image's own entrypoint, the function in $KUBELESS_INSTALL_VOLUME, restricted profile
//   kyma         Kyma's buildless launch (sh -c SCRIPT, npm install / pip install at start, no dependencies)
//   kyma+3deps   the same with three small dependencies installed at start from a registry on 127.0.0.1
//   kyma+baked   the same three dependencies baked into an override image by `rtbuild --for kyma`
//                (issue 14), launched as Kyma launches it with no registry reachable
// and, as the floor set by the engine and Node, a bare node:http server in the Node base image.
// Ratios are against the same image's own entrypoint, measured in the same run, rounds interleaved.
// Prints one JSON object (stdout) and a short table (stderr).
// Usage: tsx bench/cold-start.ts [--runs N] [--image IMAGE ...]
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
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

type Mode = 'entrypoint' | 'kyma' | 'kyma+3deps' | 'kyma+baked';
const KYMA_MODES = ['kyma', 'kyma+3deps', 'kyma+baked'] as const;
interface Subject {
  image: string;
  mode: Mode | 'baseline';
  spec: (port: { port: number; viaEnv: boolean }) => Promise<FunctionContainerSpec>;
}

const uninstall = onInterrupt(() => removeOwnContainers(engine));
const registries = new Map<string, Promise<PackageRegistry>>();

async function subjectsOf(image: string): Promise<Subject[]> {
  const info = await engine.inspectImage(image);
  const runtime = runtimeById(info.env.FUNC_RUNTIME ?? '');
  const family = runtime.family;
  const dir = join(fixtures, family.name);
  const source = await readFile(join(dir, family.kyma.handlerFile), 'utf8');
  const deps = (await readFile(join(dir, family.name === 'nodejs' ? 'dependencies.json' : 'dependencies.txt'), 'utf8')).trim();
  // The promise goes in the map at once: the images are set up concurrently, and the Node majors share one.
  if (!registries.has(family.name)) registries.set(family.name, startPackageRegistry(family, join(dir, 'packages')));
  const registry = await registries.get(family.name)!;
  const kyma = (withDeps: boolean, launched = image, useDeps = withDeps) => (port: { port: number; viaEnv: boolean }): Promise<FunctionContainerSpec> => Promise.resolve({
    image: launched,
    family,
    purpose: 'bench',
    port,
    launch: {
      kind: 'kyma',
      fn: { name: 'bench', namespace: 'bench', runtimeId: runtime.id, source: { kind: 'inline', source, dependencies: withDeps ? deps : '' }, env: [['BENCH_DEPS', useDeps ? '1' : '0']] },
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
    { image, mode: 'kyma+baked', spec: kyma(false, await bakedImage(image, runtime.id, family.name, source, deps, registry), true) },
  ];
}

/**
 * The override image of issue 14: the bench function and its three dependencies, built by
 * `rtbuild --for kyma` on `image` with the registry's credentials as a build secret. Launched like the
 * others, with the inline source only: the Function resource rtbuild writes has no dependencies.
 */
async function bakedImage(image: string, runtimeId: string, familyName: string, source: string, deps: string, registry: PackageRegistry): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'rt-bench-baked-'));
  try {
    const folder = join(work, 'function');
    const nodejs = familyName === 'nodejs';
    await writeFile(join(work, 'registry.conf'), registry.config);
    await mkdir(folder);
    await writeFile(join(folder, nodejs ? 'handler.js' : 'handler.py'), source);
    await writeFile(join(folder, nodejs ? 'package.json' : 'requirements.txt'), `${deps}\n`);
    const tag = `rt-bench/baked-${runtimeId}:latest`;
    // --network host: the dependency step reaches the registry on 127.0.0.1.
    const args = ['--for', 'kyma', '--base-image', image, '--source', folder, '--tag', tag, '--network', 'host', nodejs ? '--npmrc' : '--pip-conf', join(work, 'registry.conf')];
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'rtbuild.ts'), ...args], { cwd: root }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`rtbuild ${args.join(' ')} failed:\n${error.stderr ?? error.message}`);
    });
    return tag;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Start to the first 200 on "/", in ms. Kyma's launch runs on 8080, as the pod does. */
async function once(subject: Subject): Promise<number> {
  const onDefault = (KYMA_MODES as readonly string[]).includes(subject.mode);
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

const results: Record<string, Record<string, { runs_ms: number[]; median_ms: number; ratio_to_entrypoint?: number; ratio_to_baked?: number }>> = {};
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
    for (const mode of KYMA_MODES) results[image]![mode]!.ratio_to_entrypoint = Number((results[image]![mode]!.median_ms / own).toFixed(2));
    const row = results[image]!;
    // Issue 14: what baking the dependencies saves on every cold start.
    row['kyma+3deps']!.ratio_to_baked = Number((row['kyma+3deps']!.median_ms / row['kyma+baked']!.median_ms).toFixed(2));
    process.stderr.write(`${image.padEnd(22)} entrypoint ${own} ms | kyma ${row.kyma!.median_ms} ms (${row.kyma!.ratio_to_entrypoint}×) | kyma+3deps ${row['kyma+3deps']!.median_ms} ms (${row['kyma+3deps']!.ratio_to_entrypoint}×) | kyma+baked ${row['kyma+baked']!.median_ms} ms (${row['kyma+baked']!.ratio_to_entrypoint}×); install at start ÷ baked ${row['kyma+3deps']!.ratio_to_baked}×\n`);
  }
} finally {
  uninstall();
  await Promise.all([...registries.values()].map(async (registry) => (await registry).close()));
}
console.log(JSON.stringify({ benchmark: 'cold-start', what: 'container start to the first successful invocation; ratios against the same image under its own entrypoint', runs, results }, null, 2));
