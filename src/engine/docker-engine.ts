// The Engine interface on top of dockerode. The only file that calls dockerode's methods.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import {
  BuildFailedError,
  ContainerError,
  EngineRequestError,
  ImageNotFoundError,
  PullFailedError,
  PushFailedError,
} from '../errors.js';
import { formatReference, parseReference, repositoryName } from '../image/reference.js';
import { TraceDecodeError, TraceRenderer, decodeTrace } from './buildkit-trace.js';
import { type EngineMessage, StreamFailure, auxObject, messageText, readEngineStream } from './json-stream.js';
import { LABEL_MANAGED, managedLabels } from './labels.js';
import { demuxLogs } from './logs.js';
import type {
  BuildOptions,
  Builder,
  BuiltImage,
  Container,
  ContainerLogs,
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  Engine,
  EngineVersion,
  HistoryEntry,
  ImageInfo,
  ProgressEvent,
  ProgressListener,
  PushResult,
  RegistryAuth,
} from './types.js';

/** How many lines of build output a failure carries as evidence. */
const EVIDENCE_LINES = 30;

interface HttpError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as HttpError | null)?.statusCode;
}

function engineText(error: unknown): string {
  const e = error as HttpError | null;
  return (e?.json?.message ?? e?.message ?? String(error)).trim();
}

export class DockerEngine implements Engine {
  private hasBridge: Promise<boolean> | undefined;

  constructor(
    private readonly docker: Docker,
    readonly endpoint: string,
  ) {}

  async version(): Promise<EngineVersion> {
    const v = await this.docker.version();
    return { apiVersion: v.ApiVersion, version: v.Version, os: v.Os, arch: v.Arch };
  }

