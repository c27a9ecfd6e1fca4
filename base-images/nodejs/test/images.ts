// Helpers of the image tests: the built images rt/nodejs<major>:dev run on the local engine (docker CLI),
// with host networking and a free port of 127.0.0.1 (never 8080), and are always removed. They are
// skipped, saying why, when there is no engine or an image is not built (`make base-images`).
import { execFile, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The Node majors of the project's images (src/platform/runtimes.ts); one server source, one image each. */
export const NODE_MAJORS = ['20', '22', '24'] as const;

export interface NodeImage {
  major: string;
  runtime: string;
  tag: string;
}

export const NODE_IMAGES: readonly NodeImage[] = NODE_MAJORS.map((major) => ({ major, runtime: `nodejs${major}`, tag: `rt/nodejs${major}:dev` }));

/**
 * The toolchain's container labels (README "Containers are always cleaned up"), so that its reaper
 * removes what a killed test run left behind. Spelled out here: runtimes never import the toolchain.
 */
const LABELS = ['io.rt-toolchain.managed=true', `io.rt-toolchain.owner=${hostname()}:${process.pid}`, 'io.rt-toolchain.purpose=nodejs-image-test'];

/** Why the image cannot be tested here, or undefined when it can. */
export function skipReason(image: NodeImage): string | undefined {
  if (spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { stdio: 'ignore' }).status !== 0) return 'no Docker engine answers';
  if (spawnSync('docker', ['image', 'inspect', image.tag], { stdio: 'ignore' }).status !== 0) return `${image.tag} is not built (make base-images)`;
  return undefined;
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The restricted profile both launches run under (IMG-RESTRICTED, KB-LAUNCH). */
export const RESTRICTED = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--tmpfs', '/tmp:mode=1777'];

export interface Container {
  id: string;
  url: string;
  /** Polls /healthz until 200; fails at once, with the logs, if the container stops. */
  ready(timeoutMs?: number): Promise<void>;
  logs(): Promise<string>;
  /** `docker stop -t SECONDS`: how long it took and the exit code. */
  stop(seconds: number): Promise<{ ms: number; exitCode: number }>;
  remove(): Promise<void>;
}

/** Containers of one test file; removeAll() in after(). */
export class Containers {
  private readonly ids = new Set<string>();

  /** `docker create` with the given arguments (options, image, command), then `docker start`. */
  async start(port: number, createArgs: string[], before?: (id: string) => Promise<void>): Promise<Container> {
    const id = await docker('create', '--network', 'host', ...LABELS.flatMap((l) => ['--label', l]), '-e', `FUNC_PORT=${port}`, ...createArgs);
    this.ids.add(id);
    if (before) await before(id);
    await docker('start', id);
    const url = `http://127.0.0.1:${port}`;
    const state = async (): Promise<{ running: boolean; exitCode: number }> => {
      const [running, exitCode] = (await docker('inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', id)).split(' ');
      return { running: running === 'true', exitCode: Number(exitCode) };
    };
    const logs = async (): Promise<string> => {
      const { stdout, stderr } = await exec('docker', ['logs', id], { maxBuffer: 16 * 1024 * 1024 });
      return stdout + stderr;
    };
    return {
      id,
      url,
      logs,
      ready: async (timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const res = await fetch(`${url}/healthz`).catch(() => undefined);
          if (res?.status === 200) return;
          const { running, exitCode } = await state();
          if (!running) throw new Error(`${id.slice(0, 12)} stopped (exit ${exitCode}) before /healthz answered 200:\n${await logs()}`);
          if (Date.now() > deadline) throw new Error(`${url}/healthz of ${id.slice(0, 12)} did not answer 200 within ${timeoutMs} ms:\n${await logs()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      stop: async (seconds) => {
        const started = performance.now();
        await docker('stop', '-t', String(seconds), id);
        return { ms: performance.now() - started, exitCode: (await state()).exitCode };
      },
      remove: async () => {
        this.ids.delete(id);
        await docker('rm', '-fv', id).catch(() => '');
      },
    };
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.ids].map((id) => docker('rm', '-fv', id).catch(() => '')));
    this.ids.clear();
  }
}
