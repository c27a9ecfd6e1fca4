// One rtcheck run's shared state: the image and its runtime, the peers, the global deadline, and every
// container the run starts, under either launch. Containers are tracked from the moment they exist and
// removed at the end (or kept with --keep); once the run is closed, a late start is refused and a
// container that still appears is removed at once.
import type { Container, Engine, ImageInfo } from '../engine/index.js';
import { InvalidInputError } from '../errors.js';
import { entrypointEnv } from '../platform/env.js';
import { FunctionContainer, type LaunchKind } from '../platform/function-container.js';
import { DEFAULT_INSTALL_VOLUME, runtimeById } from '../platform/runtimes.js';
import type { KymaStart, LaunchOptions, RuntimeInfo, Subject } from './check.js';
import type { PeerServers, Peers } from './peers/index.js';
import { probeEntries } from './probes.js';
import { randomBytes } from 'node:crypto';
import { send } from '../platform/exchange.js';

/** The main probe's route that answers the container's RTCHECK_NONCE. */
const NONCE_PATH = '/__rtcheck/nonce';
import type { FunctionResource } from '../platform/function-resource.js';
import type { KymaFunction } from '../platform/kyma.js';

/** The label that says what a container was for in the run ("main", "kb-git", …). */
export const ROLE_LABEL = 'io.rt-toolchain.rtcheck-role';

/**
 * The Function rtcheck plays: its name, namespace and own variables (spec.env). FUNC_TIMEOUT is short
 * so that RES-TIMEOUT takes seconds; FUNC_MEMORY_LIMIT is set so CTX-FIELDS can see memory-limit.
 */
export const PROBE_FUNCTION = Object.freeze({
  name: 'rtcheck-probe',
  namespace: 'rtcheck',
  env: Object.freeze({ FUNC_TIMEOUT: '2', REQ_MB_LIMIT: '1', FUNC_MEMORY_LIMIT: '128Mi' }),
});

export function resolveRuntime(flag: string | undefined, declared: string | undefined): RuntimeInfo {
  const id = flag ?? declared;
  if (!id) {
    throw new InvalidInputError('the image does not set FUNC_RUNTIME (IMG-RUNTIME) and no --runtime was given', {
      hint: 'add ENV FUNC_RUNTIME=<id> to the image (e.g. nodejs22, python312), or pass --runtime <id>',
    });
  }
  const runtime = runtimeById(id, flag ? '' : ' (from FUNC_RUNTIME in the image)');
  return { id, family: runtime.family.name, facts: runtime.family, runtime, moduleFile: runtime.family.kyma.handlerFile };
}


export class Session {
  private readonly containers: Container[] = [];
  private closed = false;
  readonly volume: string;

