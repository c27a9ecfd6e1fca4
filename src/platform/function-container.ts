// One function container: an image started as a platform starts it, in one of the two launches of the
// contract, then waited for, called, read and removed. rtcheck, the integration tests, the benchmarks
// and `smoke` all start function images through here, so there is one way to do it.
//
// - "entrypoint": the image's own ENTRYPOINT/CMD with the function's sources copied into the
//   $KUBELESS_INSTALL_VOLUME volume before start (sections 1–10), the platform's env, by default the
//   Kubernetes restricted profile (IMG-RESTRICTED).
// - "kyma": Kyma's buildless launch (section 11): `sh -c SCRIPT` as the controller writes it, its user,
//   groups, volumes and environment order (see kyma.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Container, ContainerLogs, ContainerSpec, Engine } from '../engine/index.js';
import { type ArchiveEntry, packEntries } from '../image/archive.js';
import { type Exchange, type Request, send } from './exchange.js';
import { GIT_SOURCES, KYMA_GROUPS, KYMA_USER, type KymaConfig, type KymaFunction, kymaEnv, kymaScript, registryConfigPath } from './kyma.js';
import { RESTRICTED_PROFILE } from './profile.js';
import { boundedTail, printable } from './text.js';
import type { Family } from './runtimes.js';

export type LaunchKind = 'entrypoint' | 'kyma';

export interface EntrypointLaunch {
  readonly kind: 'entrypoint';
  /** $KUBELESS_INSTALL_VOLUME: an empty volume the sources are copied into before start. */
  readonly volume: string;
  /** Undefined for a function image that carries its sources (rtbuild's output): no volume then. */
  readonly sources: readonly ArchiveEntry[] | undefined;
  /** The platform's env for the function (FUNC_PORT is added from `port`). */
  readonly env: Readonly<Record<string, string>>;
  /** The Kubernetes restricted profile (default true). */
  readonly restricted?: boolean;
  /** Default: the image's user. */
  readonly user?: string;
  /** A command in place of the image's CMD (baselines: a bare server in a base image). */
  readonly command?: readonly string[];
}

/** What Kyma's controller mounts at package-registry-config/<file>: a Secret's file, or nothing. */
export type RegistryConfig =
  | { readonly kind: 'file'; readonly content: string }
  /** No Secret: Kubernetes creates an empty directory for the subPath of a missing optional Secret. */
  | { readonly kind: 'missing' };

export interface KymaLaunch {
  readonly kind: 'kyma';
  readonly fn: KymaFunction;
  readonly config: KymaConfig;
  /** KB-GIT: the files the init container leaves in /git-repository/src. */
  readonly gitSources?: readonly ArchiveEntry[];
  readonly registryConfig: RegistryConfig;
}

export type Launch = EntrypointLaunch | KymaLaunch;

export interface FunctionContainerSpec {
  readonly image: string;
  readonly family: Family;
  readonly launch: Launch;
  /** The port to reach it on; `viaEnv` sets FUNC_PORT (after every other variable, so it wins). */
  readonly port: { readonly port: number; readonly viaEnv: boolean };
  /** What it is for (a label), e.g. "rtcheck", "test", "bench". */
  readonly purpose: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Seconds `stop()` waits after SIGTERM before SIGKILL (default 10). */
  readonly stopTimeoutSeconds?: number;
  /** Called as soon as the container exists, before anything else can fail: lets callers track it for clean-up. */
  readonly onCreated?: (container: Container) => void;
}

export type Readiness =
  /** `healthzBroken`: /healthz answered this status while the function itself answered (see waitReady). */
  | { readonly ready: true; readonly ms: number; readonly healthz: Exchange; readonly healthzBroken?: number }
  | { readonly ready: false; readonly ms: number; readonly reason: string; readonly exitCode?: number };

/** How often the engine is asked whether a container that does not answer has exited. */
const INSPECT_EVERY_MS = 100;

