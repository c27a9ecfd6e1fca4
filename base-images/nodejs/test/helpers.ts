// Shared test helpers: start the runtime in-process on 127.0.0.1 with a fixture, spawn src/main.ts
// as a child process, poll with deadlines.
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { createHttpServer } from '../src/http-server';
import { loadFunction } from '../src/load';
import type { Log } from '../src/log';
import { parseOptions, type Options } from '../src/options';
import { createRuntime, type Runtime } from '../src/server';
import { setupTelemetry, type Telemetry } from '../src/telemetry';

// Tests run compiled (build/test/*.js), so that user fixtures are loaded by plain Node, never by a
// TypeScript loader. The child-process tests run the bundled entry point the image ships
// (build/runtime/main.js, made by `npm run bundle` from dist/).
export const PKG_DIR = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(PKG_DIR, 'test', 'fixtures');
export const MAIN_JS = path.join(PKG_DIR, 'build', 'runtime', 'main.js');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface CapturedLog extends Log {
  infos: string[];
  errors: string[];
}

export function captureLog(): CapturedLog {
  const infos: string[] = [];
  const errors: string[] = [];
  return { infos, errors, info: (l) => infos.push(l), error: (l) => errors.push(l) };
}

let telemetry: Telemetry | undefined;
export const telemetryLog = captureLog();

/** OpenTelemetry is process-global: set it up once per test file (node:test runs each file in its own process). */
export function useTelemetry(env: Record<string, string> = {}): Telemetry {
  telemetry ??= setupTelemetry(parseOptions(env), telemetryLog);
  return telemetry;
}

export interface Started {
  url: string;
  options: Options;
  runtime: Runtime;
  log: CapturedLog;
  close(): Promise<void>;
}

/** Loads a fixture and serves it in-process on an ephemeral port of 127.0.0.1. */
export async function startFixture(name: string, env: Record<string, string> = {}): Promise<Started> {
  const t = useTelemetry();
  const options = parseOptions({ KUBELESS_INSTALL_VOLUME: fixture(name), ...env });
  const fn = await loadFunction(options);
  const log = captureLog();
  const runtime = createRuntime({ options, fn, telemetry: t, log });
  const server = createHttpServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    options,
    runtime,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Child {
  process: ChildProcess;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
  /** Waits until GET /healthz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  kill(): void;
}

/** Spawns the bundled entry point with only the given environment. */
export async function spawnMain(env: Record<string, string>): Promise<Child> {
  const port = env.FUNC_PORT !== undefined ? Number(env.FUNC_PORT) : await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: PKG_DIR,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FUNC_PORT: String(port), FUNC_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: Date.now() - started })),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    process: child,
    port,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    ready: async (timeoutMs = 15000) => {
      await waitFor(`${url}/healthz to answer 200 (stderr: ${err})`, async () => {
        if (child.exitCode !== null) throw new Error(`runtime exited with ${child.exitCode}: ${err}`);
        const res = await fetch(`${url}/healthz`);
        return res.status === 200;
      }, timeoutMs);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * A raw HTTP/1.1 request (fetch cannot send every header or method combination). The test process
 * has OpenTelemetry's http instrumentation loaded too; tracing is suppressed here so the test's own
 * request is sent exactly as written (no injected traceparent, no CLIENT span).
 */
export function rawRequest(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = context.with(suppressTracing(context.active()), () => http.request(
      { host: u.hostname, port: u.port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    ));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The runtime processes of one test file: started ready, all killed by killAll() (call it in after()). */
export function childRuntimes(): { start(fixtureName: string, env?: Record<string, string>): Promise<Child>; killAll(): void } {
  const children: Child[] = [];
  return {
    start: async (fixtureName, env = {}) => {
      const child = await spawnMain({ KUBELESS_INSTALL_VOLUME: fixture(fixtureName), ...env });
      children.push(child);
      await child.ready();
      return child;
    },
    killAll: () => children.forEach((c) => c.kill()),
  };
}

export interface RawExchange {
  /** Statuses of the complete answers, in order (a 100 Continue counts as one). */
  statuses: number[];
  /** The runtime closed the connection. */
  closed: boolean;
  /** The last answer's body. */
  body: string;
}

/** Complete HTTP/1.1 answers in `data` (bodies framed by Content-Length; the runtime sends no other). */
function splitAnswers(data: Buffer): { status: number; body: Buffer }[] {
  const answers: { status: number; body: Buffer }[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return answers;
    const head = data.subarray(at, headEnd).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (data.length < headEnd + 4 + length) return answers;
    answers.push({ status, body: data.subarray(headEnd + 4, headEnd + 4 + length) });
    at = headEnd + 4 + length;
  }
}

/**
 * Writes raw bytes on a new connection (what no HTTP client will send) and collects the answers until
 * `answers` of them arrived (or, with `untilClosed`, the runtime closed the connection), or 5 s passed.
 */
export function rawExchange(url: string, bytes: string | Buffer, options: { answers?: number; untilClosed?: boolean } = {}): Promise<RawExchange> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let closed = false;
    const socket = net.connect(Number(u.port), u.hostname);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const answers = splitAnswers(data);
      resolve({ statuses: answers.map((a) => a.status), closed, body: answers.at(-1)?.body.toString('utf8') ?? '' });
    };
    const check = (): void => {
      if (closed || (!options.untilClosed && splitAnswers(data).length >= (options.answers ?? 1))) finish();
    };
    const timer = setTimeout(finish, 5000);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      check();
    });
    socket.on('close', () => {
      closed = true;
      check();
    });
    socket.on('error', () => undefined);
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}