  constructor(
    readonly engine: Engine,
    readonly imageRef: string,
    readonly image: ImageInfo,
    readonly runtime: RuntimeInfo,
    readonly peerServers: PeerServers,
    readonly deadline: number,
    readonly keep: boolean,
    readonly log: (line: string) => void,
    /** With --function: the Function resource and how Kyma's launch runs it. */
    readonly fn?: { resource: FunctionResource; kyma: KymaFunction },
  ) {
    this.volume = image.env.KUBELESS_INSTALL_VOLUME || DEFAULT_INSTALL_VOLUME;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  peers(launch: LaunchKind): Peers {
    return this.peerServers.forLaunch(launch);
  }

  /** The platform's env for a function under the image's own entrypoint. */
  entrypointEnv(): Record<string, string> {
    const peers = this.peers('entrypoint');
    return entrypointEnv(
      { ...PROBE_FUNCTION, runtimeId: this.runtime.id },
      { traceCollectorEndpoint: peers.tracesUrl, publisherProxyAddress: peers.publisherUrl },
    );
  }

  /** The Function's variables as its containers get them (CTX-FIELDS compares against these). */
  functionEnv(): Record<string, string> {
    return { FUNC_NAME: PROBE_FUNCTION.name, FUNC_RUNTIME: this.runtime.id, SERVICE_NAMESPACE: PROBE_FUNCTION.namespace, ...PROBE_FUNCTION.env };
  }

  /** Each container's RTCHECK_NONCE, which the main probe answers on /__rtcheck/nonce: who answered. */
  private readonly nonces = new Map<string, { role: string; port: number }>();
  private readonly nonceOf = new WeakMap<Subject, string>();

  private newNonce(role: string, port: number): string {
    const nonce = randomBytes(8).toString('hex');
    this.nonces.set(nonce, { role, port });
    return nonce;
  }

  private async nonceAt(port: number): Promise<string | undefined> {
    const answer = await send(`http://127.0.0.1:${port}`, { path: NONCE_PATH, timeoutMs: 2000 });
    return answer.status === 200 ? answer.text.trim() : undefined;
  }

  /**
   * Whether the container that answers on `subject`'s port is `subject` itself, for containers running
   * the main probe: with host networking, an image that ignores FUNC_PORT answers on 8080 for every
   * container of the run. Undefined when it is (or cannot be told); otherwise what answered instead.
   */
  async impostor(subject: Subject): Promise<string | undefined> {
    const mine = this.nonceOf.get(subject);
    if (mine === undefined) return undefined;
    const answered = await this.nonceAt(subject.port);
    if (answered === undefined || answered === mine) return undefined;
    const other = this.nonces.get(answered);
    return other ? `the ${other.role} container of this run (started with FUNC_PORT=${other.port})` : 'another process';
  }

  /** What holds 127.0.0.1:`port`, when it is a container of this run: the image then ignores FUNC_PORT. */
  async ownContainerOn(port: number): Promise<string | undefined> {
    const answered = await this.nonceAt(port);
    const other = answered === undefined ? undefined : this.nonces.get(answered);
    return other && other.port !== port ? `the ${other.role} container of this run, started with FUNC_PORT=${other.port}` : undefined;
  }

  /** Registers a container of the run: it is removed when the run closes (or at once, if it has). */
  readonly track = (container: Container): void => {
    this.containers.push(container);
    if (this.closed && !this.keep) void container.remove().catch(() => undefined);
  };

  private guard(): void {
    if (this.closed) throw new Error('the run is over (global deadline)');
  }

  /** A container under the image's own entrypoint: probe in the volume, platform env, FUNC_PORT. */
  async startEntrypoint(role: string, options: LaunchOptions & { port: number; restricted: boolean }): Promise<Subject> {
    this.guard();
    const nonce = this.newNonce(role, options.port);
    const env: Record<string, string> = { ...this.entrypointEnv(), ...options.env, RTCHECK_NONCE: nonce };
    for (const name of options.unsetEnv ?? []) delete env[name];
    const subject = await FunctionContainer.start(this.engine, {
      image: this.imageRef,
      family: this.runtime.facts,
      purpose: 'rtcheck',
      labels: { [ROLE_LABEL]: role },
      port: { port: options.port, viaEnv: !options.defaultPort },
      launch: {
        kind: 'entrypoint',
        volume: options.volume ?? this.volume,
        sources: await probeEntries(this.runtime.facts, options.probe ?? 'main'),
        env,
        restricted: options.restricted,
        ...(options.user !== undefined ? { user: options.user } : {}),
      },
      onCreated: this.track,
    });
    if ((options.probe ?? 'main') === 'main') this.nonceOf.set(subject, nonce);
    this.log(`started ${role} container ${subject.container.id.slice(0, 12)} on ${subject.url}${options.restricted ? ' (restricted profile)' : ''}`);
    return subject;
  }

  /** A container started as Kyma's controller starts it (contract section 11). */
  async startKyma(role: string, start: KymaStart & { port: { port: number; viaEnv: boolean } }, probe?: 'main'): Promise<Subject> {
    this.guard();
    const peers = this.peers('kyma');
    const nonce = this.newNonce(role, start.port.port);
    const subject = await FunctionContainer.start(this.engine, {
      image: this.imageRef,
      family: this.runtime.facts,
      purpose: 'rtcheck',
      labels: { [ROLE_LABEL]: role },
      port: start.port,
      launch: {
        kind: 'kyma',
        fn: {
          ...PROBE_FUNCTION,
          runtimeId: this.runtime.id,
          source: start.source,
          env: Object.entries({ ...PROBE_FUNCTION.env, ...start.env, RTCHECK_NONCE: nonce }),
        },
        config: { traceCollectorEndpoint: peers.tracesUrl, publisherProxyAddress: peers.publisherUrl },
        registryConfig: start.registryConfig,
        ...(start.gitSources ? { gitSources: start.gitSources } : {}),
      },
      onCreated: this.track,
    });
    if (probe === 'main') this.nonceOf.set(subject, nonce);
    this.log(`started ${role} container ${subject.container.id.slice(0, 12)} under Kyma's launch on ${subject.url}`);
    return subject;
  }

  /** Removes every container of the run (unless --keep); returns the ids kept. */
  async close(): Promise<string[]> {
    this.closed = true;
    if (!this.keep) await Promise.all(this.containers.map((container) => container.remove().catch(() => undefined)));
    await this.peerServers.close();
    return this.keep ? this.containers.map((container) => container.id) : [];
  }
}
