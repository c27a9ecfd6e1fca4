// The Engine on top of dockerode: one method per engine operation, each handed to the file that holds
// its concept (build.ts, images.ts, containers.ts). Created by connect.ts; the rest of the toolchain
// sees only the Engine interface.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Reference } from '../image/reference.js';
import { BuildNetworks, buildImage } from './build.js';
import { createContainer, listContainers, removeContainers } from './containers.js';
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

export class DockerEngine implements Engine {
  private readonly networks: BuildNetworks;

  constructor(
    private readonly docker: Docker,
    readonly endpoint: string,
  ) {
    this.networks = new BuildNetworks(docker);
  }

  async version(): Promise<EngineVersion> {
    const v = await this.docker.version();
    return { apiVersion: v.ApiVersion, version: v.Version, os: v.Os, arch: v.Arch };
  }

  buildImage(context: Readable, options: BuildOptions = {}): Promise<BuiltImage> {
    return buildImage(this.docker, this.networks, context, options);
  }

  inspectImage(reference: string): Promise<ImageInfo> {
    return images.inspectImage(this.docker, reference);
  }

  imageHistory(reference: string): Promise<HistoryEntry[]> {
    return images.imageHistory(this.docker, reference);
  }

  addedLayers(image: string, base: string): Promise<AddedLayer[]> {
    return images.addedLayers(this.docker, image, base);
  }

  imageExists(reference: string): Promise<boolean> {
    return images.imageExists(this.docker, reference);
  }

  pullImage(reference: Reference, options: { auth?: RegistryAuth; platform?: string; onProgress?: ProgressListener } = {}): Promise<void> {
    return images.pullImage(this.docker, reference, options);
  }

  tagImage(source: string, target: Reference): Promise<void> {
    return images.tagImage(this.docker, source, target);
  }

  pushImage(reference: Reference, options: { auth?: RegistryAuth; onProgress?: ProgressListener } = {}): Promise<PushResult> {
    return images.pushImage(this.docker, reference, options);
  }

  removeImage(reference: string, options: { force?: boolean } = {}): Promise<void> {
    return images.removeImage(this.docker, reference, options);
  }

  saveImage(reference: string): Promise<Readable> {
    return images.saveImage(this.docker, reference);
  }

  createContainer(spec: ContainerSpec): Promise<Container> {
    return createContainer(this.docker, spec);
  }

  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return listContainers(this.docker, labels);
  }

  removeContainers(labels: Record<string, string>): Promise<number> {
    return removeContainers(this.docker, labels);
  }
}
