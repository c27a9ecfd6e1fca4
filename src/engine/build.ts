// Building an image: send the context, follow the build stream (BuildKit's trace or the classic
// builder's lines) as progress, and turn a failure into a BuildFailedError that says which stage,
// step and command failed, with that step's output.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BuildFailedError, EngineRequestError } from '../errors.js';
import { ClassicSteps, EVIDENCE_LINES, buildFailure, stepOfVertexName } from './build-failure.js';
import { TraceDecodeError, TraceRenderer, decodeTrace } from './buildkit-trace.js';
import { engineText, statusOf } from './engine-errors.js';
import { inspectImage } from './images.js';
import { type EngineMessage, StreamFailure, auxObject, emitProgress, messageText, readEngineStream } from './json-stream.js';
import { type BuildSession, type SessionTarget, openSecretSession } from './session.js';
import type { BuildOptions, Builder, BuiltImage, RegistryAuth } from './types.js';

/**
 * Whether the engine has a bridge network, asked once per engine: BuildKit fails RUN steps on the
 * "default" network of an engine without one ("network bridge not found"), where the classic builder
 * runs them without network; BuildKit gets the same.
 */
export class BuildNetworks {
  private hasBridge: Promise<boolean> | undefined;

  constructor(private readonly docker: Docker) {}

  async modeFor(builder: Builder, mode: NonNullable<BuildOptions['networkMode']>): Promise<string> {
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
}

/** Where a build session dials: the engine's socket, or its plain-HTTP address. TLS engines get no session. */
export function sessionTarget(docker: Docker): SessionTarget | undefined {
  const modem = docker.modem as unknown as { socketPath?: string; host?: string; port?: string | number; protocol?: string };
  if (modem.socketPath) return { socketPath: modem.socketPath };
  if (modem.protocol === 'https' || !modem.host) return undefined;
  return { host: modem.host, port: Number(modem.port) };
}

async function secretSession(docker: Docker, builder: Builder, secrets: ReadonlyMap<string, Buffer> | undefined): Promise<BuildSession | undefined> {
  if (!secrets || secrets.size === 0) return undefined;
  const target = sessionTarget(docker);
  if (builder !== 'buildkit' || !target) {
    throw new EngineRequestError(`build secrets need BuildKit and an engine reached over a socket or plain HTTP`, {
      hint: builder === 'buildkit' ? 'use the local engine socket, or --builder classic' : 'use --builder buildkit',
    });
  }
  return openSecretSession(target, secrets);
}

export async function buildImage(docker: Docker, networks: BuildNetworks, context: Readable, options: BuildOptions = {}): Promise<BuiltImage> {
  const session = await secretSession(docker, options.builder ?? 'buildkit', options.secrets);
  try {
    return await buildWithin(docker, networks, context, options, session?.id);
  } finally {
    session?.close();
  }
}

async function buildWithin(docker: Docker, networks: BuildNetworks, context: Readable, options: BuildOptions, sessionId: string | undefined): Promise<BuiltImage> {
  const tags = options.tags ?? [];
  const builder = options.builder ?? 'buildkit';
  const log: string[] = [];
  const classic = new ClassicSteps();
  const progress = (line: string): void => {
    log.push(line);
    if (log.length > EVIDENCE_LINES) log.shift();
    if (builder === 'classic') classic.line(line);
    emitProgress(options.onProgress, 'build', line);
  };
  const trace = new TraceRenderer(progress);
  let stream: Readable;
  try {
    stream = (await docker.buildImage(context, {
      t: tags,
      dockerfile: options.dockerfile ?? 'Dockerfile',
      buildargs: options.buildArgs ?? {},
      labels: options.labels ?? {},
      networkmode: await networks.modeFor(builder, options.networkMode ?? 'default'),
      platform: options.platform ?? '',
      nocache: options.noCache ?? false,
      rm: true,
      forcerm: true,
      // A number, not "2": dockerode opens a gRPC session for version "2", which serves only registry
      // credentials to BuildKit (base images are pulled before the build) and costs ~40 ms a build.
      ...(builder === 'buildkit' ? { version: 2 } : {}),
      ...(sessionId ? { session: sessionId } : {}),
      ...(options.registryAuths?.length ? { registryconfig: registryConfig(options.registryAuths) } : {}),
      ...(options.signal ? { abortSignal: options.signal } : {}),
      // The API takes `t` once per tag; docker-modem repeats array parameters.
    } as unknown as Docker.ImageBuildOptions)) as unknown as Readable;
  } catch (cause) {
    throw new BuildFailedError({ engineMessage: engineText(cause) }, { cause, hint: 'check the build context and the Dockerfile' });
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
  // The step that failed: BuildKit names its vertex; the classic builder was running it.
  const failedStep = () => {
    if (builder === 'classic') return classic.failedStep();
    const vertex = trace.failedVertexOutput(EVIDENCE_LINES);
    const step = vertex && stepOfVertexName(vertex.name);
    return vertex && { ...step, output: vertex.output };
  };
  // Without a known step, the evidence is the last lines the build printed.
  const lastLines = (): string[] => (builder === 'buildkit' ? trace.failedStepOutput(EVIDENCE_LINES) : log.filter((line) => line.trim() !== ''));
  try {
    await readEngineStream(stream, onMessage);
  } catch (cause) {
    if (cause instanceof StreamFailure) {
      throw new BuildFailedError(buildFailure(cause.engineMessage, failedStep(), lastLines()), {
        cause,
        hint: 'the output of the failed step is shown above',
      });
    }
    throw new BuildFailedError({ engineMessage: engineText(cause), output: lastLines() }, { cause });
  }
  if (!imageId) {
    throw new BuildFailedError({ engineMessage: 'the engine finished the build without reporting an image id', output: lastLines() });
  }
  const id = imageId.startsWith('sha256:') ? imageId : (await inspectImage(docker, imageId)).id;
  return { id, tags };
}

function registryConfig(auths: RegistryAuth[]): Record<string, RegistryAuth> {
  return Object.fromEntries(auths.map((auth) => [auth.serveraddress, auth]));
}
