// rtbuild against a plain `docker build` of a hand-written Dockerfile (the structure of Kyma's legacy
// function template), side by side in one run, on the same base image, the same Function (one npm
// dependency from a registry on 127.0.0.1) and the same engine:
//   full build: no cache, both;   rebuild: after a change to the handler only, cache on, both.
// Wall-clock time of each command, as a user waits for it. Prints one JSON object with the ratios.
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

const work = await mkdtemp(join(tmpdir(), 'rt-bench-rtbuild-'));
const fn = join(work, 'fn');
await cp(join(root, 'test', 'fixtures', 'rtbuild', 'node-deps'), fn, { recursive: true });
const registry = await startNpmRegistry();
const tags = { rtbuild: `rt-bench/rtbuild:${process.pid}`, docker: `rt-bench/docker:${process.pid}` };

async function timed(command: string, commandArgs: string[]): Promise<number> {
  const started = performance.now();
  await run(command, commandArgs, { cwd: root, env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - started;
}

const rtbuild = (noCache: boolean): Promise<number> =>
  timed(process.execPath, [
    join(root, 'dist', 'src', 'cli', 'rtbuild.js'),
    '--base-image', base, '--source', fn, '--tag', tags.rtbuild,
    '--network', 'host', '--npm-registry', registry.url,
    ...(noCache ? ['--no-cache'] : []),
  ]);

const dockerBuild = (noCache: boolean): Promise<number> =>
  timed('docker', [
    'build', '-q', ...(noCache ? ['--no-cache'] : []), '--network', 'host',
    '--build-arg', `base_image=${base}`, '--build-arg', `NPM_REGISTRY=${registry.url}`,
    '-f', join(root, 'bench', 'fixtures', 'kyma-legacy-nodejs', 'Dockerfile'), '-t', tags.docker, fn,
  ]);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const times = { rtbuild: { full: [] as number[], rebuild: [] as number[] }, docker: { full: [] as number[], rebuild: [] as number[] } };

try {
  for (let round = 0; round < rounds; round++) {
    // Alternate which tool goes first, so that neither always meets a warmer machine.
    const order = round % 2 === 0 ? (['rtbuild', 'docker'] as const) : (['docker', 'rtbuild'] as const);
    for (const tool of order) times[tool].full.push(await (tool === 'rtbuild' ? rtbuild(true) : dockerBuild(true)));
    await appendFile(join(fn, 'handler.js'), `\n// edit ${round}\n`);
    for (const tool of order) times[tool].rebuild.push(await (tool === 'rtbuild' ? rtbuild(false) : dockerBuild(false)));
    process.stderr.write(`round ${round + 1}/${rounds}: full rtbuild ${Math.round(times.rtbuild.full.at(-1)!)} ms, docker ${Math.round(times.docker.full.at(-1)!)} ms; rebuild rtbuild ${Math.round(times.rtbuild.rebuild.at(-1)!)} ms, docker ${Math.round(times.docker.rebuild.at(-1)!)} ms\n`);
  }
} finally {
  await registry.stop();
  await run('docker', ['rmi', '-f', tags.rtbuild, tags.docker]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}

const summary = (values: number[]): { median_ms: number; runs_ms: number[] } => ({ median_ms: Math.round(median(values)), runs_ms: values.map(Math.round) });
console.log(
  JSON.stringify(
    {
      benchmark: 'rtbuild vs plain docker build (Kyma legacy template structure)',
      base_image: base,
      rounds,
      full_build: {
        rtbuild: summary(times.rtbuild.full),
        docker_build: summary(times.docker.full),
        ratio: Number((median(times.rtbuild.full) / median(times.docker.full)).toFixed(2)),
      },
      source_only_rebuild: {
        rtbuild: summary(times.rtbuild.rebuild),
        docker_build: summary(times.docker.rebuild),
        ratio: Number((median(times.rtbuild.rebuild) / median(times.docker.rebuild)).toFixed(2)),
        target_ms: 3000,
      },
    },
    null,
    2,
  ),
);
