// Every container the toolchain creates carries these labels, so that it can always be found and
// removed: in `finally`, on SIGINT, and at the next start-up when a run was killed.
import { hostname } from 'node:os';

export const LABEL_MANAGED = 'io.rt-toolchain.managed';
export const LABEL_OWNER = 'io.rt-toolchain.owner';
export const LABEL_PURPOSE = 'io.rt-toolchain.purpose';

/** "host:pid" of this process: lets a later run tell whether the owner is still alive. */
export function ownerId(pid: number = process.pid): string {
  return `${hostname()}:${pid}`;
}

export function managedLabels(purpose: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: ownerId(), [LABEL_PURPOSE]: purpose };
}

/** True when `owner` names a process on this host that no longer runs. */
export function ownerIsGone(owner: string | undefined, isAlive: (pid: number) => boolean = pidIsAlive): boolean {
  if (!owner) return true;
  const separator = owner.lastIndexOf(':');
  const host = owner.slice(0, separator);
  const pid = Number(owner.slice(separator + 1));
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  return !isAlive(pid);
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
