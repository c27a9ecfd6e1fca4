// A bounded soak of every runtime image the project ships (issue 15): 60 s at 64 keep-alive
// connections of mixed calls (ok, throw, slow 300 ms, timeout past FUNC_TIMEOUT, 256 KiB body) against
// the function bench/fixtures/soak/<family>/, the image started as the platform starts it (restricted
// profile, host network, FUNC_PORT). Every answer is checked against what its call must get (200,
// 500, 408, the body's length): anything else is an unexpected status and must be 0 (exit 1 if not).
// It also reads the server process's resident memory and thread count from the host (/proc of the
// container's PID 1, no docker exec), every second: growth after a 10 s warm-up is what a leak shows.
// Prints a table on stderr and one JSON object on stdout.
// Usage: tsx bench/soak.ts [--seconds 60] [--connections 64] [--image IMAGE]... [--env NAME=VALUE]...
import http from 'node:http';
import { join } from 'node:path';
import { connectEngine, onInterrupt, removeOwnContainers } from '../src/engine/index.js';
import { readDirectoryEntries } from '../src/image/archive.js';
import { FunctionContainer } from '../src/platform/function-container.js';
import { freeLoopbackPort } from '../src/platform/ports.js';
import { PROJECT_RUNTIMES, runtimeById } from '../src/platform/runtimes.js';
import { type ProcessSample, sampleProcess } from './support/process-stats.js';

const args = process.argv.slice(2);
const flag = (name: string): string[] => args.flatMap((arg, i) => (arg === name && args[i + 1] ? [args[i + 1] as string] : []));
const seconds = Number(flag('--seconds')[0] ?? 60);
const connections = Number(flag('--connections')[0] ?? 64);
const WARM_UP_MS = Math.min(10_000, (seconds * 1000) / 4);
/** --env NAME=VALUE (repeatable): more environment for the function, e.g. to try a setting. */
const extraEnv = Object.fromEntries(flag('--env').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
const FUNC_TIMEOUT_SECONDS = 1;
const LARGE_BODY = Buffer.alloc(256 * 1024, 0x61);

interface Kind {
  name: 'ok' | 'throw' | 'slow' | 'timeout' | 'large';
  weight: number;
  status: number;
  body?: string;
}
/** The mix, and what each call must get. */
const KINDS: Kind[] = [
  { name: 'ok', weight: 50, status: 200, body: 'ok' },
  { name: 'throw', weight: 10, status: 500, body: 'Internal server error' },
  { name: 'slow', weight: 20, status: 200, body: 'slow' },
  { name: 'timeout', weight: 5, status: 408, body: 'Request Timeout' },
  { name: 'large', weight: 15, status: 200, body: String(LARGE_BODY.length) },
];
const TOTAL_WEIGHT = KINDS.reduce((sum, kind) => sum + kind.weight, 0);
function pick(): Kind {
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const kind of KINDS) if ((roll -= kind.weight) < 0) return kind;
  return KINDS[0]!;
}

interface Tally {
  calls: Record<string, number>;
  unexpected: number;
  examples: string[];
}

