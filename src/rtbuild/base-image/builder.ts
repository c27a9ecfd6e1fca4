// rtbuild base: build a runtime base image from its folder, label it, prove it keeps the contract
// with the rtcheck suite, and only then publish it (the version tag and a tag with the git revision).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { runConformance } from '../../rtcheck/run.js';
import { renderText } from '../../rtcheck/report/text.js';
import { countResults, exitCodeForResults } from '../../rtcheck/result.js';
import type { Engine } from '../../engine/index.js';
import { BuildFailedError, ContractFailedError, InvalidInputError } from '../../errors.js';
import { formatReference, parseReference } from '../../image/reference.js';
import { packEntries, readDirectoryEntries, sourceDateEpoch } from '../../image/archive.js';
import { createIgnoreMatcher } from '../function/ignore.js';
import { gitFacts } from '../../image/labels.js';
import { findUpward } from '../../project-files.js';
import { type PushedReference, pushTags } from '../publish/registry.js';

/** The base images this project ships: where they live and how their build context is prepared. */
export const PROJECT_RUNTIMES = {
  nodejs20: {
    folder: join('base-images', 'nodejs20'),
    upstreamEnv: 'NODE_BASE_IMAGE',
    // The server is compiled and its production node_modules staged on the host: containers cannot
    // reach the npm registry on offline machines.
    prepare: [
      ['npm', 'ci', '--no-audit', '--no-fund', '--loglevel=error'],
      ['npm', 'run', '--silent', 'image-context'],
    ],
  },
  python312: {
    folder: join('base-images', 'python312'),
    upstreamEnv: 'PYTHON_BASE_IMAGE',
    prepare: [['bash', join('scripts', 'image-context.sh')]],
  },
} as const;

export type ProjectRuntime = keyof typeof PROJECT_RUNTIMES;

export interface BaseImageRequest {
  /** One of the project's runtimes, or undefined with `context`. */
  runtime: ProjectRuntime | undefined;
  /** A runtime image folder (Dockerfile with `ARG BASE_IMAGE`) instead of the project's own. */
  context: string | undefined;
  /** REGISTRY/NAME:VERSION */
  tag: string;
  /** Upstream image for the `BASE_IMAGE` build argument; default: the Dockerfile's own. */
  upstream: string | undefined;
  push: boolean;
  strict: boolean;
}

export interface BaseImageResult {
  imageId: string;
  tags: string[];
  conformance: { passed: number; failed: number; warned: number; skipped: number; ms: number };
  pushed: PushedReference[];
  timingsMs: { prepare: number; build: number; check: number; push: number };
}

type Reporter = (line: string) => void;

/** The repository root: where base-images/ is, from the sources or from the built CLI in dist/. */
function projectRoot(): string {
  const found = findUpward(import.meta.dirname, 'base-images');
  if (!found) throw new InvalidInputError('cannot find the base-images/ folder of this project', { hint: 'run rtbuild base from a clone of the project, or pass --context DIR' });
  return dirname(found);
}

export function parseBaseRequest(runtime: string | undefined, options: Omit<BaseImageRequest, 'runtime'>): BaseImageRequest {
  if (runtime !== undefined && !(runtime in PROJECT_RUNTIMES)) {
    throw new InvalidInputError(`unknown runtime "${runtime}"`, { hint: `use one of: ${Object.keys(PROJECT_RUNTIMES).join(', ')}, or --context DIR for your own image folder` });
  }
  if ((runtime === undefined) === (options.context === undefined)) {
    throw new InvalidInputError('name exactly one of a runtime (nodejs20, python312) or --context DIR', {
      hint: 'e.g. rtbuild base nodejs20 --tag 127.0.0.1:5000/runtimes/nodejs20:1.0.0',
    });
  }
  const ref = parseReference(options.tag);
  if (!ref.tag || ref.digest) {
    throw new InvalidInputError(`--tag ${options.tag} needs a version tag and no digest`, { hint: 'e.g. --tag registry.example/runtimes/nodejs20:1.2.0' });
  }
  return { ...options, runtime: runtime as ProjectRuntime | undefined };
}

function run(command: readonly string[], cwd: string, report: Reporter): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const [program, ...args] = command as [string, ...string[]];
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        report(`  ${line}`);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (cause) => reject(new BuildFailedError(`could not run ${program}: ${cause.message}`, { cause })));
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new BuildFailedError(`preparing the build context failed: "${command.join(' ')}" exited with ${code}`, { details: tail.join('\n') }));
    });
  });
}

