// Shared set-up for the rtbuild integration tests: fixture runtime bases, the CLI as a child process,
// a package registry (npm) and a package index (pip) on 127.0.0.1, running a built function, and
// scanning every layer of an image. (Belongs in test/support/ once the owners agree.)
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { packDirectory } from '../../src/image/archive.js';
import { type Engine } from '../../src/engine/index.js';
import { baseImage, uniqueTag } from './names.js';
import { testEngine } from './engine.js';
import { type CliRun, runCliToEnd } from './cli.js';
import { pollUntil } from './net.js';
import { FunctionContainer } from '../../src/platform/function-container.js';
import { type FunctionResource, kymaFunctionOf } from '../../src/platform/function-resource.js';
import { freeLoopbackPort } from '../../src/platform/ports.js';
import { DEFAULT_INSTALL_VOLUME, runtimeById } from '../../src/platform/runtimes.js';

import { FIXTURES } from './package-registries.js';

export { FIXTURES };
export { startNpmRegistry, startPipIndex } from './package-registries.js';

/** Builds test/fixtures/rtbuild/base-<runtime> on the stand-in image; returns its tag. */
export async function buildFixtureBase(engine: Engine, runtime: 'nodejs' | 'python'): Promise<string> {
  const tag = `rt-test/rtbuild-base-${runtime}:${uniqueTag()}`;
  await engine.buildImage(await packDirectory(join(FIXTURES, `base-${runtime}`)), {
    tags: [tag],
    buildArgs: { BASE_IMAGE: baseImage(runtime === 'nodejs' ? 'node' : 'python') },
  });
  return tag;
}

export type { CliRun } from './cli.js';

/** Runs the rtbuild CLI (asynchronously: the test process also serves the package registries). */
export function runRtbuild(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCliToEnd('rtbuild', args, { env });
}

/** The parsed --json result of a successful run; fails with the run's stderr otherwise. */
export function jsonResult<T>(run: CliRun): T {
  if (run.status !== 0) throw new Error(`rtbuild exited ${run.status}:\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** A private copy of a fixture folder in a temporary directory (the caller removes `root`). */
export async function copyFixture(name: string): Promise<{ root: string; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'rt-rtbuild-'));
  const dir = join(root, name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return { root, dir };
}

/**
 * What an rtbuild test suite makes and must undo, whatever its tests did: the images it names, fixture
 * copies, an rtbuild cache folder of its own, and anything else pushed onto `cleanups`.
 */
export class RtbuildWorkspace {
  readonly images: string[] = [];
  readonly cleanups: (() => Promise<void>)[] = [];
  engine!: Engine;
  cacheDir!: string;

  async open(): Promise<void> {
    this.engine = await testEngine();
    this.cacheDir = await mkdtemp(join(tmpdir(), 'rt-rtbuild-cache-'));
  }

  /** A private copy of a fixture folder, removed by close(). */
  async workdir(fixture: string): Promise<string> {
    const { root, dir } = await copyFixture(fixture);
    this.cleanups.push(() => rm(root, { recursive: true, force: true }));
    return dir;
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups) await cleanup();
    for (const image of this.images) await this.engine.removeImage(image, { force: true });
    await rm(this.cacheDir, { recursive: true, force: true });
  }
}

export interface AskOptions {
  path?: string;
  /** The request to send, repeated until the server answers (default: GET). */
  init?: RequestInit;
  env?: Record<string, string>;
}

/**
 * Starts a function image that carries its sources as the platform does (the one function container:
 * host networking on a free port, restricted profile), returns its first answer to the request, removes it.
 */
export async function askFunction(engine: Engine, image: string, options: AskOptions = {}): Promise<{ status: number; body: string }> {
  const info = await engine.inspectImage(image);
  const container = await FunctionContainer.start(engine, {
    image,
    family: runtimeById(info.env.FUNC_RUNTIME ?? '').family,
    purpose: 'test',
    port: { port: await freeLoopbackPort(), viaEnv: true },
    launch: { kind: 'entrypoint', volume: info.env.KUBELESS_INSTALL_VOLUME ?? DEFAULT_INSTALL_VOLUME, sources: undefined, env: { ...options.env } },
  });
  try {
    const url = `${container.url}${options.path ?? '/'}`;
    try {
      return await pollUntil(
        `an answer from ${url}`,
        async () => {
          const response = await fetch(url, { ...options.init, signal: AbortSignal.timeout(2000) });
          return { status: response.status, body: await response.text() };
        },
        { timeoutMs: 20_000 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncontainer logs:\n${await container.logTail()}`);
    }
  } finally {
    await container.remove();
  }
}

