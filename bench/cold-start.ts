// Cold start of the runtime images: from container start to the first successful invocation
// (not just a healthy /healthz), under the restricted profile, as the platform runs them.
// Prints one JSON object. Usage: tsx bench/cold-start.ts [--runs N] [IMAGE=FUNCTION_DIR ...]
import { join } from 'node:path';
import { packDirectory } from '../src/image/archive.js';
import { connectEngine, onInterrupt, removeOwnContainers } from '../src/engine/index.js';
import { freePort } from '../test/support/net.js';
import { RESTRICTED_PROFILE } from '../src/platform/profile.js';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 7;
const pairs = args.filter((a, i) => a.includes('=') && i !== runsFlag + 1);
interface Subject {
  name: string;
  image: string;
  fn: string;
  cmd?: string[];
}
// The baseline: a bare node:http server in the same upstream base image, started the same way. It is
// the floor set by the engine and Node itself.
const baseline: Subject = {
  name: 'baseline: bare node:http in the base image',
  image: process.env.NODE_BASE_IMAGE ?? 'node:20-bookworm-slim',
  fn: join(root, 'test/fixtures/engine/http-server'),
  cmd: ['node', '/kubeless/server.js'],
};
const subjects: Subject[] = pairs.length
  ? pairs.map((p) => ({ name: p.slice(0, p.indexOf('=')), image: p.slice(0, p.indexOf('=')), fn: p.slice(p.indexOf('=') + 1) }))
  : [
      { name: 'rt/nodejs20:dev', image: 'rt/nodejs20:dev', fn: join(root, 'test/fixtures/functions/nodejs/probe') },
      { name: 'rt/python312:dev', image: 'rt/python312:dev', fn: join(root, 'test/fixtures/functions/python/probe') },
    ];

const engine = await connectEngine();
const uninstall = onInterrupt(() => removeOwnContainers(engine));

async function once({ image, fn, cmd }: Subject): Promise<number> {
  const port = await freePort();
  const container = await engine.createContainer({
    image,
    purpose: 'bench',
    network: 'host',
    env: { FUNC_PORT: String(port), PORT: String(port) },
    ...(cmd ? { cmd, user: '1000' } : {}),
    volumes: ['/kubeless'],
    ...RESTRICTED_PROFILE,
  });
  try {
    await container.putArchive(await packDirectory(fn), '/kubeless');
    const started = performance.now();
    await container.start();
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`${image} served no successful invocation within 30 s`);
  } finally {
    await container.remove();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const results: Record<string, { runs_ms: number[]; median_ms: number; min_ms: number; ratio_to_baseline?: number }> = {};
try {
  // Interleave the subjects run by run, so that machine noise hits them alike.
  const all = [baseline, ...subjects];
  const times = new Map<Subject, number[]>(all.map((s) => [s, []]));
  for (let i = 0; i < runs; i++) {
    for (const subject of all) times.get(subject)!.push(Math.round(await once(subject)));
  }
  const floor = median(times.get(baseline)!);
  for (const subject of all) {
    const t = times.get(subject)!;
    results[subject.name] = { runs_ms: t, median_ms: median(t), min_ms: Math.min(...t) };
    if (subject !== baseline) results[subject.name]!.ratio_to_baseline = Number((median(t) / floor).toFixed(2));
    process.stderr.write(`cold start ${subject.name}: median ${median(t)} ms over ${runs} runs\n`);
  }
} finally {
  uninstall();
}
console.log(JSON.stringify({ benchmark: 'cold-start', what: 'container start to first successful invocation (restricted profile)', runs, results }, null, 2));