  async buildImage(context: Readable, options: BuildOptions = {}): Promise<BuiltImage> {
    const tags = options.tags ?? [];
    const builder = options.builder ?? 'buildkit';
    const log: string[] = [];
    const progress = (line: string): void => {
      log.push(line);
      emit(options.onProgress, 'build', line);
    };
    const trace = new TraceRenderer(progress);
    let stream: Readable;
    try {
      stream = (await this.docker.buildImage(context, {
        t: tags,
        dockerfile: options.dockerfile ?? 'Dockerfile',
        buildargs: options.buildArgs ?? {},
        labels: options.labels ?? {},
        networkmode: await this.buildNetwork(builder, options.networkMode ?? 'default'),
        platform: options.platform ?? '',
        nocache: options.noCache ?? false,
        rm: true,
        forcerm: true,
        // A number, not "2": dockerode opens a gRPC session for version "2", which serves only registry
        // credentials to BuildKit (base images are pulled before the build) and costs ~40 ms a build.
        ...(builder === 'buildkit' ? { version: 2 } : {}),
        ...(options.registryAuths?.length ? { registryconfig: registryConfig(options.registryAuths) } : {}),
        ...(options.signal ? { abortSignal: options.signal } : {}),
        // The API takes `t` once per tag; docker-modem repeats array parameters.
      } as unknown as Docker.ImageBuildOptions)) as unknown as Readable;
    } catch (cause) {
      throw new BuildFailedError(engineText(cause), { cause, hint: 'check the build context and the Dockerfile' });
    }

    let imageId: string | undefined;
    const onMessage = (message: EngineMessage): void => {
      if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') {
        try {
          trace.push(decodeTrace(message.aux));
        } catch (cause) {
          // Progress is lost, not the build: the outcome comes in its own messages.
          if (!(cause instanceof TraceDecodeError)) throw cause;
        }
        return;
      }
      const id = auxObject(message)?.ID;
      if (id) imageId = id;
      const text = messageText(message);
      if (text === undefined) return;
      for (const line of text.split('\n')) {
        progress(line);
        const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line.trim());
        if (built && !imageId) imageId = built[1];
      }
    };
    // BuildKit tells which step failed; the classic builder's evidence is the tail of everything.
    const evidence = (): string => (builder === 'buildkit' ? trace.failedStepOutput(EVIDENCE_LINES) : log.slice(-EVIDENCE_LINES)).join('\n');
    try {
      await readEngineStream(stream, onMessage);
    } catch (cause) {
      if (cause instanceof StreamFailure) {
        throw new BuildFailedError(cause.engineMessage, {
          cause,
          details: evidence(),
          hint: 'the step above failed inside the build; its output is shown above',
        });
      }
      throw new BuildFailedError(engineText(cause), { cause, details: evidence() });
    }
    if (!imageId) {
      throw new BuildFailedError('the engine finished the build without reporting an image id', { details: evidence() });
    }
    const id = imageId.startsWith('sha256:') ? imageId : (await this.inspectImage(imageId)).id;
    return { id, tags };
  }

  /**
   * BuildKit fails RUN steps on the "default" network of an engine without a bridge ("network bridge
   * not found"), where the classic builder runs them without network; give BuildKit the same.
   */
  private async buildNetwork(builder: Builder, mode: NonNullable<BuildOptions['networkMode']>): Promise<string> {
    if (builder !== 'buildkit' || mode !== 'default') return mode;
    this.hasBridge ??= this.docker
      .getNetwork('bridge')
      .inspect()
      .then(
        () => true,
        (cause: unknown) => {
          if (statusOf(cause) === 404) return false;
          this.hasBridge = undefined;
          throw new EngineRequestError(`could not inspect the engine's bridge network: ${engineText(cause)}`, { cause });
        },
      );
    return (await this.hasBridge) ? mode : 'none';
  }

  async imageHistory(reference: string): Promise<HistoryEntry[]> {
    let raw: { CreatedBy?: string; Size?: number; Comment?: string }[];
    try {
      raw = (await this.docker.getImage(reference).history()) as typeof raw;
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
      throw new EngineRequestError(`could not read the history of image ${reference}: ${engineText(cause)}`, { cause });
    }
    return raw.map((entry) => ({ createdBy: entry.CreatedBy ?? '', size: entry.Size ?? 0, comment: entry.Comment ?? '' }));
  }

  async inspectImage(reference: string): Promise<ImageInfo> {
    let raw: Docker.ImageInspectInfo;
    try {
      raw = await this.docker.getImage(reference).inspect();
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
      throw new EngineRequestError(`could not inspect image ${reference}: ${engineText(cause)}`, { cause });
    }
    const config = raw.Config;
    return {
      id: raw.Id,
      repoTags: raw.RepoTags ?? [],
      repoDigests: raw.RepoDigests ?? [],
      user: config.User ?? '',
      env: envToRecord(config.Env ?? []),
      exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
      entrypoint: toArray(config.Entrypoint),
      cmd: toArray(config.Cmd),
      workingDir: config.WorkingDir ?? '',
      labels: config.Labels ?? {},
      layers: raw.RootFS?.Layers ?? [],
      size: raw.Size,
      created: raw.Created,
      architecture: raw.Architecture,
      os: raw.Os,
    };
  }

  async imageExists(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).inspect();
      return true;
    } catch (cause) {
      if (statusOf(cause) === 404) return false;
      throw new EngineRequestError(`could not inspect image ${reference}: ${engineText(cause)}`, { cause });
    }
  }

  async pullImage(reference: string, options: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener } = {}): Promise<void> {
    try {
      const stream = (await this.docker.pull(reference, {
        ...(options.auth ? { authconfig: options.auth } : {}),
        ...(options.platform ? { platform: options.platform } : {}),
      })) as unknown as Readable;
      await readEngineStream(stream, (m) => emitMessage(options.onProgress, 'pull', m));
    } catch (cause) {
      throw new PullFailedError(reference, cause instanceof StreamFailure ? cause.engineMessage : engineText(cause), {
        cause,
        hint: 'check the name, that the registry is reachable, and your credentials (docker login)',
      });
    }
  }

  async tagImage(source: string, target: string): Promise<void> {
    const ref = parseReference(target);
    try {
      await this.docker.getImage(source).tag({ repo: repositoryName(ref), tag: ref.tag ?? 'latest' });
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(source, { cause });
      throw new EngineRequestError(`could not tag ${source} as ${target}: ${engineText(cause)}`, { cause });
    }
  }

  async pushImage(
    reference: string,
    options: { auth?: RegistryAuth; onProgress?: ProgressListener } = {},
  ): Promise<PushResult> {
    const ref = parseReference(reference);
    const tag = ref.tag ?? 'latest';
    const name = `${repositoryName(ref)}:${tag}`;
    let digest: string | undefined;
    let size: number | undefined;
    try {
      // The engine wants X-Registry-Auth on every push; "{}" is the anonymous value the docker CLI sends.
      const stream = (await this.docker
        .getImage(repositoryName(ref))
        .push({ tag, authconfig: options.auth ?? {} })) as unknown as Readable;
      await readEngineStream(stream, (message) => {
        const aux = auxObject(message);
        if (aux?.Digest) {
          digest = aux.Digest;
          size = aux.Size;
        }
        emitMessage(options.onProgress, 'push', message);
      });
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(name, { cause });
      const text = cause instanceof StreamFailure ? cause.engineMessage : engineText(cause);
      throw new PushFailedError(name, text, {
        cause,
        hint: /auth|denied|unauthorized/i.test(text)
          ? `log in to ${ref.registry} (docker login ${ref.registry}) or check the credentials in your Docker config`
          : `check that the registry ${ref.registry} is reachable and accepts pushes`,
      });
    }
    if (!digest) throw new PushFailedError(name, 'the registry did not report a digest');
    return { reference: formatReference({ ...ref, tag, digest: undefined }), digest, size };
  }

  async removeImage(reference: string, options: { force?: boolean } = {}): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({ force: options.force ?? false });
    } catch (cause) {
      if (statusOf(cause) === 404) return;
      throw new EngineRequestError(`could not remove image ${reference}: ${engineText(cause)}`, { cause });
    }
  }

  async saveImage(reference: string): Promise<Readable> {
    try {
      return (await this.docker.getImage(reference).get()) as unknown as Readable;
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(reference, { cause });
      throw new EngineRequestError(`could not save image ${reference}: ${engineText(cause)}`, { cause });
    }
  }

  async createContainer(spec: ContainerSpec): Promise<Container> {
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
        Mounts: (spec.volumes ?? []).map(emptyVolume),
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
      created = await this.docker.createContainer(options);
    } catch (cause) {
      if (statusOf(cause) === 404) throw new ImageNotFoundError(spec.image, { cause });
      throw new ContainerError(`could not create a container from ${spec.image}: ${engineText(cause)}`, { cause });
    }
    return new DockerContainer(created);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filter = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
    const found = await this.docker.listContainers({ all: true, filters: { label: filter } });
    return found.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State }));
  }

  async removeContainers(labels: Record<string, string>): Promise<number> {
    const found = await this.listContainers({ [LABEL_MANAGED]: 'true', ...labels });
    await Promise.all(found.map((c) => new DockerContainer(this.docker.getContainer(c.id)).remove()));
    return found.length;
  }
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

function emit(listener: ProgressListener | undefined, kind: ProgressEvent['kind'], text: string): void {
  if (listener && text.trim() !== '') listener({ kind, text });
}

function emitMessage(listener: ProgressListener | undefined, kind: ProgressEvent['kind'], message: EngineMessage): void {
  const text = messageText(message);
  if (text !== undefined) emit(listener, kind, text);
}

/** An anonymous volume at `target` that starts empty. An empty Source means anonymous. */
function emptyVolume(target: string): Docker.MountSettings {
  // @types/dockerode marks optional API fields (Labels, DriverConfig) as required.
  return { Type: 'volume', Source: '', Target: target, VolumeOptions: { NoCopy: true } } as unknown as Docker.MountSettings;
}

function envToRecord(env: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) record[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return record;
}

function toArray(value: string | string[] | undefined | null): string[] | null {
  if (value === undefined || value === null) return null;
  return Array.isArray(value) ? value : [value];
}

function registryConfig(auths: RegistryAuth[]): Record<string, RegistryAuth> {
  return Object.fromEntries(auths.map((auth) => [auth.serveraddress, auth]));
}
