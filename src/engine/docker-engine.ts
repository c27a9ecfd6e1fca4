// Containers through dockerode: create (always labelled), the handle to one, list and remove by label.
// client.ts loads this file (and dockerode with it) only when a container is first asked for: images,
// builds and loads go over the engine's HTTP API without it (issue 16: dockerode costs every rtbuild start).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ContainerError } from '../errors.js';
import { createContainer, listContainers, removeContainers } from './containers.js';
import type { Container, ContainerLogs, ContainerSpec, ContainerState, ContainerSummary, Engine } from './types.js';

/** The part of the Engine that makes and finds containers. */
export type ContainerEngine = Pick<Engine, 'createContainer' | 'stopCreating' | 'listContainers' | 'removeContainers'>;

export class DockerEngine implements ContainerEngine {
  constructor(
    private readonly docker: Docker,
    readonly endpoint: string,
  ) {}

  /**
   * While the process shuts down (SIGINT), a container whose create was in flight when the clean-up
   * listed this process's containers would be missed and then started: so once `stopCreating` is
   * called, no container is created or started, and one that lands later is removed at once.
   */
  private creationClosed = false;
  private readonly creating = new Set<Promise<unknown>>();

  private podman: Promise<boolean> | undefined;

  /** Whether the engine is Podman's Docker-compatible service (it names itself in /version). */
  private isPodman(): Promise<boolean> {
    this.podman ??= this.docker.version().then(
      (v) => ((v as { Components?: { Name?: string }[] }).Components ?? []).some((c) => /podman/i.test(c.Name ?? '')),
      () => false,
    );
    return this.podman;
  }

  async createContainer(spec: ContainerSpec): Promise<Container> {
    if (this.creationClosed) throw new ContainerError(`not creating a container from ${spec.image}: the process is shutting down`);
    const pending = createContainer(this.docker, await this.forEngine(spec));
    this.creating.add(pending);
    let created: Container;
    try {
      created = await pending;
    } finally {
      this.creating.delete(pending);
    }
    if (this.creationClosed) {
      await created.remove();
      throw new ContainerError(`removed a container from ${spec.image} created while the process was shutting down`);
    }
    return new GuardedContainer(created, () => this.creationClosed);
  }

  /**
   * Podman refuses the tmpfs options uid= and gid= that Docker passes to the kernel; its own option U
   * gives the mount to the container's user, which is what those options ask for here (an emptyDir
   * owned by the pod's user).
   */
  private async forEngine(spec: ContainerSpec): Promise<ContainerSpec> {
    const owned = Object.values(spec.tmpfs ?? {}).some((options) => /(^|,)(uid|gid)=/.test(options));
    if (!owned || !(await this.isPodman())) return spec;
    const tmpfs = Object.fromEntries(
      Object.entries(spec.tmpfs ?? {}).map(([path, options]) => {
        const kept = options.split(',').filter((option) => !/^(uid|gid)=/.test(option));
        return [path, options === kept.join(',') ? options : [...kept, 'U'].join(',')];
      }),
    );
    return { ...spec, tmpfs };
  }

  async stopCreating(): Promise<void> {
    this.creationClosed = true;
    await Promise.allSettled([...this.creating]);
  }

  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return listContainers(this.docker, labels);
  }

  removeContainers(labels: Record<string, string>): Promise<number> {
    return removeContainers(this.docker, labels);
  }
}

/** A container that refuses to start once its engine has stopped creating (see DockerEngine.stopCreating). */
class GuardedContainer implements Container {
  constructor(
    private readonly inner: Container,
    private readonly closed: () => boolean,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  async start(): Promise<void> {
    if (this.closed()) throw new ContainerError(`not starting container ${this.inner.id.slice(0, 12)}: the process is shutting down`);
    await this.inner.start();
  }

  putArchive(tar: Readable | Buffer, path: string): Promise<void> {
    return this.inner.putArchive(tar, path);
  }

  stop(timeoutSeconds?: number): Promise<void> {
    return this.inner.stop(timeoutSeconds);
  }

  kill(signal?: string): Promise<void> {
    return this.inner.kill(signal);
  }

  wait(options?: { signal?: AbortSignal }): Promise<number> {
    return this.inner.wait(options);
  }

  logs(options?: { tail?: number }): Promise<ContainerLogs> {
    return this.inner.logs(options);
  }

  inspect(): Promise<ContainerState> {
    return this.inner.inspect();
  }

  remove(): Promise<void> {
    return this.inner.remove();
  }
}
