// Building an image: send the context, follow the build stream (BuildKit's trace or the classic
// builder's lines) as progress, and turn a failure into a BuildFailedError that says which stage,
// step and command failed, with that step's output.
import type { Readable } from 'node:stream';
import { BuildFailedError, EngineRequestError, isRtError } from '../errors.js';
import { ClassicSteps, EVIDENCE_LINES, buildFailure, stepOfVertexName } from './build-failure.js';
import { TraceDecodeError, TraceRenderer, decodeTrace } from './buildkit-trace.js';
import { engineText, statusOf } from './engine-errors.js';
import { type EngineHttp, registryHeader } from './http.js';
import { inspectImage } from './images.js';
import { type EngineMessage, StreamFailure, auxObject, emitProgress, messageText, readEngineStream } from './json-stream.js';
import type { BuildSession, SessionTarget } from './session.js';
import type { BuildOptions, Builder, BuiltImage, RegistryAuth } from './types.js';

/**
 * Whether the engine has a bridge network, asked once per engine: BuildKit fails RUN steps on the
 * "default" network of an engine without one ("network bridge not found"), where the classic builder
 * runs them without network; BuildKit gets the same.
 */
export class BuildNetworks {
  private hasBridge: Promise<boolean> | undefined;

  constructor(private readonly http: EngineHttp) {}

  async modeFor(builder: Builder, mode: NonNullable<BuildOptions['networkMode']>): Promise<string> {
    if (builder !== 'buildkit' || mode !== 'default') return mode;
    this.hasBridge ??= this.http
      .send('GET', '/networks/bridge')
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
export function sessionTarget(http: EngineHttp): SessionTarget | undefined {
  const target = http.target;
  if (target.socketPath) return { socketPath: target.socketPath };
  if (target.protocol === 'https' || !target.host) return undefined;
  return { host: target.host, port: Number(target.port) };
}

async function secretSession(http: EngineHttp, builder: Builder, secrets: ReadonlyMap<string, Buffer> | undefined): Promise<BuildSession | undefined> {
  if (!secrets || secrets.size === 0) return undefined;
  const target = sessionTarget(http);
  if (builder !== 'buildkit' || !target) {
    throw new EngineRequestError(`build secrets need BuildKit and an engine reached over a socket or plain HTTP`, {
      hint: builder === 'buildkit' ? 'use the local engine socket, or --builder classic' : 'use --builder buildkit',
    });
  }
  // HTTP/2 is loaded only for a build with secrets.
  const { openSecretSession } = await import('./session.js');
  return openSecretSession(target, secrets);
}

export async function buildImage(http: EngineHttp, networks: BuildNetworks, context: Readable, options: BuildOptions = {}): Promise<BuiltImage> {
  const session = await secretSession(http, options.builder ?? 'buildkit', options.secrets);
  try {
    return await buildWithin(http, networks, context, options, session?.id);
  } finally {
    session?.close();
  }
}

async function buildWithin(http: EngineHttp, networks: BuildNetworks, context: Readable, options: BuildOptions, sessionId: string | undefined): Promise<BuiltImage> {
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
    stream = await http.request('POST', '/build', {
      query: {
        // The API takes `t` once per tag.
        t: tags,
        dockerfile: options.dockerfile ?? 'Dockerfile',
        buildargs: options.buildArgs ?? {},
        labels: options.labels ?? {},
        networkmode: await networks.modeFor(builder, options.networkMode ?? 'default'),
        platform: options.platform,
        nocache: options.noCache ?? false,
        rm: true,
        forcerm: true,
        // BuildKit (API build version 2) without the client's gRPC session: base images are pulled
        // before the build, so BuildKit never asks for registry credentials; secrets have their own.
        version: builder === 'buildkit' ? '2' : undefined,
        session: sessionId,
      },
      headers: {
        'content-type': 'application/x-tar',
        ...(options.registryAuths?.length ? { 'X-Registry-Config': registryHeader(registryConfig(options.registryAuths)) } : {}),
      },
      body: context,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    if (isRtError(cause)) throw cause;
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
  const id = imageId.startsWith('sha256:') ? imageId : (await inspectImage(http, imageId)).id;
  return { id, tags };
}

function registryConfig(auths: RegistryAuth[]): Record<string, RegistryAuth> {
  return Object.fromEntries(auths.map((auth) => [auth.serveraddress, auth]));
}
