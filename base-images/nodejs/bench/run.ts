// Side-by-side throughput of (a) a plain node:http hello world and (b) this runtime serving a hello
// world function with tracing exported to a local OTLP sink. Each server is pinned to core 0, the
// load generator (wrk, keep-alive) and the sink to core 1. A few alternating rounds, medians, JSON.
// Also measures cold start: process start → first successful invocation, tracing on.
// The runtime under test is the bundled entry point the image ships (build/runtime/main.js).
//
//   npm run bench            (builds and bundles first)   BENCH_ROUNDS=3 BENCH_SECONDS=5 BENCH_CONNECTIONS=50
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const DIR = __dirname;
const PKG = path.join(DIR, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 5);
// BENCH_MAIN: another bundle of the runtime to measure (an A/B of two builds).
const MAIN = process.env.BENCH_MAIN ?? path.join(PKG, 'build', 'runtime', 'main.js');

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (core: number, cmd: string, args: string[]): [string, string[]] =>
  hasTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

async function waitUntilOk(url: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await get(url)) === 200) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function start(core: number, cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const [c, a] = pinned(core, cmd, args);
  return spawn(c, a, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

function stopProcess(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    if (child.exitCode !== null) return resolve(out);
    const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve(out);
    });
    child.kill('SIGTERM');
  });
}

interface Run {
  rps: number;
  p99_ms: number;
  /** CPU time the server spent per request: steadier than rps on a busy machine. */
  cpu_us_per_req: number;
}

/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function parseLatency(text: string): number {
  const m = /^\s*([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(url: string, seconds: number, server: ChildProcess): Run {
  const [cmd, args] = pinned(1, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url]);
  const before = cpuTicks(server.pid!);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const ticks = cpuTicks(server.pid!) - before;
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p99 = /^\s+99%\s+(\S+)$/m.exec(r.stdout)?.[1];
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1];
  if (errors !== undefined) throw new Error(`wrk saw ${errors} failed responses from ${url}`);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  return { rps, p99_ms: p99 === undefined ? NaN : parseLatency(p99), cpu_us_per_req: Math.round(((ticks * 10_000) / requests) * 10) / 10 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function summarize(runs: Run[]): Run {
  return {
    rps: median(runs.map((r) => r.rps)),
    p99_ms: median(runs.map((r) => r.p99_ms)),
    cpu_us_per_req: median(runs.map((r) => r.cpu_us_per_req)),
  };
}

async function coldStart(sinkUrl: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(0, process.execPath, [MAIN], {
    FUNC_PORT: String(port),
    FUNC_HOST: '127.0.0.1',
    KUBELESS_INSTALL_VOLUME: path.join(DIR, 'hello'),
    FUNC_NAME: 'bench-hello',
    TRACE_COLLECTOR_ENDPOINT: sinkUrl,
  });
  // Poll the function itself: the first successful invocation ends the measurement.
  const deadline = Date.now() + 10000;
  while ((await get(`http://127.0.0.1:${port}/`)) !== 200) {
    if (Date.now() > deadline) throw new Error('cold start: no successful invocation within 10 s');
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = performance.now() - t0;
  await stopProcess(child);
  return ms;
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run npm run build && npm run bundle`);
  if (spawnSync('wrk', ['-v']).error) throw new Error('wrk is not installed (apt-get install wrk)');

  const sinkPort = await freePort();
  const sink = start(1, process.execPath, [path.join(DIR, 'otlp-sink.js'), String(sinkPort)]);
  const sinkUrl = `http://127.0.0.1:${sinkPort}/v1/traces`;

  const plainPort = await freePort();
  const plain = start(0, process.execPath, [path.join(DIR, 'plain-server.js'), String(plainPort)]);
  const runtimePort = await freePort();
  const runtime = start(0, process.execPath, [MAIN], {
    FUNC_PORT: String(runtimePort),
    FUNC_HOST: '127.0.0.1',
    KUBELESS_INSTALL_VOLUME: path.join(DIR, 'hello'),
    FUNC_NAME: 'bench-hello',
    TRACE_COLLECTOR_ENDPOINT: sinkUrl,
  });
  const plainUrl = `http://127.0.0.1:${plainPort}/`;
  const runtimeUrl = `http://127.0.0.1:${runtimePort}/`;
  try {
    await waitUntilOk(plainUrl);
    await waitUntilOk(runtimeUrl);
    wrk(plainUrl, 1, plain); // warm-up
    wrk(runtimeUrl, 1, runtime);
    const plainRuns: Run[] = [];
    const runtimeRuns: Run[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      plainRuns.push(wrk(plainUrl, SECONDS, plain));
      runtimeRuns.push(wrk(runtimeUrl, SECONDS, runtime));
      process.stderr.write(`round ${i + 1}/${ROUNDS}: plain ${plainRuns.at(-1)!.rps} rps, runtime ${runtimeRuns.at(-1)!.rps} rps\n`);
    }
    await stopProcess(runtime); // flushes the last spans
    const sinkOut = await stopProcess(sink);
    const cold: number[] = [];
    const coldSink = start(1, process.execPath, [path.join(DIR, 'otlp-sink.js'), String(sinkPort)]);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < COLD_STARTS; i++) cold.push(await coldStart(sinkUrl));
    await stopProcess(coldSink);

    const summary = {
      plain: summarize(plainRuns),
      runtime: { ...summarize(runtimeRuns), tracing: 'OTLP/HTTP to a local sink' },
      /** Median of the per-round ratios: each round runs the two servers back to back. */
      ratio: 0,
      ratio_of_medians: 0,
      cpu_ratio: 0,
      round_ratios: runtimeRuns.map((r, i) => Math.round((r.rps / plainRuns[i]!.rps) * 1000) / 1000),
      spans_received: (JSON.parse(sinkOut.trim() || '{"spans":0}') as { spans: number }).spans,
      cold_start_ms: { median: Math.round(median(cold)), runs: cold.map((c) => Math.round(c)) },
      settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, pinned: hasTaskset, node: process.version },
    };
    summary.ratio = median(summary.round_ratios);
    summary.ratio_of_medians = Math.round((summary.runtime.rps / summary.plain.rps) * 1000) / 1000;
    // Throughput ratio if both were CPU-bound: plain's CPU per request over the runtime's.
    summary.cpu_ratio = Math.round((summary.plain.cpu_us_per_req / summary.runtime.cpu_us_per_req) * 1000) / 1000;
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } finally {
    await Promise.all([stopProcess(plain), stopProcess(runtime), stopProcess(sink)]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