async function contextOf(folder: string): Promise<Readable> {
  if (!existsSync(join(folder, 'Dockerfile'))) {
    throw new InvalidInputError(`${folder} has no Dockerfile`, { hint: 'a runtime image folder holds a Dockerfile whose base is ARG BASE_IMAGE' });
  }
  const ignoreFile = join(folder, '.dockerignore');
  const lines = existsSync(ignoreFile) ? (await readFile(ignoreFile, 'utf8')).split('\n') : [];
  const matcher = createIgnoreMatcher(lines);
  const entries = await readDirectoryEntries(folder, {
    // As the engine does: the Dockerfile always goes; an ignored folder is still walked when a "!" rule may bring back part of it.
    exclude: (path, isDirectory) =>
      path !== 'Dockerfile' && matcher.ignores(path) && !(isDirectory && matcher.mayReinclude(path)),
  });
  return packEntries(entries);
}

export async function buildBaseImage(engine: Engine, request: BaseImageRequest, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<BaseImageResult> {
  const timings = { prepare: 0, build: 0, check: 0, push: 0 };
  const project = request.runtime ? PROJECT_RUNTIMES[request.runtime] : undefined;
  const folder = project ? join(projectRoot(), project.folder) : resolve(request.context ?? '.');
  const upstream = request.upstream ?? (project ? env[project.upstreamEnv] : undefined);
  const ref = parseReference(request.tag);

  let started = Date.now();
  if (project) {
    for (const command of project.prepare) {
      report(`rtbuild base: ${command.join(' ')}`);
      await run(command, folder, report);
    }
  }
  timings.prepare = Date.now() - started;

  const git = await gitFacts(folder);
  const labels: Record<string, string> = {
    'org.opencontainers.image.version': ref.tag ?? '',
    'org.opencontainers.image.created': new Date((env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : Math.floor(Date.now() / 1000)) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(request.runtime ? { 'org.opencontainers.image.title': `${request.runtime} function runtime` } : {}),
    ...(git.revision ? { 'org.opencontainers.image.revision': git.revision } : {}),
    ...(git.remote ? { 'org.opencontainers.image.source': git.remote } : {}),
    ...(upstream ? { 'org.opencontainers.image.base.name': upstream } : {}),
  };
  started = Date.now();
  report(`rtbuild base: building ${request.tag} from ${folder}${upstream ? ` on ${upstream}` : ''}`);
  const built = await engine.buildImage(await contextOf(folder), {
    tags: [request.tag],
    labels,
    ...(upstream ? { buildArgs: { BASE_IMAGE: upstream } } : {}),
    onProgress: (event) => {
      // Step headers only (classic "Step 2/9 : …", BuildKit "[2/9] …" / "CACHED [2/9] …"), not their output.
      if (/^(Step \d+\/\d+ :|(CACHED )?\[)/.test(event.text)) report(`  ${event.text}`);
    },
  });
  timings.build = Date.now() - started;

  started = Date.now();
  report(`rtbuild base: checking ${request.tag} against the runtime contract (rtcheck)`);
  const summary = await runConformance({ engine, image: built.id, ...(request.runtime ? { runtime: request.runtime } : {}), strict: request.strict, log: () => {} });
  timings.check = Date.now() - started;
  report(renderText(summary).trimEnd());
  const counts = countResults(summary.results);
  const conformance = { passed: counts.pass, failed: counts.fail, warned: counts.warn, skipped: counts.skip, ms: timings.check };
  if (exitCodeForResults(summary.results) !== 0) {
    const failed = summary.results.filter((r) => r.status === 'fail').map((r) => r.clause);
    throw new ContractFailedError(`${request.tag} does not keep the runtime contract (failed: ${failed.join(', ')}); it was not pushed`, {
      hint: 'fix the clauses listed in the report above; rtcheck IMAGE shows the same report',
    });
  }

  const tags = [request.tag];
  if (git.revision) {
    const revisionTag = formatReference({ ...ref, tag: git.revision.slice(0, 12), digest: undefined });
    await engine.tagImage(built.id, revisionTag);
    tags.push(revisionTag);
  }
  let pushed: PushedReference[] = [];
  if (request.push) {
    started = Date.now();
    report(`rtbuild base: pushing ${tags.join(', ')}`);
    pushed = await pushTags(engine, tags, { env });
    timings.push = Date.now() - started;
    for (const p of pushed) report(`rtbuild base: pushed ${p.reference}@${p.digest}`);
  }
  return { imageId: built.id, tags, conformance, pushed, timingsMs: timings };
}
