// rtbuild against a plain `docker build` of a hand-written Dockerfile (the structure of Kyma's legacy
// function template), side by side in one run, on the same base image, the same Function (one npm
// dependency from a registry on 127.0.0.1) and the same engine:
//   full build: no cache, each;   rebuild: after a change to the handler only, cache on, each.
// Five contestants:
//   rtbuild           as users run it (the engine's BuildKit);
//   rtbuild_kyma      rtbuild --for kyma: the override image for Kyma's buildless launch (dependencies
//                     only; the handler goes into the Function resource, so a handler edit rebuilds
//                     nothing but the manifest);
//   rtbuild_classic   rtbuild --builder classic (the engine's legacy builder);
//   docker_build      `docker build` of the Kyma-structured Dockerfile: on this machine the docker CLI
//                     has no buildx, so this is the legacy builder: the baseline of the target;
//   docker_buildkit   the same Dockerfile and context sent straight to the engine's BuildKit
//                     (tar | curl POST /build?version=2): what `docker build` does where buildx exists.
// Wall-clock time of each command, as a user waits for it; rtbuild's own --json timings split its
// time into validate (sources, plan), build (the engine) and the rest (CLI start, engine round trips).
// Prints one JSON object with the ratios.
// Usage: tsx bench/rtbuild.ts [--rounds N] [--base-image REF]
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startNpmRegistry } from '../test/support/rtbuild.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(flag('--rounds') ?? 3);
const base = flag('--base-image') ?? 'rt/nodejs20:dev';
const socket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const baselineDockerfile = join(root, 'bench', 'fixtures', 'kyma-legacy-nodejs');

const work = await mkdtemp(join(tmpdir(), 'rt-bench-rtbuild-'));
const fn = join(work, 'fn');
await cp(join(root, 'test', 'fixtures', 'rtbuild', 'node-deps'), fn, { recursive: true });
const registry = await startNpmRegistry();
const tags = {
  rtbuild: `rt-bench/rtbuild:${process.pid}`,
  rtbuild_kyma: `rt-bench/rtbuild-kyma:${process.pid}`,
  rtbuild_classic: `rt-bench/rtbuild-classic:${process.pid}`,
  docker_build: `rt-bench/docker:${process.pid}`,
  docker_buildkit: `rt-bench/docker-buildkit:${process.pid}`,
};
type Contestant = keyof typeof tags;
const contestants = Object.keys(tags) as Contestant[];

async function timed(command: string, commandArgs: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await run(command, commandArgs, { cwd: root, env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024 });
  return { ms: performance.now() - started, stdout };
}

/** rtbuild's own split of a run: validate + build (the engine) + the rest of the wall-clock time. */
const split: Record<string, { validate: number[]; build: number[]; other: number[] }> = {};
async function rtbuild(builder: 'buildkit' | 'classic', noCache: boolean, target: 'function' | 'kyma' = 'function'): Promise<{ ms: number }> {
  const tag = target === 'kyma' ? tags.rtbuild_kyma : builder === 'buildkit' ? tags.rtbuild : tags.rtbuild_classic;
  const result = await timed(process.execPath, [
    join(root, 'dist', 'src', 'cli', 'rtbuild.js'),
    '--base-image', base, '--source', fn, '--tag', tag, '--for', target,
    '--builder', builder, '--network', 'host', '--npm-registry', registry.url, '--json',
    ...(noCache ? ['--no-cache'] : []),
  ]);
  const timings = (JSON.parse(result.stdout) as { timingsMs: { validate: number; build: number } }).timingsMs;
  const key = `${target}_${builder}_${noCache ? 'full' : 'rebuild'}`;
  split[key] ??= { validate: [], build: [], other: [] };
  split[key].validate.push(timings.validate);
  split[key].build.push(timings.build);
  split[key].other.push(Math.round(result.ms - timings.validate - timings.build));
  return result;
}

const dockerBuild = (noCache: boolean): Promise<{ ms: number }> =>
  timed('docker', [
    'build', '-q', ...(noCache ? ['--no-cache'] : []), '--network', 'host',
    '--build-arg', `base_image=${base}`, '--build-arg', `NPM_REGISTRY=${registry.url}`,
    '-f', join(baselineDockerfile, 'Dockerfile'), '-t', tags.docker_build, fn,
  ]);

