#!/usr/bin/env node
// rtcheck IMAGE: runs a function runtime image the way the platform does and checks CONTRACT.md
// sections 1–9. Exit 0 when every MUST clause passed, 1 when a clause failed, 2 when the check could not
// run (no engine, image missing, bad arguments, unknown runtime).
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { CLAUSES, RTCHECK_SECTIONS } from '../rtcheck/clauses.js';
import { renderJson } from '../rtcheck/report/json.js';
import { renderJunit } from '../rtcheck/report/junit.js';
import { renderText } from '../rtcheck/report/text.js';
import { exitCodeForResults } from '../rtcheck/result.js';
import { CHECKS, RUNTIMES, resolveRuntime, runConformance } from '../rtcheck/run.js';
import { selectClauses } from '../rtcheck/select.js';
import { EXIT_OK, InvalidInputError } from '../errors.js';
import { runCli, withEngine } from './run.js';

interface Options {
  runtime?: string;
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

function listClauses(): string {
  const checked = new Set(CHECKS.map((check) => check.clause));
  const rows = CLAUSES.filter((clause) => RTCHECK_SECTIONS.includes(clause.section)).map(
    (clause) => `${clause.id.padEnd(16)} ${clause.level.padEnd(6)} ${clause.group.padEnd(9)} ${checked.has(clause.id) ? 'checked    ' : 'not yet    '} ${clause.text}`,
  );
  return `${rows.join('\n')}\n`;
}

async function main(): Promise<number> {
  const program = new Command('rtcheck')
    .description('Run a function runtime image as the platform does (host networking, restricted profile, function copied into $KUBELESS_INSTALL_VOLUME) and check the runtime contract, clause by clause.')
    .argument('[image]', 'the image to check, e.g. rt/nodejs20:dev')
    .option('--runtime <id>', `runtime of the image (${Object.keys(RUNTIMES).join('|')}); default: FUNC_RUNTIME from the image config`)
    .option('--json <file>', 'also write the results as JSON to FILE ("-" for stdout instead of the text report)')
    .option('--junit <file>', 'also write JUnit XML to FILE (one testcase per clause)')
    .option('--only <ids>', 'check only these clause ids or groups (comma-separated), e.g. HTTP-LIMIT,event')
    .option('--skip <ids>', 'leave out these clause ids or groups')
    .option('--strict', 'a failed SHOULD clause fails the run')
    .option('--list', 'list the clauses and which ones rtcheck checks, then exit')
    .option('--keep', 'leave the containers behind for inspection (their ids are printed)')
    .option('--timeout <seconds>', 'global deadline for the whole run', seconds, 90)
    .option('--quick', 'only the image config and one smoke invocation')
    .option('-v, --verbose', 'progress on stderr; stack traces of errors')
    .showHelpAfterError()
    .exitOverride();
  program.parse();
  const options = program.opts<Options>();
  const image = program.args[0];

  // Argument errors come before any engine work.
  selectClauses({ only: options.only, skip: options.skip });
  if (options.runtime !== undefined) resolveRuntime(options.runtime, undefined);
  if (options.list) {
    process.stdout.write(listClauses());
    return EXIT_OK;
  }
  if (!image) throw new InvalidInputError('no image given', { hint: 'rtcheck IMAGE, e.g. rtcheck rt/nodejs20:dev (rtcheck --list shows the clauses)' });

  const log = options.verbose ? (line: string): void => void process.stderr.write(`rtcheck: ${line}\n`) : undefined;
  return withEngine(async (engine) => {
    const summary = await runConformance({
      engine,
      image,
      runtime: options.runtime,
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
    return exitCodeForResults(summary.results);
  }, log);
}

runCli(main);
