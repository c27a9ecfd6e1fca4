// The image under test, run as the platform runs it: host networking, the function copied into the
// $KUBELESS_INSTALL_VOLUME volume before start (no bind mounts), the platform's env, and by default the
// Kubernetes restricted profile. Readiness is polled against a deadline, never waited for by sleeping.
import { packEntries, readDirectoryEntries } from '../image/archive.js';
import { type Container, type Engine } from '../engine/index.js';
import { type Exchange, send } from '../platform/exchange.js';
import { RESTRICTED_PROFILE } from '../platform/profile.js';

export interface SubjectSpec {
  /** What this container is for, e.g. "main", "load-fail"; becomes a label. */
  role: string;
  image: string;
  /** Folder whose contents go into `volume`. */
  probeDir: string;
  volume: string;
  env: Record<string, string>;
  /** The port the runtime should listen on (FUNC_PORT, or 8080 when FUNC_PORT is not set). */
  port: number;
  user?: string;
  restricted: boolean;
}

export interface Subject {
  readonly spec: SubjectSpec;
  readonly container: Container;
  readonly url: string;
  /** When start() returned, for "within N s" clauses. */
  readonly startedAt: number;
  call(request: Parameters<typeof send>[1]): Promise<Exchange>;
  logTail(lines?: number): Promise<string>;
}


export const ROLE_LABEL = 'io.rt-toolchain.rtcheck-role';

/** Creates the container, copies the probe in and starts it. The caller removes it (see Subjects). */
export async function startSubject(engine: Engine, spec: SubjectSpec, track: (container: Container) => void): Promise<Subject> {
  const container = await engine.createContainer({
    image: spec.image,
    purpose: 'rtcheck',
    labels: { [ROLE_LABEL]: spec.role },
    network: 'host',
    env: spec.env,
    volumes: [spec.volume],
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.restricted ? RESTRICTED_PROFILE : {}),
    stopTimeoutSeconds: 10,
  });
  track(container);
  await container.putArchive(await probeArchive(spec.probeDir), spec.volume);
  await container.start();
  const startedAt = Date.now();
  const url = `http://127.0.0.1:${spec.port}`;
  return {
    spec,
    container,
    url,
    startedAt,
    call: (request) => send(url, request),
    logTail: async (lines = 20) => formatLogs(await container.logs({ tail: lines }).catch(() => ({ stdout: '', stderr: '' }))),
  };
}

/** A folder named node_modules would be ignored by git, so probes keep their dependencies in node_modules.in/. */
const DEPENDENCIES_IN = 'node_modules.in';

export async function probeArchive(dir: string): Promise<ReturnType<typeof packEntries>> {
  const entries = (await readDirectoryEntries(dir)).map((entry) =>
    entry.path === DEPENDENCIES_IN || entry.path.startsWith(`${DEPENDENCIES_IN}/`) ? { ...entry, path: `node_modules${entry.path.slice(DEPENDENCIES_IN.length)}` } : entry,
  );
  return packEntries(entries);
}

export function formatLogs(logs: { stdout: string; stderr: string }): string {
  const parts: string[] = [];
  if (logs.stdout.trim()) parts.push(`[stdout]\n${logs.stdout.trimEnd()}`);
  if (logs.stderr.trim()) parts.push(`[stderr]\n${logs.stderr.trimEnd()}`);
  return parts.join('\n') || '(the container printed nothing)';
}

const INSPECT_EVERY_MS = 100;

export type Readiness =
  | { ready: true; ms: number; healthz: Exchange }
  | { ready: false; ms: number; reason: string; exitCode?: number };

/**
 * Polls GET /healthz until it answers 200, the container exits, or `timeoutMs` passes.
 */
export async function waitReady(subject: Subject, timeoutMs: number): Promise<Readiness> {
  const deadline = subject.startedAt + timeoutMs;
  let last: Exchange | undefined;
  let inspected = 0;
  for (;;) {
    last = await subject.call({ path: '/healthz', timeoutMs: 1000 });
    const ms = Date.now() - subject.startedAt;
    if (last.status === 200) return { ready: true, ms, healthz: last };
    // Nothing listens yet: has the process ended? (Asked of the engine at most every 100 ms.)
    if (last.status === undefined && Date.now() - inspected >= INSPECT_EVERY_MS) {
      inspected = Date.now();
      const state = await subject.container.inspect();
      if (!state.running) {
        return { ready: false, ms, exitCode: state.exitCode, reason: `the container exited with code ${state.exitCode} before /healthz answered 200` };
      }
    }
    if (Date.now() >= deadline) {
      const seen = last.status === undefined ? `no answer (${last.error ?? ''})` : `last answer ${last.status}`;
      return { ready: false, ms, reason: `GET ${subject.url}/healthz did not answer 200 within ${timeoutMs} ms: ${seen}` };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