function call(agent: http.Agent, port: number, kind: Kind): Promise<string | undefined> {
  return new Promise((resolve) => {
    const large = kind.name === 'large';
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: large ? 'POST' : 'GET',
        path: `/${kind.name}`,
        headers: large ? { 'content-type': 'application/octet-stream', 'content-length': LARGE_BODY.length } : {},
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === kind.status && (kind.body === undefined || body === kind.body) ? undefined : `/${kind.name} → ${res.statusCode} ${body.slice(0, 80)}`));
        res.on('error', (err) => resolve(`/${kind.name} → response error ${err.message}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (err) => resolve(`/${kind.name} → ${err.message}`));
    req.end(large ? LARGE_BODY : undefined);
  });
}

async function soak(engine: Awaited<ReturnType<typeof connectEngine>>, image: string): Promise<Record<string, unknown>> {
  const info = await engine.inspectImage(image);
  const runtime = runtimeById(info.env.FUNC_RUNTIME ?? '');
  const container = await FunctionContainer.start(engine, {
    image,
    family: runtime.family,
    purpose: 'bench',
    port: { port: await freeLoopbackPort(), viaEnv: true },
    launch: {
      kind: 'entrypoint',
      volume: info.env.KUBELESS_INSTALL_VOLUME ?? '/kubeless',
      sources: await readDirectoryEntries(join(import.meta.dirname, 'fixtures', 'soak', runtime.family.name)),
      env: { FUNC_NAME: 'soak', FUNC_TIMEOUT: String(FUNC_TIMEOUT_SECONDS), ...extraEnv },
    },
  });
  try {
    const ready = await container.waitReady(30_000);
    if (!ready.ready) throw new Error(`${image} did not start: ${ready.reason}\n${await container.logTail()}`);
    const pid = (await container.container.inspect()).pid;
    const samples: { ms: number; sample: ProcessSample }[] = [];
    const started = Date.now();
    const record = async (): Promise<void> => {
      samples.push({ ms: Date.now() - started, sample: await sampleProcess(pid) });
    };
    await record();
    const sampler = setInterval(() => void record(), 1000);
    const tally: Tally = { calls: {}, unexpected: 0, examples: [] };
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < deadline) {
          const kind = pick();
          const problem = await call(agent, container.port, kind);
          tally.calls[kind.name] = (tally.calls[kind.name] ?? 0) + 1;
          if (problem !== undefined) {
            tally.unexpected++;
            if (tally.examples.length < 10) tally.examples.push(problem);
          }
        }
      }),
    );
    clearInterval(sampler);
    agent.destroy();
    await record();
    const warm = samples.find((s) => s.ms >= WARM_UP_MS)?.sample ?? samples[0]!.sample;
    const first = samples[0]!.sample;
    const last = samples.at(-1)!.sample;
    const mb = (bytes: number): number => Number((bytes / 1048576).toFixed(1));
    const calls = Object.values(tally.calls).reduce((sum, n) => sum + n, 0);
    return {
      image,
      seconds,
      connections,
      calls,
      calls_per_second: Math.round(calls / seconds),
      calls_by_kind: tally.calls,
      unexpected_statuses: tally.unexpected,
      unexpected_examples: tally.examples,
      rss_mb: { at_start: mb(first.rssBytes), after_warm_up: mb(warm.rssBytes), max: mb(Math.max(...samples.map((s) => s.sample.rssBytes))), end: mb(last.rssBytes), growth_after_warm_up: mb(last.rssBytes - warm.rssBytes) },
      threads: { at_start: first.threads, after_warm_up: warm.threads, max: Math.max(...samples.map((s) => s.sample.threads)), end: last.threads, growth_after_warm_up: last.threads - warm.threads },
      /** RSS every 5 s: a leak climbs to the end, a heap that is only growing into its limits levels off. */
      rss_mb_every_5s: samples.filter((s, i) => i % 5 === 0).map((s) => mb(s.sample.rssBytes)),
      still_running: (await container.container.inspect()).running,
    };
  } finally {
    await container.remove();
  }
}

const engine = await connectEngine();
const uninstall = onInterrupt(() => removeOwnContainers(engine));
const requested = flag('--image');
const images = requested.length ? requested : PROJECT_RUNTIMES.map((r) => r.project!.devTag);
const results: Record<string, unknown>[] = [];
try {
  for (const image of images) {
    process.stderr.write(`soak: ${image}, ${seconds} s at ${connections} connections...\n`);
    results.push(await soak(engine, image));
  }
} finally {
  uninstall();
}
process.stderr.write(`${'image'.padEnd(20)} calls/s  unexpected  RSS MB (warm → end, max)  threads (warm → end, max)\n`);
for (const r of results as { image: string; calls_per_second: number; unexpected_statuses: number; rss_mb: Record<string, number>; threads: Record<string, number> }[]) {
  process.stderr.write(
    `${r.image.padEnd(20)} ${String(r.calls_per_second).padStart(7)}  ${String(r.unexpected_statuses).padStart(10)}  ` +
      `${r.rss_mb.after_warm_up} → ${r.rss_mb.end} (${r.rss_mb.max})`.padEnd(26) +
      `  ${r.threads.after_warm_up} → ${r.threads.end} (${r.threads.max})\n`,
  );
}
console.log(JSON.stringify({ benchmark: 'soak', what: 'mixed calls at a fixed concurrency; every answer checked; memory and threads of the server process', func_timeout_s: FUNC_TIMEOUT_SECONDS, mix: KINDS, results }, null, 2));
if (results.some((r) => r.unexpected_statuses !== 0 || r.still_running === false)) process.exitCode = 1;