export async function savedEntriesContaining(engine: Engine, image: string, needle: string): Promise<{ scanned: number; hits: string[] }> {
  const wanted = Buffer.from(needle);
  const hits: string[] = [];
  let scanned = 0;
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      scanned++;
      if (Buffer.concat(chunks).includes(wanted)) hits.push(header.name);
      next();
    });
  });
  const finished = new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  (await engine.saveImage(image)).pipe(ex);
  await finished;
  return { scanned, hits };
}

/** Runs `sh -c script` in the image as its own user and returns stdout (fails on a non-zero exit). */
export async function shellInImage(engine: Engine, image: string, script: string): Promise<string> {
  const container = await engine.createContainer({ image, purpose: 'test', network: 'none', entrypoint: ['/bin/sh', '-c'], cmd: [script] });
  try {
    await container.start();
    const code = await container.wait();
    const logs = await container.logs();
    if (code !== 0) throw new Error(`"${script}" exited ${code}: ${logs.stderr}`);
    return logs.stdout;
  } finally {
    await container.remove();
  }
}

/**
 * Starts an override image as Kyma's controller would run the Function of `manifest` (section 11, the
 * one function container): `sh -c SCRIPT` with the manifest's inline source and no dependencies, on a
 * free port (FUNC_PORT), with a package-registry-config that points npm and pip at a closed port on
 * 127.0.0.1, so that any registry request fails: the image must need none (OVR-BAKED). Waits for
 * /healthz and returns the first answer to GET /, then removes the container.
 */
export async function askUnderKymaLaunch(engine: Engine, manifest: FunctionResource, options: { image?: string } = {}): Promise<{ status: number; body: string; logs: string }> {
  const fn = kymaFunctionOf(manifest, { namespace: 'tests' });
  const runtime = runtimeById(fn.runtimeId);
  const noRegistry = runtime.family.name === 'nodejs' ? 'registry=http://127.0.0.1:9/\n' : '[global]\nindex-url = http://127.0.0.1:9/simple\n';
  const container = await FunctionContainer.start(engine, {
    image: options.image ?? manifest.spec.runtimeImageOverride ?? '',
    family: runtime.family,
    purpose: 'test',
    port: { port: await freeLoopbackPort(), viaEnv: true },
    launch: { kind: 'kyma', fn, config: { traceCollectorEndpoint: '', publisherProxyAddress: '' }, registryConfig: { kind: 'file', content: noRegistry } },
  });
  try {
    const ready = await container.waitReady(60_000);
    if (!ready.ready) throw new Error(`${ready.reason}\ncontainer logs:\n${await container.logTail(40)}`);
    const answer = await container.call({ path: '/' });
    return { status: answer.status ?? 0, body: answer.text, logs: await container.logTail(40) };
  } finally {
    await container.remove();
  }
}

/** Copies an image from the Docker engine into Podman's storage (docker save | podman load), once. */
export async function intoPodman(podman: Engine, podmanHost: string, image: string): Promise<void> {
  if (await podman.imageExists(image)) return;
  await new Promise<void>((resolve, reject) => {
    const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('podman', ['--url', podmanHost, 'load', '-q'], { stdio: [save.stdout, 'ignore', 'pipe'] });
    let stderr = '';
    load.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    load.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`podman load of ${image} failed: ${stderr}`))));
  });
}

/**
 * Pulls into Podman from a registry on 127.0.0.1 (plain HTTP): Podman's Docker-compatible pull insists
 * on TLS for it, its own API takes tlsVerify=false.
 */
export async function podmanPull(podmanHost: string, reference: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { socketPath: podmanHost.replace(/^unix:\/\//, ''), method: 'POST', path: `/v4.0.0/libpod/images/pull?reference=${encodeURIComponent(reference)}&tlsVerify=false&quiet=true` },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => (response.statusCode === 200 && !body.includes('"error"') ? resolve() : reject(new Error(`podman pull ${reference}: ${body}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
