// A failed build as data: which stage and step failed, the RUN command and its exit code, and that
// step's output. Both builders say it differently (BuildKit: the failed vertex of its trace,
// "[deps 4/5] RUN …"; the classic builder: "Step 4/9 : RUN …" lines and "---> Running in" markers),
// and this is the one place that reads their formats, so that nothing above the engine ever
// classifies a build failure by its text.
import type { BuildFailure } from '../errors.js';

/** How many lines of a step's output a failure carries as evidence. */
export const EVIDENCE_LINES = 30;
/** How much of a RUN command a message shows. */
const COMMAND_CHARS = 80;

/** The step a builder names: "[deps 4/5] RUN npm ci" (BuildKit) or "Step 4/9 : RUN npm ci" (classic). */
export interface BuildStep {
  stage: string | undefined;
  step: string;
  instruction: string;
}

/** BuildKit's vertex name of a Dockerfile step: "[deps 4/5] RUN …", "[2/2] COPY …"; undefined for its own vertexes. */
export function stepOfVertexName(name: string): BuildStep | undefined {
  const match = /^\[(?:(\S+) )?(\d+\/\d+)\] (.*)$/s.exec(name);
  if (!match) return undefined;
  return { stage: match[1], step: match[2] as string, instruction: match[3] as string };
}

/**
 * The command and exit code of a RUN step that exited non-zero, from the engine's error text:
 *   classic:              The command '/bin/sh -c …' returned a non-zero code: 1
 *   BuildKit (dockerd 20): [failed to solve: ]executor failed running [/bin/sh -c …]: exit code: 1
 *   BuildKit (later):      process "/bin/sh -c …" did not complete successfully: exit code: 1
 * The command is shortened to its first part (rtbuild's install step goes on with "; status=$?; …").
 */
export function runStepExit(engineMessage: string): { command: string; exitCode: number } | undefined {
  const match =
    /^The command '(?:\/bin\/sh -c )?(.*)' returned a non-zero code: (\d+)$/s.exec(engineMessage) ??
    /^(?:.*: )?executor failed running \[(?:\/bin\/sh -c )?(.*)\]: exit code: (\d+)$/s.exec(engineMessage) ??
    /process "(?:\/bin\/sh -c )?(.*)" did not complete successfully: exit code: (\d+)$/s.exec(engineMessage);
  if (!match) return undefined;
  const command = (match[1] as string).split(';')[0]!.trim();
  const shown = command.length > COMMAND_CHARS ? `${command.slice(0, COMMAND_CHARS - 1)}…` : command;
  return { command: shown, exitCode: Number(match[2]) };
}

/**
 * Follows the classic builder's output line by line: the current stage (from its "FROM … AS name"
 * step), the current step, and the output of that step (the lines after "---> Running in", without
 * the builder's own bookkeeping lines). When the build fails, the current step is the one that failed.
 */
export class ClassicSteps {
  private stageIndex = -1;
  private stage: string | undefined;
  private current: BuildStep | undefined;
  private output: string[] = [];

  line(line: string): void {
    const step = /^Step (\d+\/\d+) : (.*)$/s.exec(line);
    if (step) {
      const instruction = step[2] as string;
      if (/^FROM\s/i.test(instruction)) {
        this.stageIndex++;
        // Named like BuildKit names them: the AS name, else "stage-N" (BuildKit leaves a lone stage unnamed).
        this.stage = /\sAS\s+(\S+)\s*$/i.exec(instruction)?.[1] ?? (this.stageIndex > 0 ? `stage-${this.stageIndex}` : undefined);
      }
      this.current = { stage: this.stage, step: step[1] as string, instruction };
      this.output = [];
      return;
    }
    if (/^\s*---> /.test(line) || /^\s*Removing intermediate container /.test(line) || line.trim() === '') return;
    this.output.push(line);
    if (this.output.length > 1000) this.output.splice(0, this.output.length - 1000);
  }

  /** The step running now (the failed one, once the build failed), with its last `count` output lines. */
  failedStep(count = EVIDENCE_LINES): (BuildStep & { output: string[] }) | undefined {
    return this.current && { ...this.current, output: this.output.slice(-count) };
  }
}

/** The failure of a build, from the engine's error text and the step the builder was running. */
export function buildFailure(
  engineMessage: string,
  step: (Partial<BuildStep> & { output: readonly string[] }) | undefined,
  fallbackOutput: readonly string[],
): BuildFailure {
  const exit = runStepExit(engineMessage);
  return {
    engineMessage,
    stage: step?.stage,
    step: step?.step,
    instruction: step?.instruction,
    command: exit?.command,
    exitCode: exit?.exitCode,
    // A known step's own output, even when it printed nothing; else the builder's last lines.
    output: step ? step.output : fallbackOutput,
  };
}
