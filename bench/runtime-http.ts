// Throughput of every runtime image the project ships, as containers (host network, FUNC_PORT, the
// restricted profile), so each Node major is measured with its own Node: a GET and a binary CloudEvent
// POST with 1 KB of JSON, tracing on (every span exported to an OTLP sink here) and off: req/s,
// p50/p99, CPU µs per request and resident memory under load, and the ratios against baselines run in
// the same rounds: node:http alone in the Node base image of the same major, and bare Bottle on cheroot
// (as many threads as connections) in the Python image; both read the body and parse its JSON, the
// least any CloudEvent receiver does (bench/fixtures/http/raw-node, .../bottle). `--compare IMAGE` adds a custom runtime image,
// compared with the project's image of the same runtime id. Each server is pinned to core 0, wrk and
// this process (and the sink) to core 1. Rounds interleave the subjects: within a round each runtime's
// group (its baseline, its image with tracing on and off, compared images) is measured back to back
// per request kind, in an order that rotates from round to round. A ratio is the median over rounds
// of the ratio within each round: these machines' speed drifts by 2-5x for seconds at a time (other
// tenants), which moves both sides of a pair alike; the spread of those per-round ratios is reported.
// Prints a short table on stdout and writes one JSON file (--out, default .rt/bench/runtime-http.json).
// Usage: tsx bench/runtime-http.ts [--rounds 5] [--seconds 3] [--connections 32] [--compare IMAGE]... [--image IMAGE]...
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { connectEngine, onInterrupt, removeOwnContainers } from '../src/engine/index.js';
import { type ArchiveEntry, readDirectoryEntries } from '../src/image/archive.js';
import { FunctionContainer } from '../src/platform/function-container.js';
import { freeLoopbackPort } from '../src/platform/ports.js';
import { PROJECT_RUNTIMES, type Runtime, runtimeById } from '../src/platform/runtimes.js';
import { canPin, pin, sampleProcess } from './support/process-stats.js';
import { type WrkRequest, type WrkResult, wrk } from './support/wrk.js';

const root = join(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'fixtures', 'http');
const args = process.argv.slice(2);
const flag = (name: string): string[] => args.flatMap((arg, i) => (arg === name && args[i + 1] ? [args[i + 1] as string] : []));
const rounds = Number(flag('--rounds')[0] ?? 5);
const seconds = Number(flag('--seconds')[0] ?? 3);
const connections = Number(flag('--connections')[0] ?? 32);
const out = flag('--out')[0] ?? join(root, '.rt', 'bench', 'runtime-http.json');
const SERVER_CORE = 0;
const LOAD_CORE = 1;