function containerSpec(spec: FunctionContainerSpec, registryFile: string | undefined): ContainerSpec {
  const { launch } = spec;
  const base = {
    image: spec.image,
    purpose: spec.purpose,
    labels: { ...spec.labels },
    network: 'host' as const,
    stopTimeoutSeconds: spec.stopTimeoutSeconds ?? 10,
  };
  const portEnv: Record<string, string> = spec.port.viaEnv ? { FUNC_PORT: String(spec.port.port) } : {};
  if (launch.kind === 'entrypoint') {
    return {
      ...base,
      env: { ...launch.env, ...portEnv },
      volumes: launch.sources ? [launch.volume] : [],
      ...(launch.user !== undefined ? { user: launch.user } : {}),
      ...(launch.command ? { cmd: [...launch.command] } : {}),
      ...(launch.restricted === false ? {} : RESTRICTED_PROFILE),
    };
  }
  const family = spec.family;
  const workingDir = family.kyma.workingDir;
  const env = Object.fromEntries([...kymaEnv(family, launch.fn, launch.config), ...Object.entries(portEnv)]);
  // Empty writable volumes owned by the pod's user (fsGroup 1000): the working directory, /tmp, and
  // for Python /.local. A read-only root and no capabilities, as the controller's security contexts say.
  const owned = 'rw,uid=1000,gid=1000,mode=0775';
  const tmpfs: Record<string, string> = { [workingDir]: owned, '/tmp': 'rw,mode=1777' };
  for (const dir of family.kyma.extraVolumes) tmpfs[dir] = owned;
  const configPath = registryConfigPath(family);
  if (launch.registryConfig.kind === 'missing') tmpfs[configPath] = 'ro,mode=0755';
  return {
    ...base,
    env,
    entrypoint: ['sh'],
    cmd: ['-c', kymaScript(family, launch.fn.source)],
    user: KYMA_USER,
    groupAdd: [...KYMA_GROUPS],
    workingDir,
    readOnlyRootfs: true,
    capDrop: ['ALL'],
    securityOpt: ['no-new-privileges'],
    tmpfs,
    volumes: launch.gitSources ? [GIT_SOURCES] : [],
    binds: registryFile ? [{ source: registryFile, target: configPath, readOnly: true }] : [],
  };
}

export class FunctionContainer {
  /** When start() returned: "within N s" clauses count from here. */
  readonly startedAt: number;
  readonly url: string;

  private constructor(
    readonly spec: FunctionContainerSpec,
    readonly container: Container,
  ) {
    this.startedAt = Date.now();
    this.url = `http://127.0.0.1:${spec.port.port}`;
  }

  get launch(): LaunchKind {
    return this.spec.launch.kind;
  }

  get port(): number {
    return this.spec.port.port;
  }

  /** Where the function's sources are: the install volume, or Kyma's working directory. */
  get sourceDir(): string {
    return this.spec.launch.kind === 'entrypoint' ? this.spec.launch.volume : this.spec.family.kyma.workingDir;
  }

