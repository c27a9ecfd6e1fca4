// The one place that turns errors into exit codes and printed messages. CLI entry points call
// runCli; nothing else in the toolchain exits the process.
import { CommanderError } from 'commander';
import { EXIT_TOOL_ERROR, exitCodeFor, formatError, isRtError } from '../errors.js';

export function wantsVerbose(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v');
}

export function runCli(main: () => Promise<number>, argv: readonly string[] = process.argv): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Commander has already printed its usage message; bad arguments mean the tool could not run.
      if (error instanceof CommanderError) {
        process.exitCode = error.exitCode === 0 ? 0 : EXIT_TOOL_ERROR;
        return;
      }
      process.stderr.write(`${formatError(error, wantsVerbose(argv))}\n`);
      process.exitCode = isRtError(error) ? exitCodeFor(error) : EXIT_TOOL_ERROR;
    },
  );
}
