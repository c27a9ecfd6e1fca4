// The one place that turns errors into exit codes and printed messages. CLI entry points call
// runCli; nothing else in the toolchain exits the process.
import { CommanderError } from 'commander';
import { type Engine, connectEngine, onInterrupt, reapOrphans, removeOwnContainers } from '../engine/index.js';
import { EXIT_TOOL_ERROR, exitCodeFor, formatError, isRtError } from '../errors.js';
import { restoreExtraCaCertsForChildren } from '../extra-ca-certs.js';

export function wantsVerbose(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v');
}

export function runCli(main: () => Promise<number>, argv: readonly string[] = process.argv): void {
  // The launcher started node without NODE_EXTRA_CA_CERTS (src/extra-ca-certs.ts); children get it back.
  restoreExtraCaCertsForChildren();
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

/**
 * Connects to the engine for one command: first removes containers that killed earlier runs left
 * behind, and while `work` runs, a SIGINT or SIGTERM removes every container this process created.
 */
export async function withEngine<T>(work: (engine: Engine) => Promise<T>, log?: (line: string) => void): Promise<T> {
  const engine = await connectEngine();
  const reaped = await reapOrphans(engine);
  if (reaped > 0) log?.(`removed ${reaped} container(s) left by killed runs`);
  const uninstall = onInterrupt(() => removeOwnContainers(engine));
  try {
    return await work(engine);
  } finally {
    uninstall();
  }
}
