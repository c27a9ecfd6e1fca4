// Finding and removing what the toolchain created: this process's containers on exit or interrupt,
// and at start-up the containers of earlier runs that were killed before they could clean up.
import { LABEL_MANAGED, LABEL_OWNER, ownerId, ownerIsGone } from './labels.js';
import type { Engine } from './types.js';

/** Removes every managed container whose owning process on this host is gone. */
export async function reapOrphans(engine: Engine): Promise<number> {
  const managed = await engine.listContainers({ [LABEL_MANAGED]: 'true' });
  const orphans = managed.filter((c) => ownerIsGone(c.labels[LABEL_OWNER]));
  await Promise.all(orphans.map((c) => engine.removeContainers({ [LABEL_OWNER]: c.labels[LABEL_OWNER] ?? '' })));
  return orphans.length;
}

/**
 * Removes every container this process created, after stopping further creates and waiting for the
 * ones in flight (a container created just after the list was taken would be missed otherwise).
 */
export async function removeOwnContainers(engine: Engine): Promise<number> {
  await engine.stopCreating();
  return engine.removeContainers({ [LABEL_OWNER]: ownerId() });
}

/**
 * Runs `cleanup` once when the process gets SIGINT or SIGTERM, then lets the signal take its
 * default course (the process ends with the signal's status). Returns a function that uninstalls.
 * For CLI entry points and test set-up; library code never installs signal handlers.
 */
export function onInterrupt(cleanup: () => Promise<unknown>): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let running = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (running) return;
    running = true;
    const finish = (): void => {
      uninstall();
      process.kill(process.pid, signal);
    };
    // A cleanup that hangs must not keep the process alive forever.
    const deadline = setTimeout(finish, 10_000);
    deadline.unref();
    cleanup().then(finish, finish);
  };
  const uninstall = (): void => {
    for (const signal of signals) process.off(signal, handler);
  };
  for (const signal of signals) process.on(signal, handler);
  return uninstall;
}
