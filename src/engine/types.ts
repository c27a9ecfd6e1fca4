// The engine as the rest of the toolchain sees it: plain values and small interfaces.
// Nothing outside src/engine/ knows how it is reached (its HTTP API, dockerode for containers).
import type { Readable } from 'node:stream';
import type { Reference } from '../image/reference.js';

export interface EngineVersion {
  apiVersion: string;
  version: string;
  os: string;
  arch: string;
}

/** One line of progress from a build, pull or push, already decoded. */
export interface ProgressEvent {
  kind: 'build' | 'pull' | 'push';
  /** Human-readable text of the step or status (without trailing newline). */
  text: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Credentials for one registry, as the engine API takes them. */
export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/**
 * "buildkit": the engine's BuildKit (API build version 2): steps without a container each, stages in
 * parallel. "classic": the legacy builder, for engines without BuildKit.
 */
export type Builder = 'buildkit' | 'classic';

export interface BuildOptions {
  /** Default "buildkit". */
  builder?: Builder;
  /** Tags to apply, e.g. ["rt/nodejs20:dev"]. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Path of the Dockerfile inside the context (default "Dockerfile"). */
  dockerfile?: string;
  /**
   * "host" lets RUN steps reach servers on 127.0.0.1 (a local package registry). "default" is the
   * engine's bridge, or no network when the engine has none (dockerd --bridge=none).
   */
  networkMode?: 'host' | 'none' | 'default';
  platform?: string;
  /** Ignore the build cache. */
  noCache?: boolean;
  /** Credentials for pulling FROM images, keyed by registry host. */
  registryAuths?: RegistryAuth[];
  /**
   * Build secrets by id, for `RUN --mount=type=secret,id=…` (BuildKit only): served over a build
   * session while the build runs, never part of the context, a layer or the build cache.
   */
  secrets?: ReadonlyMap<string, Buffer>;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface BuiltImage {
  /** Content-addressed id, "sha256:…". */
  id: string;
  tags: string[];
}

/** One entry of an image's history, newest first as the engine lists them. */
export interface HistoryEntry {
  /** The instruction, e.g. "COPY --chown=0:0 function/ / # buildkit". */
  createdBy: string;
  /** Bytes the entry's layer adds; 0 for entries that add none (LABEL, USER, …). */
  size: number;
  comment: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** As set in the image config; "" when unset (which means root). */
  user: string;
  env: Record<string, string>;
  /** e.g. ["8080/tcp"] */
  exposedPorts: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  workingDir: string;
  labels: Record<string, string>;
  /** ONBUILD triggers the image passes on to images built FROM it (undefined: none known). */
  onBuild?: string[];
  /** Layer digests of the root filesystem, bottom first. */
  layers: string[];
  size: number;
  created: string;
  architecture: string;
  os: string;
}

export interface ContainerSpec {
  image: string;
  /** What the container is for; becomes a label, e.g. "rtcheck" or "test". */
  purpose: string;
  name?: string;
  env?: Record<string, string>;
  /** "1000", "1000:0", "node"; default: the image's user. */
  user?: string;
  /** Supplementary groups of the process, e.g. ["1000"] (a pod's supplementalGroups / fsGroup). */
  groupAdd?: string[];
  cmd?: string[];
  entrypoint?: string[];
  /** Host networking is the project's rule for anything it talks to. */
  network: 'host' | 'none';
  readOnlyRootfs?: boolean;
  /** Mount point → tmpfs options, e.g. {"/tmp": "rw,size=64m"}. */
  tmpfs?: Record<string, string>;
  capDrop?: string[];
  capAdd?: string[];
  securityOpt?: string[];
  /**
   * Empty anonymous volumes, like the platform's emptyDir, e.g. ["/kubeless"]: whatever the image has at
   * that path is hidden, not copied in. Removed with the container.
   */
  volumes?: string[];
  /** Host files or folders mounted into the container, e.g. a registry config file, read-only, like a Secret's file. */
  binds?: { source: string; target: string; readOnly?: boolean }[];
  labels?: Record<string, string>;
  workingDir?: string;
  /** Seconds the engine waits after SIGTERM on stop before it sends SIGKILL. */
  stopTimeoutSeconds?: number;
}

export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  pid: number;
  startedAt: string;
  finishedAt: string;
}

export interface ContainerLogs {
  stdout: string;
  stderr: string;
}

export interface Container {
  readonly id: string;
  /** Copies a tar archive into `path` (which must exist; for read-only containers, a volume). */
  putArchive(tar: Readable | Buffer, path: string): Promise<void>;
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. */
  stop(timeoutSeconds?: number): Promise<void>;
  kill(signal?: string): Promise<void>;
  /** Resolves with the exit code once the container stops. */
  wait(options?: { signal?: AbortSignal }): Promise<number>;
  logs(options?: { tail?: number }): Promise<ContainerLogs>;
  inspect(): Promise<ContainerState>;
  /** Removes the container and its anonymous volumes; no error when it is already gone. */
  remove(): Promise<void>;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  state: string;
}

export interface PushResult {
  /** What was pushed: the reference with its tag ("latest" when it had none), without a digest. */
  reference: Reference;
  /** "sha256:…" manifest digest reported by the registry. */
  digest: string;
  size: number | undefined;
}

/** A layer an image adds on top of its base image. */
export interface AddedLayer {
  /** "sha256:…" of the uncompressed layer, as in the image's root filesystem. */
  diffId: string;
  /** Bytes the layer adds; undefined when the engine's history does not tell which entry made it. */
  size: number | undefined;
  /** The instruction that made it, as the history records it. */
  createdBy: string | undefined;
}

export interface Engine {
  /** What this engine is reached through, for messages ("unix:///var/run/docker.sock"). */
  readonly endpoint: string;
  version(): Promise<EngineVersion>;