  /**
   * Creates the container, puts the sources in, starts it. On failure nothing is left behind. The
   * registry credential file is bind-mounted from a temporary file that is deleted once the container
   * has started (the mount keeps it), so nothing needs cleaning up later but the container.
   */
  static async start(engine: Engine, spec: FunctionContainerSpec): Promise<FunctionContainer> {
    let scratch: string | undefined;
    let registryFile: string | undefined;
    const { launch } = spec;
    if (launch.kind === 'kyma' && launch.registryConfig.kind === 'file') {
      scratch = await mkdtemp(join(tmpdir(), 'rt-function-'));
      registryFile = join(scratch, spec.family.registryConfigFile);
      await writeFile(registryFile, launch.registryConfig.content, { mode: 0o644 });
    }
    let container: Container | undefined;
    try {
      container = await engine.createContainer(containerSpec(spec, registryFile));
      spec.onCreated?.(container);
      if (launch.kind === 'entrypoint') {
        if (launch.sources) await container.putArchive(packEntries([...launch.sources]), launch.volume);
      } else if (launch.gitSources) {
        const under = launch.gitSources.map((entry) => ({ ...entry, path: posix.join('src', entry.path) }));
        await container.putArchive(packEntries([{ path: 'src', type: 'directory' }, ...under]), GIT_SOURCES);
      }
      await container.start();
      return new FunctionContainer(spec, container);
    } catch (error) {
      await container?.remove().catch(() => undefined);
      throw error;
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }

  call(request: Request): Promise<Exchange> {
    return send(this.url, request);
  }

  /**
   * Polls GET /healthz until it answers 200, the container exits, or `timeoutMs` (from start) passes.
   * With `fallbackPath`, a /healthz that keeps answering another status while the function answers
   * 200 on that path (twice, half a second apart) counts as ready with `healthzBroken`: a broken health
   * route is then one failed clause, not a failure of everything that waits for readiness.
   */
  async waitReady(timeoutMs: number, options: { fallbackPath?: string } = {}): Promise<Readiness> {
    const deadline = this.startedAt + timeoutMs;
    let inspected = 0;
    let servingSince: number | undefined;
    for (;;) {
      const last = await this.call({ path: '/healthz', timeoutMs: Math.max(200, Math.min(1000, deadline - Date.now())) });
      const ms = Date.now() - this.startedAt;
      if (last.status === 200) return { ready: true, ms, healthz: last };
      if (last.status !== undefined && options.fallbackPath) {
        const serving = (await this.call({ path: options.fallbackPath, timeoutMs: 1000 })).status === 200;
        servingSince = serving ? (servingSince ?? Date.now()) : undefined;
        if (servingSince !== undefined && Date.now() - servingSince >= 500) return { ready: true, ms, healthz: last, healthzBroken: last.status };
      }
      // Nothing listens yet: has the process ended? (Asked of the engine at most every 100 ms.)
      if (last.status === undefined && Date.now() - inspected >= INSPECT_EVERY_MS) {
        inspected = Date.now();
        const state = await this.container.inspect();
        if (!state.running) {
          return { ready: false, ms, exitCode: state.exitCode, reason: `the container exited with code ${state.exitCode} before /healthz answered 200` };
        }
      }
      if (Date.now() >= deadline) {
        const seen = last.status === undefined ? `no answer (${last.error ?? ''})` : `last answer ${last.status}`;
        return { ready: false, ms, reason: `GET ${this.url}/healthz did not answer 200 within ${timeoutMs} ms: ${seen}` };
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The last LOG_LINES lines of each stream (never all of them: an image may print without end). */
  logs(): Promise<ContainerLogs> {
    return this.container.logs({ tail: LOG_LINES });
  }

  /** The last lines of both streams, labelled; never throws (a removed container has no logs). */
  async logTail(lines = 20): Promise<string> {
    return formatLogs(await this.container.logs({ tail: lines }).catch(() => ({ stdout: '', stderr: '' })));
  }

  /**
   * The log lines of one request: from the marker a probe function writes for its id
   * (`[rtcheck-request ID]`, on both streams) to the next marker. Undefined when the request left no
   * marker (it never reached the function, or the function is not a probe).
   */
  async logsFor(id: string): Promise<string | undefined> {
    const logs = await this.container.logs({ tail: LOG_LINES }).catch(() => undefined);
    if (!logs) return undefined;
    const slice = (text: string): string | undefined => {
      const lines = text.split('\n');
      const start = lines.findIndex((line) => line.includes(`[rtcheck-request ${id}]`));
      if (start < 0) return undefined;
      const rest = lines.slice(start + 1);
      const end = rest.findIndex((line) => line.includes('[rtcheck-request '));
      return (end < 0 ? rest : rest.slice(0, end)).slice(0, 40).join('\n');
    };
    const stdout = slice(logs.stdout);
    const stderr = slice(logs.stderr);
    if (stdout === undefined && stderr === undefined) return undefined;
    return formatLogs({ stdout: stdout ?? '', stderr: stderr ?? '' }).replace('(the container printed nothing)', '(this request printed nothing)');
  }

  /** Removes the container and its anonymous volumes; no error when it is already gone. */
  remove(): Promise<void> {
    return this.container.remove();
  }
}

/** How many lines of a stream are ever read at once. */
const LOG_LINES = 1000;
/** How much of a stream goes into evidence. */
const LOG_CHARS = 6000;

/** rtcheck's request markers (see exchange.ts) are not what a reader of the evidence looks for. */
function withoutMarkers(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('[rtcheck-request '))
    .join('\n');
}

export function formatLogs(logs: ContainerLogs): string {
  const parts: string[] = [];
  const stdout = withoutMarkers(logs.stdout);
  const stderr = withoutMarkers(logs.stderr);
  if (stdout.trim()) parts.push(`[stdout]\n${printable(boundedTail(stdout.trimEnd(), LOG_CHARS))}`);
  if (stderr.trim()) parts.push(`[stderr]\n${printable(boundedTail(stderr.trimEnd(), LOG_CHARS))}`);
  return parts.join('\n') || '(the container printed nothing)';
}
