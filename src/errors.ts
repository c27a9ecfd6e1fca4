// Every error the toolchain raises on purpose. Each carries a stable `code` (classify by code,
// never by message text), a message that says what failed, and a hint that says what to try.
// Library code throws these; only CLI entry points turn them into exit codes.

export type ErrorCode =
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_REQUEST_FAILED'
  | 'BUILD_FAILED'
  | 'PUSH_FAILED'
  | 'PULL_FAILED'
  | 'IMAGE_NOT_FOUND'
  | 'CONTAINER_FAILED'
  | 'REGISTRY_AUTH'
  | 'INVALID_INPUT'
  | 'UNSAFE_PATH'
  | 'DEADLINE_EXCEEDED'
  | 'CONTRACT_FAILED'
  | 'NOTHING_ASSESSED'
  | 'SECRET_LEAKED';

/** What kind of failure it is, which decides the exit code of a CLI. */
export type FailureKind =
  /** The tool could not do its job: bad input, no engine, missing image. */
  | 'tool'
  /** The tool ran and the thing it made or checked failed (a build step, a push). */
  | 'subject';

export interface RtErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
  /** Evidence for the user: engine output, log tail. Printed below the message. */
  details?: string | undefined;
}

export class RtError extends Error {
  readonly code: ErrorCode;
  readonly kind: FailureKind;
  readonly hint: string | undefined;
  readonly details: string | undefined;

  constructor(code: ErrorCode, kind: FailureKind, message: string, options: RtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export class EngineUnavailableError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('ENGINE_UNAVAILABLE', 'tool', message, options);
  }
}

/** The engine answered, but refused or failed a request for a reason that is not the subject's. */
export class EngineRequestError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('ENGINE_REQUEST_FAILED', 'tool', message, options);
  }
}

/**
 * What is known about a failed build: the engine reads it from its builder (BuildKit's failed vertex,
 * the classic builder's "Step N/M"), so that callers decide by stage and exit code, never by text.
 */
export interface BuildFailure {
  /** The builder's own error text (the engine's, or the command that prepared the context). */
  readonly engineMessage: string;
  /** The Dockerfile stage of the failed step ("deps"; BuildKit's "stage-1" when unnamed); undefined when not known. */
  readonly stage: string | undefined;
  /** The failed step, "4/6"; undefined when not known. */
  readonly step: string | undefined;
  /** The failed step's instruction as the builder names it ("RUN npm ci …"). */
  readonly instruction: string | undefined;
  /** The command of a RUN step that exited non-zero, shortened to its first part. */
  readonly command: string | undefined;
  /** The exit code of that RUN step. */
  readonly exitCode: number | undefined;
  /** The failed step's last output lines (the build's last lines when the step is not known). */
  readonly output: readonly string[];
}

/** The short text users read: the step and its exit code when a RUN step failed, else the engine's text. */
function buildFailureSummary(failure: BuildFailure): string {
  if (failure.command !== undefined && failure.exitCode !== undefined) {
    return `the step "RUN ${failure.command}" exited with code ${failure.exitCode}`;
  }
  return failure.engineMessage;
}

/** The evidence below the message: the step, when the message does not name it, then its output. */
function buildFailureEvidence(failure: BuildFailure): string | undefined {
  const step =
    failure.command === undefined && failure.step !== undefined && failure.instruction !== undefined
      ? [`[${failure.stage === undefined ? '' : `${failure.stage} `}${failure.step}] ${failure.instruction}`]
      : [];
  const lines = [...step, ...failure.output];
  return lines.length > 0 ? lines.join('\n') : undefined;
}

export class BuildFailedError extends RtError implements BuildFailure {
  readonly engineMessage: string;
  readonly stage: string | undefined;
  readonly step: string | undefined;
  readonly instruction: string | undefined;
  readonly command: string | undefined;
  readonly exitCode: number | undefined;
  readonly output: readonly string[];

