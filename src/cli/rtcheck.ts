#!/usr/bin/env node
// rtcheck IMAGE: runs a function runtime image both ways a platform starts it (its own entrypoint,
// sections 1–9; Kyma's buildless launch, section 11) and checks CONTRACT.md clause by clause. Exit 0
// when every MUST clause passed, 1 when a clause failed, 2 when the check could not run (no engine,
// image missing, bad arguments, unknown runtime).
import { readFile, writeFile } from 'node:fs/promises';
import { FUNCTION_API_VERSION, type FunctionResource, parseFunctionResources } from '../platform/function-resource.js';
import { Command, InvalidArgumentError } from 'commander';
import { CLAUSES, RTCHECK_SECTIONS } from '../rtcheck/clauses.js';
import { renderJson } from '../rtcheck/report/json.js';
import { renderJunit } from '../rtcheck/report/junit.js';
import { renderText } from '../rtcheck/report/text.js';
import { exitCodeForResults } from '../rtcheck/result.js';
import { CHECKS, LAUNCHES, runConformance } from '../rtcheck/runner.js';
import { resolveRuntime } from '../rtcheck/session.js';
import { kymaControllerName } from '../platform/kyma.js';
import type { LaunchKind } from '../platform/function-container.js';
import { RUNTIMES, knownRuntimeIds } from '../platform/runtimes.js';
import { selectClauses } from '../rtcheck/select.js';
import { EXIT_OK, InvalidInputError, NothingAssessedError } from '../errors.js';
import { runCli, withEngine } from './run.js';

interface Options {
  runtime?: string;
  function?: string;
  functionName?: string;
  launch: LaunchKind[];
  json?: string;
  junit?: string;
  only?: string;
  skip?: string;
  strict?: boolean;
  list?: boolean;
  keep?: boolean;
  timeout: number;
  quick?: boolean;
  verbose?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('give a number of seconds from 1 to 3600');
  return n;
}

function launches(value: string): LaunchKind[] {
  const wanted = value === 'both' ? [...LAUNCHES] : value.split(',').map((token) => token.trim());
  for (const token of wanted) {
    if (!(LAUNCHES as readonly string[]).includes(token)) throw new InvalidArgumentError(`use entrypoint, kyma or both (got "${token}")`);
  }
  return wanted as LaunchKind[];
}

function listClauses(): string {
  const checked = new Set<string>(CHECKS.map((check) => check.clause));
  const rows = CLAUSES.filter((clause) => RTCHECK_SECTIONS.includes(clause.section)).map(
    (clause) => `${clause.id.padEnd(16)} ${clause.level.padEnd(6)} ${clause.group.padEnd(9)} ${checked.has(clause.id) ? 'checked    ' : 'not yet    '} ${clause.text}`,
  );
  const runtimes = RUNTIMES.map((runtime) => `${runtime.id}${runtime.deprecated ? ' (deprecated)' : ''}`).join(', ');
  return `${rows.join('\n')}\n\nruntimes: ${runtimes}; any nodejs<major> or python3<minor> of the same API\n`;
}

