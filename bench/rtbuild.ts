// rtbuild against a plain `docker build` of a hand-written Dockerfile (the structure of Kyma's legacy
// function template), side by side in one run, on the same base image, the same Function (one npm
// dependency from a registry on 127.0.0.1) and the same engine:
//   full build: no cache, each;   rebuild: after a change to the handler only, cache on, each.
// Eight contestants:
//   rtbuild           as users run it: the engine's BuildKit, and after a handler edit the fast path
//                     (the source layer appended without a build, `docker load`: issue 16);
//   rtbuild_no_fast_path  rtbuild --no-fast-path: every rebuild a BuildKit build;
//   rtbuild_kyma      rtbuild --for kyma: the override image for Kyma's buildless launch (dependencies
//                     only; the handler goes into the Function resource, so a handler edit rebuilds
//                     nothing but the manifest);
//   rtbuild_classic   rtbuild --builder classic (the engine's legacy builder);
//   docker_build      `docker build` of the Kyma-structured Dockerfile: on this machine the docker CLI
//                     has no buildx, so this is the legacy builder: the baseline of the target;
//   docker_buildkit   the same Dockerfile and context sent straight to the engine's BuildKit
//                     (tar | curl POST /build?version=2): what `docker build` does where buildx exists;
//   rtbuild_push, docker_buildkit_push   the same two, each followed by the push of the image to the
//                     registry on 127.0.0.1:5000 (rtbuild --push; BuildKit's build, then `docker push`):
//                     the loop of a Kyma user, whose cluster pulls the image from a registry. After a
//                     handler edit rtbuild sends the new layer, the config and a manifest to the registry
//                     itself (registry-direct.ts); `docker push` asks the registry about every layer.
// And for the rebuild, rtbuild --watch: one process started before the rounds on a copy of the Function;
// each round edits its handler and times the edit until the watching rtbuild prints the new image (its
// --json line): the edit–rebuild loop without node's start and the CLI's loading.
// Wall-clock time of each command, as a user waits for it; rtbuild's own --json timings split its
// time into start (node's start, loading the CLI: process start to the command), validate (sources,
// plan), build (the engine's build, or the fast path's layer and load), publish (tagging) and the rest
// (config, loading the builder, exit). `node -e 0` is timed too: the floor of any Node CLI.
// rtbuild gets a cache folder of its own: the first fast path of the run reads the base image's config
// once (docker save of the whole image); that rebuild is reported apart, the medians are over all rounds.
// Prints one JSON object with the ratios.
// rtbuild runs as users run it: the command bin/rtbuild (its launcher, which starts node without
// NODE_EXTRA_CA_CERTS: src/extra-ca-certs.ts), with the Node of --node first on PATH.
// Usage: tsx bench/rtbuild.ts [--rounds N] [--base-image REF] [--cli bin/rtbuild] [--node PATH]
//                            [--registry HOST:PORT (default 127.0.0.1:5000)]
import { execFile, spawn } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startNpmRegistry } from '../test/support/package-registries.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(flag('--rounds') ?? 5);
const base = flag('--base-image') ?? 'rt/nodejs20:dev';
const cli = flag('--cli') ?? join(root, 'bin', 'rtbuild');
// The Node that runs rtbuild (and `node -e 0`): this one by default; --node another. Node 20 starts in
// 85–95 ms here, 60 ms of it parsing the CA bundle that NODE_EXTRA_CA_CERTS names (set on these
// machines) before the first line runs, which rtbuild's launcher spares it; Node 22 and 24 start in
// 30–40 ms either way.
const nodeBinary = flag('--node') ?? process.execPath;
/** The environment of every command: the Node of --node first on PATH, for the launcher. */
const benchEnv: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(nodeBinary)}:${process.env.PATH ?? ''}` };
/** The environment node gets from rtbuild's launcher: without NODE_EXTRA_CA_CERTS (bin/rtbuild). */
const launchedEnv = (({ NODE_EXTRA_CA_CERTS: _dropped, ...rest }) => rest)(benchEnv);
const socket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const baselineDockerfile = join(root, 'bench', 'fixtures', 'kyma-legacy-nodejs');

const work = await mkdtemp(join(tmpdir(), 'rt-bench-rtbuild-'));
const fn = join(work, 'fn');
const cacheDir = join(work, 'cache');
// rtbuild_push has a cache of its own, as a user pushing that Function has: a rebuild goes straight to
// the registry only when the tag there was built on the dependency layer the cache holds, and the
// other contestants' --no-cache builds would each replace that layer (then the engine pushes the image).
const pushCacheDir = join(work, 'cache-push');
await cp(join(root, 'test', 'fixtures', 'rtbuild', 'node-deps'), fn, { recursive: true });
const registry = await startNpmRegistry();
const fnWatch = join(work, 'fn-watch');
await cp(join(root, 'test', 'fixtures', 'rtbuild', 'node-deps'), fnWatch, { recursive: true });
const watchTag = `rt-bench/rtbuild-watch:${process.pid}`;
/** The registry `make registry` starts: the push contestants' images go there. */
const pushRegistry = flag('--registry') ?? '127.0.0.1:5000';
const tags = {
  rtbuild: `rt-bench/rtbuild:${process.pid}`,
  rtbuild_no_fast_path: `rt-bench/rtbuild-no-fast-path:${process.pid}`,
  rtbuild_kyma: `rt-bench/rtbuild-kyma:${process.pid}`,
  rtbuild_classic: `rt-bench/rtbuild-classic:${process.pid}`,
  docker_build: `rt-bench/docker:${process.pid}`,
  docker_buildkit: `rt-bench/docker-buildkit:${process.pid}`,
  rtbuild_push: `${pushRegistry}/rt-bench/rtbuild-push:${process.pid}`,
  docker_buildkit_push: `${pushRegistry}/rt-bench/docker-buildkit-push:${process.pid}`,
};
type Contestant = keyof typeof tags;
/** Every image the run made: a rebuild leaves the one before it untagged, and the run removes them all. */
const made = new Set<string>();
const contestants = Object.keys(tags) as Contestant[];

async function timed(command: string, commandArgs: string[], cache = cacheDir, env: NodeJS.ProcessEnv = benchEnv): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await run(command, commandArgs, { cwd: root, env: { ...env, DOCKER_BUILDKIT: '0', RTBUILD_CACHE_DIR: cache }, maxBuffer: 64 * 1024 * 1024 });
  return { ms: performance.now() - started, stdout };
}

interface Timings {
  start: number;
  validate: number;
  build: number;
  push: number;
  total: number;
}
/** rtbuild's own split of a run (its --json timings) and the rest of the wall-clock time. */
const split: Record<string, Record<'start' | 'validate' | 'build' | 'publish' | 'other', number[]>> = {};
const paths: Record<string, string[]> = {};
/** The first fast-path rebuild of each kind: it reads the base image's config (once per base image). */
const firstFastPath: Record<string, number> = {};
async function rtbuild(builder: 'buildkit' | 'classic', noCache: boolean, target: 'function' | 'kyma' = 'function', fastPath = true, push = false): Promise<{ ms: number }> {
  const tag = push ? tags.rtbuild_push : target === 'kyma' ? tags.rtbuild_kyma : builder === 'classic' ? tags.rtbuild_classic : fastPath ? tags.rtbuild : tags.rtbuild_no_fast_path;
  const result = await timed(cli, [
    '--base-image', base, '--source', fn, '--tag', tag, '--for', target,
    '--builder', builder, '--network', 'host', '--npm-registry', registry.url, '--json',
    ...(noCache ? ['--no-cache'] : []),
    ...(fastPath ? [] : ['--no-fast-path']),
    ...(push ? ['--push'] : []),
  ], push ? pushCacheDir : cacheDir);
  const parsed = JSON.parse(result.stdout) as { imageId: string; path: string; timingsMs: Timings };
  made.add(parsed.imageId);
  const t = parsed.timingsMs;
  const key = `${target}_${builder}${fastPath ? '' : '_no_fast_path'}${push ? '_push' : ''}_${noCache ? 'full' : 'rebuild'}`;
  split[key] ??= { start: [], validate: [], build: [], publish: [], other: [] };
  split[key].start.push(t.start);
  split[key].validate.push(t.validate);
  split[key].build.push(t.build);
  split[key].publish.push(t.total - t.validate - t.build);
  split[key].other.push(Math.round(result.ms - t.start - t.total));
  (paths[key] ??= []).push(parsed.path);
  if (parsed.path === 'fast' && firstFastPath[key] === undefined) firstFastPath[key] = Math.round(result.ms);
  return result;
}

async function dockerBuild(noCache: boolean): Promise<{ ms: number }> {
  const result = await timed('docker', [
    'build', '-q', ...(noCache ? ['--no-cache'] : []), '--network', 'host',
    '--build-arg', `base_image=${base}`, '--build-arg', `NPM_REGISTRY=${registry.url}`,
    '-f', join(baselineDockerfile, 'Dockerfile'), '-t', tags.docker_build, fn,
  ]);
  made.add(result.stdout.trim());
  return result;
}

async function dockerBuildkit(noCache: boolean, push = false): Promise<{ ms: number }> {
  const tag = push ? tags.docker_buildkit_push : tags.docker_buildkit;
  const query = new URLSearchParams({
    version: '2', t: tag, networkmode: 'host', nocache: noCache ? '1' : '0',
    buildargs: JSON.stringify({ base_image: base, NPM_REGISTRY: registry.url }),
  });
  const result = await timed('bash', ['-o', 'pipefail', '-c',
    `tar -cf - -C "$1" . -C "$2" Dockerfile | curl -sS --fail --unix-socket "$3" -H 'Content-Type: application/x-tar' --data-binary @- "http://engine/v1.41/build?$4"${push ? ' && docker push -q "$5" >&2' : ''}`,
    'bench', fn, baselineDockerfile, socket, query.toString(), tag]);
  if (result.stdout.includes('"errorDetail"')) throw new Error(`the BuildKit baseline build failed: ${result.stdout.slice(-500)}`);
  for (const id of result.stdout.matchAll(/"ID":"(sha256:[0-9a-f]{64})"/g)) made.add(id[1] as string);
  return result;
}

const build = (tool: Contestant, noCache: boolean): Promise<{ ms: number }> =>
  tool === 'rtbuild' ? rtbuild('buildkit', noCache)
    : tool === 'rtbuild_no_fast_path' ? rtbuild('buildkit', noCache, 'function', false)
    : tool === 'rtbuild_kyma' ? rtbuild('buildkit', noCache, 'kyma')
    : tool === 'rtbuild_classic' ? rtbuild('classic', noCache)
    : tool === 'rtbuild_push' ? rtbuild('buildkit', noCache, 'function', true, true)
      : tool === 'docker_build' ? dockerBuild(noCache)
      : tool === 'docker_buildkit_push' ? dockerBuildkit(noCache, true)
        : dockerBuildkit(noCache);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const times = Object.fromEntries(contestants.map((tool) => [tool, { full: [] as number[], rebuild: [] as number[] }])) as Record<Contestant, { full: number[]; rebuild: number[] }>;
const nodeFloor: number[] = [];
const nodeFloorLaunched: number[] = [];
const watchTimes: number[] = [];

/** rtbuild --watch on fnWatch: the time from an edit of its handler to the image of that edit. */
function startWatching(): { ready: Promise<unknown>; edit: (round: number) => Promise<number>; stop: () => Promise<void> } {
  const child = spawn(cli, [
    '--watch', '--json', '--base-image', base, '--source', fnWatch, '--tag', watchTag,
    '--network', 'host', '--npm-registry', registry.url,
  ], { cwd: root, env: { ...benchEnv, RTBUILD_CACHE_DIR: cacheDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: { round: number; imageId?: string; error?: unknown }[] = [];
  let waiter: (() => void) | undefined;
  let buffer = '';
  child.stdout.on('data', (data: Buffer) => {
    buffer += data.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) lines.push(JSON.parse(line) as (typeof lines)[number]);
    waiter?.();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = async (count: number): Promise<(typeof lines)[number]> => {
    while (lines.length < count) {
      if (child.exitCode !== null) throw new Error(`rtbuild --watch exited (${child.exitCode})`);
      await Promise.race([new Promise<void>((resolve) => (waiter = resolve)), exited]);
    }
    const got = lines[count - 1]!;
    if (got.error !== undefined || got.imageId === undefined) throw new Error(`rtbuild --watch failed: ${JSON.stringify(got)}`);
    made.add(got.imageId);
    return got;
  };
  const first = line(1);
  return {
    ready: first,
    edit: async (round: number) => {
      const started = performance.now();
      await appendFile(join(fnWatch, 'handler.js'), `\n// edit ${round}\n`);
      await line(round + 2);
      return performance.now() - started;
    },
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const watching = startWatching();
try {
  // Its first build (the dependencies) is over before the rounds start, so it competes with none of them.
  await watching.ready;
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so that nobody always meets a warmer machine.
    const order = contestants.map((_tool, i) => contestants[(i + round) % contestants.length]!);
    for (const tool of order) times[tool].full.push((await build(tool, true)).ms);
    await appendFile(join(fn, 'handler.js'), `\n// edit ${round}\n`);
    for (const tool of order) times[tool].rebuild.push((await build(tool, false)).ms);
    watchTimes.push(await watching.edit(round));
    nodeFloor.push((await timed(nodeBinary, ['-e', '0'])).ms);
    nodeFloorLaunched.push((await timed(nodeBinary, ['-e', '0'], cacheDir, launchedEnv)).ms);
    const line = (kind: 'full' | 'rebuild'): string => contestants.map((tool) => `${tool} ${Math.round(times[tool][kind].at(-1)!)}`).join(', ');
    process.stderr.write(`round ${round + 1}/${rounds}: full (ms) ${line('full')}; rebuild (ms) ${line('rebuild')}, rtbuild_watch ${Math.round(watchTimes.at(-1)!)}\n`);
  }
} finally {
  await watching.stop();
  await registry.stop();
  await run('docker', ['rmi', '-f', ...Object.values(tags), watchTag]).catch(() => undefined);
  for (const id of made) await run('docker', ['rmi', id]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}

const summary = (values: number[]): { median_ms: number; runs_ms: number[] } => ({ median_ms: Math.round(median(values)), runs_ms: values.map(Math.round) });
const ratio = (kind: 'full' | 'rebuild', tool: Contestant, against: Contestant): number => Number((median(times[tool][kind]) / median(times[against][kind])).toFixed(2));
const section = (kind: 'full' | 'rebuild'): Record<string, unknown> => ({
  ...Object.fromEntries(contestants.map((tool) => [tool, summary(times[tool][kind])])),
  ratio_rtbuild_to_docker_build: ratio(kind, 'rtbuild', 'docker_build'),
  ratio_rtbuild_to_docker_buildkit: ratio(kind, 'rtbuild', 'docker_buildkit'),
  ratio_rtbuild_no_fast_path_to_docker_buildkit: ratio(kind, 'rtbuild_no_fast_path', 'docker_buildkit'),
  ratio_rtbuild_classic_to_docker_build: ratio(kind, 'rtbuild_classic', 'docker_build'),
  ratio_rtbuild_kyma_to_rtbuild: ratio(kind, 'rtbuild_kyma', 'rtbuild'),
  ratio_rtbuild_push_to_docker_buildkit_push: ratio(kind, 'rtbuild_push', 'docker_buildkit_push'),
});
console.log(
  JSON.stringify(
    {
      benchmark: 'rtbuild vs plain docker build (Kyma legacy template structure)',
      base_image: base,
      rounds,
      node: (await run(nodeBinary, ['--version'])).stdout.trim(),
      full_build: { ...section('full'), target: 'ratio_rtbuild_to_docker_buildkit <= 1' },
      source_only_rebuild: {
        ...section('rebuild'),
        rtbuild_watch: summary(watchTimes),
        ratio_rtbuild_watch_to_docker_buildkit: Number((median(watchTimes) / median(times.docker_buildkit.rebuild)).toFixed(2)),
        rtbuild_watch_note: 'rtbuild --watch: from the edit of the handler to the image of it, in the running process',
        target: 'ratio_rtbuild_to_docker_buildkit <= 1',
        rtbuild_paths: paths.function_buildkit_rebuild,
        rtbuild_push_paths: paths.function_buildkit_push_rebuild,
        first_fast_path_rebuild_ms: firstFastPath,
        first_fast_path_note: 'the first fast path of the run on a base image reads its config once (docker save of the image), then it is cached',
      },
      node_e_0: summary(nodeFloor),
      node_e_0_as_launched: summary(nodeFloorLaunched),
      node_e_0_note: 'node_e_0 in this environment; as_launched: without NODE_EXTRA_CA_CERTS, as rtbuild\'s launcher starts node',
      rtbuild_time_split_median_ms: Object.fromEntries(
        Object.entries(split).map(([key, parts]) => [key, Object.fromEntries(Object.entries(parts).map(([part, values]) => [part, median(values)]))]),
      ),
    },
    null,
    2,
  ),
);
