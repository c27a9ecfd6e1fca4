// Runs a runtime image the way the platform does: the function copied into the
// $KUBELESS_INSTALL_VOLUME volume before start, host networking on a free port, restricted profile
// (read-only root, tmpfs /tmp, all capabilities dropped, no-new-privileges), the image's own user.
import { packDirectory } from '../../src/image/archive.js';
import { type Container, type Engine } from '../../src/engine/index.js';
import { freePort, pollUntil } from './net.js';
import { RESTRICTED_PROFILE } from '../../src/platform/profile.js';

export interface FunctionContainer {
  container: Container;
  url: string;
  /** Milliseconds from start() to the first healthy /healthz. */
  readyMs: number;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export async function startFunction(
  engine: Engine,
  image: string,
  functionDir: string,
  options: StartOptions = {},
): Promise<FunctionContainer> {
  const info = await engine.inspectImage(image);
  const volume = info.env.KUBELESS_INSTALL_VOLUME ?? '/kubeless';
  const port = await freePort();
  const container = await engine.createContainer({
    image,
    purpose: 'test',
    network: 'host',
    env: { FUNC_PORT: String(port), FUNC_NAME: 'probe', SERVICE_NAMESPACE: 'tests', ...options.env },
    volumes: [volume],
    ...RESTRICTED_PROFILE,
    stopTimeoutSeconds: 30,
  });
  const logs = async (): Promise<string> => {
    const { stdout, stderr } = await container.logs({ tail: 40 });
    return `${stdout}${stderr}`;
  };
  try {
    await container.putArchive(await packDirectory(functionDir), volume);
    const started = Date.now();
    await container.start();
    const url = `http://127.0.0.1:${port}`;
    await pollUntil(
      `a healthy ${url}/healthz from ${image}`,
      async () => {
        const state = await container.inspect();
        if (!state.running) throw new Error(`the container exited with ${state.exitCode}: ${await logs()}`);
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: options.readyTimeoutMs ?? 20_000, intervalMs: 10 },
    );
    return { container, url, readyMs: Date.now() - started, logs, remove: () => container.remove() };
  } catch (error) {
    const tail = await logs().catch(() => '');
    await container.remove();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\ncontainer log:\n${tail}`);
  }
}