/** The one Function of FILE that --function-name names (or the only one), with clear errors otherwise. */
async function readFunction(file: string, name: string | undefined): Promise<FunctionResource> {
  const text = await readFile(file, 'utf8').catch((cause: unknown) => {
    throw new InvalidInputError(`cannot read the Function resource ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause, hint: 'pass the YAML file rtbuild --for kyma --manifest wrote' });
  });
  const functions = parseFunctionResources(text, file);
  const names = functions.map((f) => f.metadata.name);
  if (functions.length === 0) throw new InvalidInputError(`${file} holds no Function (kind: Function, ${FUNCTION_API_VERSION})`, { hint: 'pass the YAML file rtbuild --for kyma --manifest wrote' });
  if (name !== undefined) {
    const found = functions.find((f) => f.metadata.name === name);
    if (!found) throw new InvalidInputError(`${file} has no Function named ${name}`, { hint: `it has: ${names.join(', ')}` });
    return found;
  }
  if (functions.length > 1) throw new InvalidInputError(`${file} holds ${functions.length} Functions (${names.join(', ')})`, { hint: 'say which one with --function-name NAME' });
  return functions[0] as FunctionResource;
}

async function main(): Promise<number> {
  const program = new Command('rtcheck')
    .description(
      'Run a function runtime image both ways a platform starts it and check the runtime contract, clause by clause:\n' +
        '  entrypoint  its own ENTRYPOINT/CMD, the function copied into $KUBELESS_INSTALL_VOLUME, restricted profile (sections 1–9)\n' +
        `  kyma        Kyma's buildless launch: sh -c SCRIPT as the controller writes it (section 11; ${kymaControllerName()})\n` +
        'Containers run with host networking on 127.0.0.1; Kyma\'s launch uses port 8080, one run at a time per machine.\n' +
        'Exit 0: every MUST clause passed (--strict: SHOULD too); 1: a clause failed; 2: the check could not run.',
    )
    .argument('[image]', 'the image to check, e.g. rt/nodejs22:dev')
    .option('--runtime <id>', `runtime of the image (${knownRuntimeIds()}, or any nodejs<major> / python3<minor>); default: FUNC_RUNTIME from the image config`)
    .option('--launch <which>', 'entrypoint, kyma or both (for an image built for one platform only)', launches, [...LAUNCHES])
    .option('--function <file>', "the Function resource (YAML) that runs IMAGE on Kyma as its runtimeImageOverride: also checks OVR-MANIFEST and OVR-BAKED (runs its inline source under Kyma's launch with no registry reachable)")
    .option('--function-name <name>', 'which Function of --function FILE, when it holds several')
    .option('--json <file>', 'also write the results as JSON to FILE ("-" for stdout instead of the text report)')
    .option('--junit <file>', 'also write JUnit XML to FILE (one testcase per clause)')
    .option('--only <ids>', 'check only these clause ids or groups (comma-separated), e.g. HTTP-LIMIT,event')
    .option('--skip <ids>', 'leave out these clause ids or groups')
    .option('--strict', 'a failed SHOULD clause fails the run')
    .option('--list', 'list the clauses and which ones rtcheck checks, then exit')
    .option('--keep', 'leave the containers behind for inspection (their ids are printed)')
    .option('--timeout <seconds>', 'global deadline for the whole run', seconds, 180)
    .option('--quick', 'only the image config and one smoke invocation')
    .option('-v, --verbose', 'progress on stderr; stack traces of errors')
    .showHelpAfterError()
    .exitOverride();
  program.parse();
  const options = program.opts<Options>();
  const image = program.args[0];

  // Argument errors come before any engine work.
  selectClauses({ only: options.only, skip: options.skip, launches: options.launch, withFunction: options.function !== undefined });
  if (options.runtime !== undefined) resolveRuntime(options.runtime, undefined);
  if (options.list) {
    process.stdout.write(listClauses());
    return EXIT_OK;
  }
  const fn = options.function === undefined ? undefined : await readFunction(options.function, options.functionName);
  if (!image) throw new InvalidInputError('no image given', { hint: 'rtcheck IMAGE, e.g. rtcheck rt/nodejs20:dev (rtcheck --list shows the clauses)' });

  const log = options.verbose ? (line: string): void => void process.stderr.write(`rtcheck: ${line}\n`) : undefined;
  return withEngine(async (engine) => {
    const summary = await runConformance({
      engine,
      image,
      runtime: options.runtime,
      launches: options.launch,
      fn,
      only: options.only,
      skip: options.skip,
      strict: options.strict ?? false,
      quick: options.quick ?? false,
      keep: options.keep ?? false,
      timeoutSeconds: options.timeout,
      ...(log ? { log } : {}),
    });
    if (options.json === '-') process.stdout.write(renderJson(summary));
    else {
      process.stdout.write(renderText(summary));
      if (options.json) await writeFile(options.json, renderJson(summary));
    }
    if (options.junit) await writeFile(options.junit, renderJunit(summary));
    if (summary.kept?.length) process.stderr.write(`rtcheck: kept containers (remove with docker rm -fv): ${summary.kept.map((id) => id.slice(0, 12)).join(' ')}\n`);
    // A run that judged nothing must not read as green in CI.
    if (summary.results.length > 0 && summary.results.every((result) => result.status === 'skip')) {
      throw new NothingAssessedError(`nothing could be assessed: every selected clause was skipped (${summary.results.map((r) => `${r.clause}: ${r.message}`).join('; ')})`, {
        hint: 'see the reasons above; select other clauses with --only, or free what the skipped check needs',
      });
    }
    return exitCodeForResults(summary.results);
  }, log);
}

runCli(main);
