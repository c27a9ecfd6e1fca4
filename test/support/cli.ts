// Runs one of the toolchain's CLIs from source as a child process, as a user would, collecting its
// output. Asynchronous, so the test process can keep serving peers (registries) meanwhile.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  child: ChildProcess;
}

export type CliName = 'rtbuild' | 'rtcheck' | 'smoke';

export function cliPath(name: CliName): string {
  return join(import.meta.dirname, '..', '..', 'src', 'cli', `${name}.ts`);
}

/** Starts the CLI; `done` resolves when it exits (it is killed after `timeoutMs`). */
export function startCli(
  name: CliName,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', cliPath(name), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started, child });
    });
  });
  return { child, done };
}

export function runCliToEnd(name: CliName, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return startCli(name, args, options).done;
}
