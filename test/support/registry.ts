// Extra real registries (CNCF Distribution, Debian's docker-registry) on free loopback ports, for
// cases the shared one on 127.0.0.1:5000 cannot show: refusing pushes, demanding credentials.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, pollUntil } from './net.js';

export interface RegistryOptions {
  readOnly?: boolean;
  /** Require these credentials (htpasswd, bcrypt). */
  credentials?: { username: string; password: string };
}

export interface RunningRegistry {
  address: string;
  stop(): Promise<void>;
}

/** Starts a registry; the caller stops it (in `after`/`finally`). */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'rt-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
  ];
  if (options.readOnly) lines.push('  maintenance:', '    readonly:', '      enabled: true');
  lines.push('http:', `  addr: ${address}`);
  if (options.credentials) {
    const htpasswd = join(dir, 'htpasswd');
    const hash = bcrypt.hashSync(options.credentials.password, 6);
    await writeFile(htpasswd, `${options.credentials.username}:${hash}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: rt-test', `    path: ${htpasswd}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  await pollUntil(
    `the registry on ${address} (stderr: ${stderr})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
      const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) });
      return response.status === 200 || response.status === 401 ? true : undefined;
    },
    { timeoutMs: 15_000 },
  );
  return { address, stop };
}

/** Deletes what a test pushed under `tag` (when the registry allows deletes; nothing otherwise). */
export async function deleteFromRegistry(registry: string, repository: string, tag: string): Promise<void> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const head = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept } }).catch(() => undefined);
  const digest = head?.headers.get('docker-content-digest');
  if (digest) await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' }).catch(() => undefined);
}