/** 1 KB of JSON data in a binary-mode CloudEvent (EV-BINARY). */
const EVENT_DATA = JSON.stringify({ order: { id: 'A-1', items: Array.from({ length: 18 }, (_, i) => ({ sku: `SKU-${i}`, quantity: i + 1, price: 9.99 + i })) }, note: 'x'.repeat(80) });
const REQUESTS: Record<'get' | 'post', WrkRequest> = {
  get: { method: 'GET', path: '/' },
  post: {
    method: 'POST',
    path: '/',
    headers: { 'Content-Type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 'com.example.order.created', 'ce-source': '/bench', 'ce-id': 'bench-1' },
    body: EVENT_DATA,
  },
};

type Kind = 'runtime' | 'compare' | 'node:http' | 'bottle';
interface Subject {
  name: string;
  image: string;
  kind: Kind;
  runtime: Runtime;
  tracing: boolean;
  container?: FunctionContainer;
  pid?: number;
  runs: Record<'get' | 'post', (WrkResult & { cpuMicrosPerRequest: number; systemMicrosPerRequest: number; rssBytes: number })[]>;
}

/**
 * The OTLP/HTTP sink the tracing subjects export to: answers 200 and counts spans. It runs on the load
 * generator's core, so it is kept cheap: bytes are searched, never turned into strings or parsed.
 */
async function startSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  const marker = Buffer.from('"spanId"');
  let spans = 0;
  const server = http.createServer((req, res) => {
    let tail: Buffer = Buffer.alloc(0); // the end of the previous chunk: a marker may straddle two chunks
    req.on('data', (chunk: Buffer) => {
      const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      for (let at = data.indexOf(marker); at !== -1; at = data.indexOf(marker, at + marker.length)) spans++;
      tail = data.subarray(Math.max(0, data.length - marker.length + 1));
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans: () => spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Bottle, cheroot and their dependencies, from the Python runtime's dev venv (made if missing). */
async function bottleSources(): Promise<ArchiveEntry[]> {
  const venvLib = join(root, 'base-images', 'python312', '.venv', 'lib');
  const sitePackages = (): string | undefined => {
    const python = existsSync(venvLib) ? readdirSync(venvLib).find((d) => d.startsWith('python3')) : undefined;
    const dir = python && join(venvLib, python, 'site-packages');
    return dir && existsSync(join(dir, 'bottle.py')) ? dir : undefined;
  };
  if (!sitePackages()) execFileSync('bash', [join(root, 'base-images', 'python312', 'scripts', 'setup-dev.sh')], { stdio: 'inherit' });
  const site = sitePackages() as string;
  const entries = [...(await readDirectoryEntries(join(fixtures, 'bottle')))];
  entries.push({ path: 'lib/bottle.py', type: 'file', content: await readFile(join(site, 'bottle.py')) });
  for (const name of ['cheroot', 'jaraco', 'more_itertools']) {
    entries.push({ path: `lib/${name}`, type: 'directory' });
    for (const entry of await readDirectoryEntries(join(site, name))) entries.push({ ...entry, path: `lib/${name}/${entry.path}` });
  }
  return entries.filter((entry) => !entry.path.includes('__pycache__'));
}

function nodeBaseImage(major: string): string {
  return process.env[`NODE${major}_BASE_IMAGE`] ?? `node:${major}-bookworm-slim`;
}

async function start(engine: Awaited<ReturnType<typeof connectEngine>>, subject: Subject, sink: string): Promise<void> {
  const family = subject.runtime.family;
  const base = { image: subject.image, family, purpose: 'bench', port: { port: await freeLoopbackPort(), viaEnv: true } };
  const info = await engine.inspectImage(subject.image);
  const volume = info.env.KUBELESS_INSTALL_VOLUME ?? '/kubeless';
  const env: Record<string, string> = { FUNC_NAME: 'bench', ...(subject.tracing ? { TRACE_COLLECTOR_ENDPOINT: sink } : {}) };
  const launch =
    subject.kind === 'node:http'
      ? { kind: 'entrypoint' as const, volume: '/kubeless', sources: await readDirectoryEntries(join(fixtures, 'raw-node')), env, user: '1000', command: ['node', '/kubeless/server.js'] }
      : subject.kind === 'bottle'
        ? { kind: 'entrypoint' as const, volume, sources: await bottleSources(), env: { ...env, BENCH_THREADS: String(connections) }, command: ['python', `${volume}/bottle_app.py`] }
        : { kind: 'entrypoint' as const, volume, sources: await readDirectoryEntries(join(fixtures, family.name)), env };
  const container = await FunctionContainer.start(engine, { ...base, launch });
  subject.container = container;
  const ready = await container.waitReady(30_000);
  if (!ready.ready) throw new Error(`${subject.name} did not start: ${ready.reason}\n${await container.logTail()}`);
  subject.pid = (await container.container.inspect()).pid;
  await pin(subject.pid, SERVER_CORE);
}

async function measure(subject: Subject, which: 'get' | 'post'): Promise<void> {
  const container = subject.container as FunctionContainer;
  const pid = subject.pid as number;
  const before = await sampleProcess(pid);
  const result = await wrk(container.url, REQUESTS[which], { seconds, connections, core: LOAD_CORE });
  const after = await sampleProcess(pid);
  if (result.failures > 0) throw new Error(`${subject.name} ${which}: ${result.failures} failed answers\n${await container.logTail()}`);
  subject.runs[which].push({
    ...result,
    cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests,
    systemMicrosPerRequest: (after.systemMicros - before.systemMicros) / result.requests,
    rssBytes: after.rssBytes,
  });
}

/** The median of the rounds that have a figure: now and then wrk prints no latency line for a round (NaN). */
const median = (values: number[]): number => {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

function summary(subject: Subject, which: 'get' | 'post') {
  const runs = subject.runs[which];
  return {
    rps: round(median(runs.map((r) => r.rps)), 0),
    p50_ms: round(median(runs.map((r) => r.p50Ms)), 2),
    p99_ms: round(median(runs.map((r) => r.p99Ms)), 2),
    cpu_us_per_request: round(median(runs.map((r) => r.cpuMicrosPerRequest))),
    system_cpu_us_per_request: round(median(runs.map((r) => r.systemMicrosPerRequest))),
    rss_mb: round(Math.max(...runs.map((r) => r.rssBytes)) / 1048576),
    rounds_rps: runs.map((r) => round(r.rps, 0)),
  };
}

const engine = await connectEngine();
const uninstall = onInterrupt(() => removeOwnContainers(engine));
const sink = await startSink();
const subjects: Subject[] = [];
const add = (name: string, image: string, kind: Kind, runtime: Runtime, tracing: boolean): void => {
  subjects.push({ name, image, kind, runtime, tracing, runs: { get: [], post: [] } });
};
try {
  await pin(process.pid, LOAD_CORE); // this process serves the sink: keep it off the servers' core
  const only = flag('--image');
  for (const runtime of PROJECT_RUNTIMES) {
    const image = runtime.project!.devTag;
    if (only.length && !only.includes(image)) continue;
    if (!(await engine.imageExists(image))) throw new Error(`${image} is not built: make base-images`);
    if (runtime.family.name === 'nodejs') add(`node:http ${runtime.version}`, nodeBaseImage(runtime.version), 'node:http', runtime, false);
    else add(`bottle (${runtime.id} image)`, image, 'bottle', runtime, false);
    add(image, image, 'runtime', runtime, true);
    add(image, image, 'runtime', runtime, false);
  }
  for (const image of flag('--compare')) {
    const runtime = runtimeById((await engine.inspectImage(image)).env.FUNC_RUNTIME ?? '');
    add(image, image, 'compare', runtime, true);
    add(image, image, 'compare', runtime, false);
  }
  process.stderr.write(`runtime-http: ${subjects.length} servers, ${rounds} rounds of ${seconds} s per request kind, ${connections} connections, pinned: ${await canPin()}\n`);
  for (const subject of subjects) await start(engine, subject, sink.url);
  for (const subject of subjects) for (const which of ['get', 'post'] as const) await wrk(subject.container!.url, REQUESTS[which], { seconds: 1, connections, core: LOAD_CORE }); // warm-up
  const groups = [...new Set(subjects.map((s) => s.runtime.id))].map((id) => subjects.filter((s) => s.runtime.id === id));
  for (let r = 0; r < rounds; r++) {
    for (const group of groups) {
      const order = group.map((_s, i) => group[(i + r) % group.length]!);
      for (const which of ['get', 'post'] as const) for (const subject of order) await measure(subject, which);
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
} finally {
  uninstall();
  await Promise.all(subjects.map((s) => (s.container ? s.container.remove() : Promise.resolve())));
  await sink.close();
}

// Ratios: a runtime image against its baseline (node:http of its major, Bottle for Python), with the
// same tracing setting; a compared image against the project's image of its runtime id. Each is the
// median of the round-by-round ratios (the two measured back to back), with their range.
const results = subjects.map((s) => ({ name: s.name, image: s.image, kind: s.kind, runtime: s.runtime.id, tracing: s.tracing, get: summary(s, 'get'), post: summary(s, 'post') }));
const baselineOf = (s: Subject): Subject | undefined => subjects.find((b) => (b.kind === 'node:http' || b.kind === 'bottle') && b.runtime.id === s.runtime.id);
const oursOf = (s: Subject): Subject | undefined => subjects.find((b) => b.kind === 'runtime' && b.runtime.id === s.runtime.id && b.tracing === s.tracing);
/** Per round a/b of a figure, for `which`; the median and the range over the rounds. */
function paired(a: Subject, b: Subject | undefined, which: 'get' | 'post', figure: (run: Subject['runs']['get'][number]) => number): { median: number | null; range: [number, number] | null } {
  if (b === undefined) return { median: null, range: null };
  const perRound = a.runs[which].map((run, i) => figure(run) / figure(b.runs[which][i]!)).filter((value) => Number.isFinite(value));
  if (perRound.length === 0) return { median: null, range: null };
  return { median: round(median(perRound), 2), range: [round(Math.min(...perRound), 2), round(Math.max(...perRound), 2)] };
}
const rps = (run: Subject['runs']['get'][number]): number => run.rps;
const cpuPerRequest = (run: Subject['runs']['get'][number]): number => 1 / run.cpuMicrosPerRequest; // higher is better, as req/s
const ratios = subjects
  .filter((s) => s.kind === 'runtime' || s.kind === 'compare')
  .map((s) => {
    const against = baselineOf(s);
    const ours = s.kind === 'compare' ? oursOf(s) : undefined;
    const get = paired(s, against, 'get', rps);
    const post = paired(s, against, 'post', rps);
    return {
      image: s.image,
      tracing: s.tracing,
      baseline: against?.name ?? null,
      get_rps_ratio: get.median,
      post_rps_ratio: post.median,
      get_rps_ratio_range: get.range,
      post_rps_ratio_range: post.range,
      get_cpu_ratio: paired(s, against, 'get', cpuPerRequest).median,
      post_cpu_ratio: paired(s, against, 'post', cpuPerRequest).median,
      ...(ours ? { get_rps_vs_project_image: paired(s, ours, 'get', rps).median, post_rps_vs_project_image: paired(s, ours, 'post', rps).median } : {}),
    };
  });
const report = {
  benchmark: 'runtime-http',
  what: 'req/s, latency, CPU per request and RSS of each runtime image under wrk; ratios against node:http of the same Node major and bare Bottle/cheroot, same rounds',
  settings: {
    rounds,
    seconds,
    connections,
    pinned: await canPin(),
    request_post: `binary CloudEvent, ${EVENT_DATA.length} bytes of JSON data`,
    baselines: 'node:http and Bottle/cheroot read the body and parse its JSON',
    ratios: 'the median over rounds of the ratio within each round (the two measured back to back), and its range',
    spans_received: sink.spans(),
  },
  results,
  ratios,
};
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify(report, null, 2) + '\n');

const cell = (s: ReturnType<typeof summary>): string => `${String(s.rps).padStart(6)} ${s.p50_ms.toFixed(2).padStart(6)} ${s.p99_ms.toFixed(2).padStart(6)} ${s.cpu_us_per_request.toFixed(1).padStart(6)}`;
console.log(`${'server'.padEnd(28)} ${'trace'.padEnd(5)} | GET   req/s  p50ms  p99ms  CPUµs | POST  req/s  p50ms  p99ms  CPUµs | RSS MB | ratio GET (range)      POST (range)`);
for (const r of results) {
  const ratio = ratios.find((x) => x.image === r.image && x.tracing === r.tracing && (r.kind === 'runtime' || r.kind === 'compare'));
  const range = (value: [number, number] | null): string => (value ? `(${value[0]}-${value[1]})` : '');
  const ratioText = ratio ? `${String(ratio.get_rps_ratio).padStart(9)} ${range(ratio.get_rps_ratio_range).padEnd(12)} ${String(ratio.post_rps_ratio).padStart(5)} ${range(ratio.post_rps_ratio_range)}` : '';
  console.log(`${r.name.padEnd(28)} ${(r.tracing ? 'on' : 'off').padEnd(5)} | ${cell(r.get)}       | ${cell(r.post)}       | ${String(Math.max(r.get.rss_mb, r.post.rss_mb)).padStart(6)} |${ratioText}`);
}
console.log(`spans received by the sink: ${sink.spans()}; JSON: ${out}`);