async function dockerBuildkit(noCache: boolean): Promise<{ ms: number }> {
  const query = new URLSearchParams({
    version: '2', t: tags.docker_buildkit, networkmode: 'host', nocache: noCache ? '1' : '0',
    buildargs: JSON.stringify({ base_image: base, NPM_REGISTRY: registry.url }),
  });
  const result = await timed('bash', ['-o', 'pipefail', '-c',
    `tar -cf - -C "$1" . -C "$2" Dockerfile | curl -sS --fail --unix-socket "$3" -H 'Content-Type: application/x-tar' --data-binary @- "http://engine/v1.41/build?$4"`,
    'bench', fn, baselineDockerfile, socket, query.toString()]);
  if (result.stdout.includes('"errorDetail"')) throw new Error(`the BuildKit baseline build failed: ${result.stdout.slice(-500)}`);
  return result;
}

const build = (tool: Contestant, noCache: boolean): Promise<{ ms: number }> =>
  tool === 'rtbuild' ? rtbuild('buildkit', noCache)
    : tool === 'rtbuild_kyma' ? rtbuild('buildkit', noCache, 'kyma')
    : tool === 'rtbuild_classic' ? rtbuild('classic', noCache)
      : tool === 'docker_build' ? dockerBuild(noCache)
        : dockerBuildkit(noCache);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const times = Object.fromEntries(contestants.map((tool) => [tool, { full: [] as number[], rebuild: [] as number[] }])) as Record<Contestant, { full: number[]; rebuild: number[] }>;

try {
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so that nobody always meets a warmer machine.
    const order = contestants.map((_tool, i) => contestants[(i + round) % contestants.length]!);
    for (const tool of order) times[tool].full.push((await build(tool, true)).ms);
    await appendFile(join(fn, 'handler.js'), `\n// edit ${round}\n`);
    for (const tool of order) times[tool].rebuild.push((await build(tool, false)).ms);
    const line = (kind: 'full' | 'rebuild'): string => contestants.map((tool) => `${tool} ${Math.round(times[tool][kind].at(-1)!)}`).join(', ');
    process.stderr.write(`round ${round + 1}/${rounds}: full (ms) ${line('full')}; rebuild (ms) ${line('rebuild')}\n`);
  }
} finally {
  await registry.stop();
  await run('docker', ['rmi', '-f', ...Object.values(tags)]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}

const summary = (values: number[]): { median_ms: number; runs_ms: number[] } => ({ median_ms: Math.round(median(values)), runs_ms: values.map(Math.round) });
const ratio = (kind: 'full' | 'rebuild', tool: Contestant, against: Contestant): number => Number((median(times[tool][kind]) / median(times[against][kind])).toFixed(2));
const section = (kind: 'full' | 'rebuild'): Record<string, unknown> => ({
  ...Object.fromEntries(contestants.map((tool) => [tool, summary(times[tool][kind])])),
  ratio_rtbuild_to_docker_build: ratio(kind, 'rtbuild', 'docker_build'),
  ratio_rtbuild_to_docker_buildkit: ratio(kind, 'rtbuild', 'docker_buildkit'),
  ratio_rtbuild_classic_to_docker_build: ratio(kind, 'rtbuild_classic', 'docker_build'),
  ratio_rtbuild_kyma_to_rtbuild: ratio(kind, 'rtbuild_kyma', 'rtbuild'),
});
console.log(
  JSON.stringify(
    {
      benchmark: 'rtbuild vs plain docker build (Kyma legacy template structure)',
      base_image: base,
      rounds,
      full_build: { ...section('full'), target: 'ratio_rtbuild_to_docker_build <= 1' },
      source_only_rebuild: { ...section('rebuild'), target_ms: 3000 },
      rtbuild_time_split_median_ms: Object.fromEntries(
        Object.entries(split).map(([key, parts]) => [key, { validate: median(parts.validate), build: median(parts.build), cli_and_round_trips: median(parts.other) }]),
      ),
    },
    null,
    2,
  ),
);
