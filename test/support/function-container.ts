// A function image started for a test as the platform starts it, through the one function container
// of src/platform: the image's own entrypoint, the folder copied into its $KUBELESS_INSTALL_VOLUME,
// host networking on a free port, the restricted profile, the image's user. Waits until /healthz is
// 200 (or fails with the container's log) and returns the running container.
import type { Engine } from '../../src/engine/index.js';
import { readDirectoryEntries } from '../../src/image/archive.js';
import { FunctionContainer } from '../../src/platform/function-container.js';
import { freeLoopbackPort } from '../../src/platform/ports.js';
import { DEFAULT_INSTALL_VOLUME, runtimeById } from '../../src/platform/runtimes.js';

export { FunctionContainer };

export interface StartOptions {
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export async function startFunction(engine: Engine, image: string, functionDir: string, options: StartOptions = {}): Promise<FunctionContainer> {
  const info = await engine.inspectImage(image);
  const runtime = runtimeById(info.env.FUNC_RUNTIME ?? '');
  const subject = await FunctionContainer.start(engine, {
    image,
    family: runtime.family,
    purpose: 'test',
    port: { port: await freeLoopbackPort(), viaEnv: true },
    stopTimeoutSeconds: 30,
    launch: {
      kind: 'entrypoint',
      volume: info.env.KUBELESS_INSTALL_VOLUME ?? DEFAULT_INSTALL_VOLUME,
      sources: await readDirectoryEntries(functionDir),
      env: { FUNC_NAME: 'probe', SERVICE_NAMESPACE: 'tests', ...options.env },
    },
  });
  const ready = await subject.waitReady(options.readyTimeoutMs ?? 20_000);
  if (!ready.ready) {
    const tail = await subject.logTail(40);
    await subject.remove();
    throw new Error(`${image} did not become ready: ${ready.reason}\ncontainer log:\n${tail}`);
  }
  return subject;
}
