// The Engine: images, builds and loads over the engine's HTTP API (http.ts), containers through
// dockerode (docker-engine.ts), which is loaded on the first container request only. rtbuild's build path
// makes no container, so it never loads dockerode and its gRPC, protobufjs and ssh2 (issue 16: loading
// them took 90 ms on this machine).
import type { Readable } from 'node:stream';
import type { Reference } from '../image/reference.js';
import { BuildNetworks, buildImage } from './build.js';
import type { ContainerEngine } from './docker-engine.js';
import type { EngineHttp, HttpTarget } from './http.js';
import * as images from './images.js';
import type {
  AddedLayer,
  BuildOptions,
  BuiltImage,
  Container,
  ContainerSpec,
  ContainerSummary,
  Engine,
  EngineVersion,
  HistoryEntry,
  ImageInfo,
  ProgressListener,
  PushResult,
  RegistryAuth,
} from './types.js';

export class EngineClient implements Engine {
  private readonly networks: BuildNetworks;
  private containerEngine: Promise<ContainerEngine> | undefined;
  private podman: Promise<boolean> | undefined;

  constructor(
    readonly http: EngineHttp,
    /** dockerode's options for the same engine (socket, or host, port and TLS files). */
    private readonly dockerOptions: HttpTarget,
  ) {
    this.networks = new BuildNetworks(http);
  }

  get endpoint(): string {
    return this.http.endpoint;
  }

  async version(): Promise<EngineVersion> {
    const v = await this.http.json<{ ApiVersion: string; Version: string; Os: string; Arch: string }>('GET', '/version');
    return { apiVersion: v.ApiVersion, version: v.Version, os: v.Os, arch: v.Arch };
  }

  /** From the Server header of an answer already had ("Libpod/4.3.1"), else from /version. */
  isPodman(): Promise<boolean> {
    if (this.http.server !== undefined) return Promise.resolve(/^libpod\//i.test(this.http.server));
    this.podman ??= this.http.json<{ Components?: { Name?: string }[] }>('GET', '/version').then((v) => (v.Components ?? []).some((c) => /podman/i.test(c.Name ?? '')));
    return this.podman;
  }

  buildImage(context: Readable, options: BuildOptions = {}): Promise<BuiltImage> {
    return buildImage(this.http, this.networks, context, options);
  }

  inspectImage(reference: string): Promise<ImageInfo> {
    return images.inspectImage(this.http, reference);
  }

  findImage(reference: string): Promise<ImageInfo | undefined> {
    return images.findImage(this.http, reference);
  }

  imageHistory(reference: string): Promise<HistoryEntry[]> {
    return images.imageHistory(this.http, reference);
  }

  addedLayers(image: string, base: string): Promise<AddedLayer[]> {
    return images.addedLayers(this.http, image, base);
  }

  imageExists(reference: string): Promise<boolean> {
    return images.imageExists(this.http, reference);
  }

  pullImage(reference: Reference, options: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener } = {}): Promise<void> {
    return images.pullImage(this.http, reference, options);
  }

  tagImage(source: string, target: Reference): Promise<void> {
    return images.tagImage(this.http, source, target);
  }

  pushImage(reference: Reference, options: { auth?: RegistryAuth; onProgress?: ProgressListener } = {}): Promise<PushResult> {
    return images.pushImage(this.http, reference, options);
  }

  removeImage(reference: string, options: { force?: boolean } = {}): Promise<void> {
    return images.removeImage(this.http, reference, options);
  }

  saveImage(reference: string): Promise<Readable> {
    return images.saveImage(this.http, reference);
  }

  loadImage(archive: Readable | Buffer): Promise<void> {
    return images.loadImage(this.http, archive);
  }

  private containers(): Promise<ContainerEngine> {
    this.containerEngine ??= (async () => {
      const [{ default: Docker }, { DockerEngine }] = await Promise.all([import('dockerode'), import('./docker-engine.js')]);
      return new DockerEngine(new Docker({ ...this.dockerOptions, timeout: undefined }), this.endpoint);
    })();
    return this.containerEngine;
  }

  async createContainer(spec: ContainerSpec): Promise<Container> {
    return (await this.containers()).createContainer(spec);
  }

  /** No container was ever asked for: there is nothing in flight to wait for. */
  async stopCreating(): Promise<void> {
    if (this.containerEngine) await (await this.containerEngine).stopCreating();
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return (await this.containers()).listContainers(labels);
  }

  async removeContainers(labels: Record<string, string>): Promise<number> {
    return (await this.containers()).removeContainers(labels);
  }
}
