// Containers: create one from a spec (always labelled, so it can be found and removed), the handle to
// it (copy in, start, stop, signal, wait, logs, inspect, remove), and finding or removing by label.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ContainerError, ImageNotFoundError } from '../errors.js';
import { engineText, statusOf } from './engine-errors.js';
import { LABEL_MANAGED, managedLabels } from './labels.js';
import { demuxLogs } from './logs.js';
import type { Container, ContainerLogs, ContainerSpec, ContainerState, ContainerSummary } from './types.js';

export async function createContainer(docker: Docker, spec: ContainerSpec): Promise<Container> {
  const labels = { ...spec.labels, ...managedLabels(spec.purpose) };
  const options: Docker.ContainerCreateOptions = {
    Image: spec.image,
    Labels: labels,
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(spec.name ? { name: spec.name } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.stopTimeoutSeconds !== undefined ? { StopTimeout: spec.stopTimeoutSeconds } : {}),
    HostConfig: {
      // Empty anonymous volumes, like the platform's emptyDir: NoCopy keeps the image's own files at
      // that path (a final function image's sources) from being copied into the volume.
      Mounts: [...(spec.volumes ?? []).map(emptyVolume), ...(spec.binds ?? []).map(bindMount)],
      ...(spec.groupAdd?.length ? { GroupAdd: spec.groupAdd } : {}),
      NetworkMode: spec.network,
      ReadonlyRootfs: spec.readOnlyRootfs ?? false,
      Tmpfs: spec.tmpfs ?? {},
      CapDrop: spec.capDrop ?? [],
      CapAdd: spec.capAdd ?? [],
      SecurityOpt: spec.securityOpt ?? [],
      AutoRemove: false,
    },
  };
  let created: Docker.Container;
  try {
    created = await docker.createContainer(options);
  } catch (cause) {
    if (statusOf(cause) === 404) throw new ImageNotFoundError(spec.image, { cause });
    throw new ContainerError(`could not create a container from ${spec.image}: ${engineText(cause)}`, { cause });
  }
  return new DockerContainer(created);
}

export async function listContainers(docker: Docker, labels: Record<string, string>): Promise<ContainerSummary[]> {
  const filter = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  const found = await docker.listContainers({ all: true, filters: { label: filter } });
  return found.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State }));
}

export async function removeContainers(docker: Docker, labels: Record<string, string>): Promise<number> {
  const found = await listContainers(docker, { [LABEL_MANAGED]: 'true', ...labels });
  await Promise.all(found.map((c) => new DockerContainer(docker.getContainer(c.id)).remove()));
  return found.length;
}

class DockerContainer implements Container {
  constructor(private readonly container: Docker.Container) {}

  get id(): string {
    return this.container.id;
  }

  async putArchive(tar: Readable | Buffer, path: string): Promise<void> {
    try {
      await this.container.putArchive(tar, { path });
    } catch (cause) {
      const text = engineText(cause);
      throw new ContainerError(`could not copy files into ${path} of container ${this.short()}: ${text}`, {
        cause,
        // The engine says why only in its text; it picks the hint, not the error class.
        hint: /read-only/i.test(text)
          ? 'the root filesystem is read-only: copy into a volume (ContainerSpec.volumes), as the platform mounts one'
          : 'the target path must exist in the image or be a volume',
      });
    }
  }

  async start(): Promise<void> {
    try {
      await this.container.start();
    } catch (cause) {
      throw new ContainerError(`could not start container ${this.short()}: ${engineText(cause)}`, { cause });
    }
  }

  async stop(timeoutSeconds = 10): Promise<void> {
    try {
      await this.container.stop({ t: timeoutSeconds });
    } catch (cause) {
      // 304: already stopped.
      if (statusOf(cause) === 304) return;
      throw new ContainerError(`could not stop container ${this.short()}: ${engineText(cause)}`, { cause });
    }
  }

  async kill(signal = 'SIGKILL'): Promise<void> {
    try {
      await this.container.kill({ signal });
    } catch (cause) {
      throw new ContainerError(`could not send ${signal} to container ${this.short()}: ${engineText(cause)}`, {
        cause,
      });
    }
  }

  async wait(options: { signal?: AbortSignal } = {}): Promise<number> {
    const result = (await this.container.wait(options.signal ? { abortSignal: options.signal } : {})) as {
      StatusCode: number;
    };
    return result.StatusCode;
  }

  async logs(options: { tail?: number } = {}): Promise<ContainerLogs> {
    const buffer = await this.container.logs({
      stdout: true,
      stderr: true,
      follow: false,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
    });
    return demuxLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
  }

  async inspect(): Promise<ContainerState> {
    const info = await this.container.inspect();
    const state = info.State;
    return {
      status: state.Status,
      running: state.Running,
      exitCode: state.ExitCode,
      oomKilled: state.OOMKilled,
      pid: state.Pid,
      startedAt: state.StartedAt,
      finishedAt: state.FinishedAt,
    };
  }

  async remove(): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true });
    } catch (cause) {
      const status = statusOf(cause);
      // 404: already gone; 409: removal already in progress.
      if (status === 404 || status === 409) return;
      throw new ContainerError(`could not remove container ${this.short()}: ${engineText(cause)}`, { cause });
    }
  }

  private short(): string {
    return this.container.id.slice(0, 12);
  }
}

/** An anonymous volume at `target` that starts empty. An empty Source means anonymous. */
function emptyVolume(target: string): Docker.MountSettings {
  // @types/dockerode marks optional API fields (Labels, DriverConfig) as required.
  return { Type: 'volume', Source: '', Target: target, VolumeOptions: { NoCopy: true } } as unknown as Docker.MountSettings;
}

/** A host path mounted at `target`. */
function bindMount(bind: { source: string; target: string; readOnly?: boolean }): Docker.MountSettings {
  return { Type: 'bind', Source: bind.source, Target: bind.target, ReadOnly: bind.readOnly ?? false } as unknown as Docker.MountSettings;
}