  constructor(failure: Partial<BuildFailure> & Pick<BuildFailure, 'engineMessage'>, options: Omit<RtErrorOptions, 'details'> = {}) {
    const complete: BuildFailure = {
      stage: undefined,
      step: undefined,
      instruction: undefined,
      command: undefined,
      exitCode: undefined,
      ...failure,
      output: Object.freeze([...(failure.output ?? [])]),
    };
    super('BUILD_FAILED', 'subject', `image build failed: ${buildFailureSummary(complete)}`, {
      ...options,
      details: buildFailureEvidence(complete),
    });
    this.engineMessage = complete.engineMessage;
    this.stage = complete.stage;
    this.step = complete.step;
    this.instruction = complete.instruction;
    this.command = complete.command;
    this.exitCode = complete.exitCode;
    this.output = complete.output;
  }
}

export class PushFailedError extends RtError {
  readonly engineMessage: string;
  constructor(reference: string, engineMessage: string, options: RtErrorOptions = {}) {
    super('PUSH_FAILED', 'subject', `push of ${reference} failed: ${engineMessage}`, options);
    this.engineMessage = engineMessage;
  }
}

export class PullFailedError extends RtError {
  constructor(reference: string, engineMessage: string, options: RtErrorOptions = {}) {
    super('PULL_FAILED', 'tool', `pull of ${reference} failed: ${engineMessage}`, options);
  }
}

export class ImageNotFoundError extends RtError {
  constructor(reference: string, options: RtErrorOptions = {}) {
    super('IMAGE_NOT_FOUND', 'tool', `image ${reference} is not in the engine`, {
      hint: `build or pull it first (docker pull ${reference}), or check the name and tag`,
      ...options,
    });
  }
}

export class ContainerError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('CONTAINER_FAILED', 'tool', message, options);
  }
}

export class RegistryAuthError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('REGISTRY_AUTH', 'tool', message, options);
  }
}

export class InvalidInputError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('INVALID_INPUT', 'tool', message, options);
  }
}

/** A path from an archive or a source folder that would leave its root. */
export class UnsafePathError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('UNSAFE_PATH', 'tool', message, options);
  }
}

export class DeadlineExceededError extends RtError {
  constructor(what: string, seconds: number, options: RtErrorOptions = {}) {
    super('DEADLINE_EXCEEDED', 'tool', `${what} did not finish within ${seconds} s`, options);
  }
}

/** An image that rtcheck found not to keep the runtime contract. */
export class ContractFailedError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('CONTRACT_FAILED', 'subject', message, options);
  }
}

/** rtcheck ran, but every clause it was asked for was skipped: no verdict, so no green. */
export class NothingAssessedError extends RtError {
  constructor(message: string, options: RtErrorOptions = {}) {
    super('NOTHING_ASSESSED', 'tool', message, options);
  }
}

/**
 * A registry credential was found in what a build installed (FIN-SECRETS): a package's install script
 * copied it. The build is refused; nothing was tagged or pushed.
 */
export class SecretLeakedError extends RtError {
  readonly files: readonly string[];
  constructor(files: readonly string[], credential: string, options: Omit<RtErrorOptions, 'details'> = {}) {
    super('SECRET_LEAKED', 'subject', `a value of the credential ${credential} was found in the installed dependencies: ${files.join(', ') || '(files not named)'}`, {
      hint: 'an install script of the Function or of a dependency copied it; remove that script or dependency (nothing was tagged or pushed)',
      ...options,
    });
    this.files = Object.freeze([...files]);
  }
}

export function isRtError(error: unknown): error is RtError {
  return error instanceof RtError;
}

/** Exit codes shared by every CLI: 1 = the subject failed, 2 = the tool could not run. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_TOOL_ERROR = 2;

export function exitCodeFor(error: unknown): number {
  return isRtError(error) && error.kind === 'subject' ? EXIT_FAILED : EXIT_TOOL_ERROR;
}

/** The text a CLI prints for an error: message, evidence, hint; the stack only when asked. */
export function formatError(error: unknown, verbose = false): string {
  if (!isRtError(error)) {
    const text = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
    return `error: ${text}\n(this is a bug in the tool; run again with --verbose and report it)`;
  }
  const lines = [`error: ${error.message}`];
  if (error.details) lines.push(error.details.trimEnd().replace(/^/gm, '  '));
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (verbose && error.stack) lines.push(error.stack);
  return lines.join('\n');
}