  buildImage(context: Readable, options?: BuildOptions): Promise<BuiltImage>;
  inspectImage(reference: string): Promise<ImageInfo>;
  /** The image, or undefined when the engine has none of that name: one request for exists + inspect. */
  findImage(reference: string): Promise<ImageInfo | undefined>;
  /** The image's history, newest first. */
  imageHistory(reference: string): Promise<HistoryEntry[]>;
  /**
   * The layers `image` adds on top of `base` (which it must be built on), bottom first, with their
   * sizes: what a build added, e.g. a function image's dependency and source layers.
   */
  addedLayers(image: string, base: string): Promise<AddedLayer[]>;
  imageExists(reference: string): Promise<boolean>;
  /** `platform` ("linux/arm64") picks that variant of a multi-platform image. */
  pullImage(reference: Reference, options?: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener }): Promise<void>;
  /** Gives the image `source` (a name or an id) the name `target` ("latest" when it has no tag). */
  tagImage(source: string, target: Reference): Promise<void>;
  pushImage(reference: Reference, options?: { auth?: RegistryAuth; onProgress?: ProgressListener }): Promise<PushResult>;
  removeImage(reference: string, options?: { force?: boolean }): Promise<void>;
  /** `docker save` of one image: a tar stream of its layers and config. */
  saveImage(reference: string): Promise<Readable>;
  /**
   * `docker load` of an image archive (manifest.json, config, layer tars). A layer the engine already
   * has may be left out of the archive: only the files of new layers are read.
   */
  loadImage(archive: Readable | Buffer): Promise<void>;
  /** Whether the engine is Podman's Docker-compatible service (it builds with Buildah, not BuildKit). */
  isPodman(): Promise<boolean>;

  createContainer(spec: ContainerSpec): Promise<Container>;
  /**
   * For shutting down: no container is created or started from now on; resolves once the creates in
   * flight have landed (and been removed).
   */
  stopCreating(): Promise<void>;
  /** Containers that carry all the given labels (running or not). */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Removes (forcibly, with volumes) every container that carries all the given labels. */
  removeContainers(labels: Record<string, string>): Promise<number>;
}
