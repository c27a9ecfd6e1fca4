// Ports on 127.0.0.1. Containers run with host networking, so every container shares the machine's
// ports: each gets a free port of its own through FUNC_PORT, except those that must prove the default
// 8080 (HTTP-PORT) or run exactly as Kyma's controller runs them (KB-LAUNCH: no FUNC_PORT, the pod
// listens on 8080). Those take the one lease on 8080, which serializes them inside this process and
// across processes on the machine (two rtcheck runs in parallel CI jobs, the tests and a user's run).
import { createServer, connect } from 'node:net';
import { open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadlineExceededError } from '../errors.js';

/** The port the platform's pod listens on (HTTP-PORT, KB-LAUNCH). */
export const DEFAULT_PORT = 8080;

const handedOut = new Set<number>();
/** Enough for every container of many runs in one process; the oldest are forgotten first. */
const REMEMBERED = 4096;

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * A port on 127.0.0.1 that nothing listens on right now, and that this process has not handed out
 * before: containers bind their port only after they start, so two launches close together could
 * otherwise both be given the same free port (the kernel repeats its picks often).
 */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value as number);
    return port;
  }
  throw new Error('no free port on 127.0.0.1 that was not handed out already');
}

/** Whether something accepts connections on 127.0.0.1:`port` right now. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** 127.0.0.1:8080 is held by a process that is not a function container of this toolchain. */
export class DefaultPortTakenError extends Error {
  readonly code = 'DEFAULT_PORT_TAKEN';
  /** `holder`: what holds it when it is known (a container of this very run that ignores FUNC_PORT). */
  constructor(readonly holder?: string) {
    super(holder ? `${holder} listens on 127.0.0.1:${DEFAULT_PORT}: the image ignores FUNC_PORT` : `something on this machine other than rtcheck listens on 127.0.0.1:${DEFAULT_PORT}`);
    this.name = 'DefaultPortTakenError';
  }
}

export interface PortLease {
  readonly port: number;
  /** When it was granted after waiting, how long that took (for the report). */
  readonly waitedMs: number;
  release(): Promise<void>;
}

const LOCK_FILE = join(tmpdir(), `rt-toolchain-port-${DEFAULT_PORT}.lock`);
/** Leases in this process queue up here, so that only one of them polls the lock file at a time. */
let queue: Promise<void> = Promise.resolve();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file, or removes it when its owner has died; true when this process now holds it. */
async function tryLock(): Promise<boolean> {
  try {
    const handle = await open(LOCK_FILE, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number((await readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(owner) || owner <= 0 || !pidAlive(owner)) await rm(LOCK_FILE, { force: true });
  return false;
}

/** Whether `promise` settles before `deadline` (a timer that is cleared either way). */
async function settlesBefore(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function sleepUntil(until: number, step = 100): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(step, until - Date.now()))));
}

/**
 * The lease on 8080: waits (polling against `deadline`) until no other holder in this process or on
 * this machine has it. The caller releases it in `finally`; the lease of a killed process is taken over.
 */
export async function leaseDefaultPort(deadline: number, onWait?: (message: string) => void): Promise<PortLease> {
  const started = Date.now();
  const expired = (): DeadlineExceededError =>
    new DeadlineExceededError(`waiting for port ${DEFAULT_PORT} (held by another run; lock ${LOCK_FILE})`, Math.round((deadline - started) / 1000));
  let done!: () => void;
  const previous = queue;
  queue = new Promise<void>((resolve) => (done = resolve));
  let told = false;
  const tell = (): void => {
    if (!told) onWait?.(`waiting for port ${DEFAULT_PORT}: another check on this machine uses it`);
    told = true;
  };
  try {
    if (!(await settlesBefore(previous, deadline))) throw expired();
    while (!(await tryLock())) {
      if (Date.now() >= deadline) throw expired();
      tell();
      await sleepUntil(deadline);
    }
  } catch (error) {
    done();
    throw error;
  }
  let released = false;
  return {
    port: DEFAULT_PORT,
    waitedMs: Date.now() - started,
    release: async () => {
      if (released) return;
      released = true;
      await rm(LOCK_FILE, { force: true });
      done();
    },
  };
}
