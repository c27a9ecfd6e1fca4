// What a container's server process costs, read from the host without `docker exec`: the engine gives
// the host PID of the container's PID 1 (the runtime server under its own entrypoint), and /proc of
// that PID has its CPU time, resident memory and thread count. Benchmarks pin that process (all its
// threads; threads it starts later inherit it) to one core with taskset, as the load generator gets
// the other.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  /** User + system CPU time so far, in microseconds. */
  cpuMicros: number;
  /** The system (kernel) part of it: syscalls, the network stack. */
  systemMicros: number;
  /** Resident set size, bytes. */
  rssBytes: number;
  threads: number;
}

export async function sampleProcess(pid: number): Promise<ProcessSample> {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    cpuMicros: (ticks * 1_000_000) / TICKS_PER_SECOND,
    systemMicros: (Number(fields[12]) * 1_000_000) / TICKS_PER_SECOND,
    rssBytes: kb('VmRSS') * 1024,
    threads: kb('Threads'),
  };
}

let tasksetChecked: boolean | undefined;

/** Whether `taskset` is there to pin processes (benchmarks say so in their output when it is not). */
export async function canPin(): Promise<boolean> {
  tasksetChecked ??= await run('taskset', ['--version']).then(
    () => true,
    () => false,
  );
  return tasksetChecked;
}

/** Pins every thread of `pid` to `core` (a no-op without taskset). */
export async function pin(pid: number, core: number): Promise<void> {
  if (await canPin()) await run('taskset', ['-a', '-p', '-c', String(core), String(pid)]);
}

/** The command, pinned to `core` when taskset is there. */
export async function pinned(core: number, command: string, args: string[]): Promise<[string, string[]]> {
  return (await canPin()) ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}
