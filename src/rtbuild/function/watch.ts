// rtbuild --watch (issue 16): the edit–rebuild loop in one process. A one-shot rebuild pays node's own
// start and the loading of the CLI (~100 ms and ~80 ms here, bench/rtbuild.ts) before the engine sees a
// byte; a watching rtbuild pays them once, and a handler edit costs only the fast path (the source layer
// appended, fast-path.ts). What it watches is the source (a folder, recursively; a Function YAML, through
// its folder, since editors save by writing a new file and renaming it over the old one); rtbuild.json
// and the flags are read once, at the start.
// No timer decides when to build: a change marks the sources dirty, the round starts once the events of
// that moment are in (setImmediate), and changes made during a round start one more round after it. A
// round may so read a file an editor is still writing; the event of the rest of that write starts the
// round that sees the whole file. One save often gives two events (truncate, write) that reach us on
// either side of a round's start: a file whose size, mtime and inode are what the last round saw when it
// began starts no round again.
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidInputError } from '../../errors.js';

export interface WatchOptions {
  /** A source folder or a Function YAML file. */
  source: string;
  /** One round: build what the sources are now. Its errors are its own to report: the loop goes on. */
  round: (why: WatchRound) => Promise<void>;
  /** Ends the loop: at once while waiting, after the round in flight otherwise. */
  signal: AbortSignal;
  report: (line: string) => void;
  /** Files rtbuild itself writes (--manifest): their changes start no round, or every round would start the next. */
  ignore?: readonly string[];
}

export interface WatchRound {
  /** 1 for the first build, which no change started. */
  number: number;
  /** The first path (relative to the watched folder) that changed since the last round; undefined for the first. */
  changed: string | undefined;
  /** performance.now() of that change: the round's time as the user waits for it starts there. */
  changedAt: number | undefined;
}

/** What to watch for a source: the folder (recursively), or a YAML file's folder for that file's name. */
async function watchTarget(source: string): Promise<{ dir: string; recursive: boolean; only: string | undefined }> {
  const path = resolve(source);
  const found = await stat(path).catch(() => undefined);
  if (!found) throw new InvalidInputError(`${source} does not exist, so there is nothing to watch`, { hint: 'pass the Function\'s source folder or YAML file as --source' });
  return found.isDirectory() ? { dir: path, recursive: true, only: undefined } : { dir: dirname(path), recursive: false, only: basename(path) };
}

/** Builds once, then again after every change to the source, until the signal aborts. */
export async function watchSource({ source, round, signal, report, ignore = [] }: WatchOptions): Promise<void> {
  const target = await watchTarget(source);
  const ignored = new Set(ignore.map((path) => resolve(path)));
  let pending: { names: Set<string>; at: number } | undefined;
  /** What each changed path was when the round that read it began: mtime, size and inode, or "gone". */
  const seen = new Map<string, string>();
  const signature = async (name: string): Promise<string> => {
    const found = await stat(resolve(target.dir, name), { bigint: true }).catch(() => undefined);
    return found ? `${found.mtimeNs}:${found.size}:${found.ino}` : 'gone';
  };
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onChange = (_event: string, name: string | Buffer | null): void => {
    const changed = name === null ? '' : name.toString();
    if (target.only !== undefined && changed !== target.only) return;
    if (ignored.has(resolve(target.dir, changed))) return;
    pending ??= { names: new Set(), at: performance.now() };
    pending.names.add(changed);
    wake?.();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(target.dir, { recursive: target.recursive, persistent: true }, onChange);
  } catch (cause) {
    throw new InvalidInputError(`cannot watch ${target.dir}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'on Linux, a large source tree may need more inotify watches (sysctl fs.inotify.max_user_watches); or run rtbuild without --watch',
      cause,
    });
  }
  watcher.on('error', (cause: Error) => {
    failure = cause;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    await round({ number: 1, changed: undefined, changedAt: undefined });
    let rounds = 1;
    let waiting = false;
    for (;;) {
      if (!waiting) report(`watching ${source} for changes (Ctrl-C stops)`);
      waiting = true;
      while (pending === undefined && failure === undefined && !signal.aborted) await new Promise<void>((resolveWait) => (wake = resolveWait));
      wake = undefined;
      if (failure) {
        throw new InvalidInputError(`watching ${target.dir} failed: ${failure.message}`, { hint: 'the folder may have been removed or renamed; start rtbuild --watch again', cause: failure });
      }
      if (signal.aborted) return;
      // The other events of the same save (an editor writes, renames, changes the mode) are in by now.
      await new Promise((resolveImmediate) => setImmediate(resolveImmediate));
      const change = pending as { names: Set<string>; at: number };
      pending = undefined;
      const names = [...change.names];
      const now = await Promise.all(names.map(signature));
      if (names.every((name, i) => seen.get(name) === now[i])) continue;
      names.forEach((name, i) => seen.set(name, now[i] as string));
      waiting = false;
      await round({ number: ++rounds, changed: names[0] || undefined, changedAt: change.at });
      if (signal.aborted) return;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    watcher.close();
  }
}
