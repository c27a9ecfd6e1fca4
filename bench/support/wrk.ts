// wrk (HTTP/1.1 keep-alive load) run asynchronously, so the benchmark's own event loop keeps serving
// the OTLP sink while it runs; pinned to a core of its own. Results parsed from wrk's --latency text.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned } from './process-stats.js';

export interface WrkRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface WrkResult {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx/3xx, plus connect/read/write/timeout errors. */
  failures: number;
}

/** wrk's latency text in ms: "812.00us", "1.62ms", "2.01s", "1.00m" (NaN, and said once, if none of those). */
function millis(text: string | undefined, out: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text?.trim() ?? '');
  if (!m) {
    if (!warned) process.stderr.write(`wrk: latency ${JSON.stringify(text)} not understood (counted as no figure); wrk said:\n${out}\n`);
    warned = true;
    return NaN;
  }
  const value = Number(m[1]);
  return value * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as const)[m[2] as 'us' | 'ms' | 's' | 'm'];
}
let warned = false;

/** The Lua script that makes wrk send `request` (wrk's own flags send only GETs without a body). */
function script(request: WrkRequest): string {
  const lines = [`wrk.method = ${JSON.stringify(request.method)}`, `wrk.path = ${JSON.stringify(request.path)}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(request.body)}`);
  return lines.join('\n') + '\n';
}

export async function wrk(url: string, request: WrkRequest, options: { seconds: number; connections: number; core: number }): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rt-bench-wrk-'));
  try {
    const lua = join(dir, 'request.lua');
    await writeFile(lua, script(request));
    const [command, args] = await pinned(options.core, 'wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', lua, url]);
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrk exited ${code}: ${stderr}`))));
    });
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      requests: Number(/(\d+) requests in/.exec(out)?.[1]),
      p50Ms: millis(/^\s+50%\s+(\S+)$/m.exec(out)?.[1], out),
      p99Ms: millis(/^\s+99%\s+(\S+)$/m.exec(out)?.[1], out),
      failures: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
