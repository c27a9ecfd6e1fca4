// Where the runtime's own lines go: start-up and access log on stdout, errors on stderr (LC-LOG).
export interface Log {
  info(line: string): void;
  error(line: string): void;
}

export const consoleLog: Log = {
  info: (line) => process.stdout.write(line + '\n'),
  error: (line) => process.stderr.write(line + '\n'),
};

/** A one-line description of any thrown value, with the stack when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  let shown: string;
  try {
    shown = typeof err === 'string' ? JSON.stringify(err) : String(err);
  } catch {
    shown = Object.prototype.toString.call(err);
  }
  return `non-Error value thrown: ${shown}`;
}
