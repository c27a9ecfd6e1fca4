#!/usr/bin/env node
// rtbuild: turns a Function's sources into the image that runs them, on top of a runtime base image.
// Exit 0 built (and pushed), 1 the build or push failed, 2 bad input or no engine.
// Progress goes to stderr; --json prints one result object on stdout; --dry-run prints the
// Dockerfile and the build context listing without touching the engine.
import { Command, Option } from 'commander';
import { RTBUILD_SETTINGS, loadBuildConfig } from '../config/rtbuild.js';
import { type Setting, flagDescription } from '../config/settings.js';
import { EXIT_OK } from '../errors.js';
import { PROJECT_RUNTIMES } from '../platform/runtimes.js';
import { releaseBaseImage } from '../rtbuild/base-image/release.js';
import { parseBaseRequest, projectRuntimeIds } from '../rtbuild/base-image/request.js';
import { assumedBase } from '../rtbuild/function/base.js';
import { contextListing, planFunctionImage } from '../rtbuild/function/plan.js';
import { releaseFunctionImage } from '../rtbuild/function/release.js';
import { runCli, withEngine } from './run.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The commander option of a setting of the table. */
function settingOption(row: Setting): Option | undefined {
  if (!row.flag) return undefined;
  const option = new Option(row.flag.spelling, flagDescription(row));
  return row.flag.repeatable ? option.argParser(collect) : option;
}

/** The CLI's own options: what to print, not what to build. */
interface OutputOptions {
  dryRun?: boolean;
  json?: boolean;
}

async function main(): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const program = new Command('rtbuild')
    .description('Build a Function image: the sources (and their npm / pip dependencies) on top of a runtime base image.')
    .showHelpAfterError()
    .exitOverride()
    // Options after `base` belong to it (both commands have --tag).
    .enablePositionalOptions();
  for (const row of Object.values(RTBUILD_SETTINGS)) {
    const option = settingOption(row);
    if (option) program.addOption(option);
  }
  program
    .option('--dry-run', 'print the Dockerfile and the build context listing; no engine work')
    .option('--json', 'print one JSON result object on stdout')
    .option('-v, --verbose', 'show stack traces of errors')
    .action(async (options: OutputOptions & Record<string, string | string[] | boolean | undefined>) => {
      const config = await loadBuildConfig(options, process.env, process.cwd());
      if (options.dryRun) {
        const plan = await planFunctionImage(config, await assumedBase(config));
        const listing = contextListing(plan);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ dockerfile: plan.dockerfile, context: listing, labels: plan.labels, buildArgs: Object.keys(plan.buildArgs) })}\n`);
        } else {
          process.stdout.write(`${plan.dockerfile}\n# build context\n${listing.map((line) => `#   ${line}`).join('\n')}\n`);
        }
        return;
      }
      const result = await withEngine((engine) => releaseFunctionImage(engine, config, log), log);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  const upstreamVariables = [...new Set(PROJECT_RUNTIMES.map((runtime) => runtime.project?.upstreamEnv))].join(' / ');
  program
    .command('base')
    .argument('[runtime]', `one of ${projectRuntimeIds()}: a base image of this project (its folder under base-images/)`)
    .description(
      'Build a runtime base image, check it with the rtcheck suite, and publish it only if it keeps the contract.\n' +
        'Pushes the version tag and a tag with the git revision. Exit 1 when the build fails or a MUST clause fails (nothing is pushed).',
    )
    .requiredOption('-t, --tag <ref>', 'REGISTRY/NAME:VERSION, e.g. 127.0.0.1:5000/runtimes/nodejs20:1.0.0')
    .option('--context <dir>', 'build your own runtime image folder (a Dockerfile with ARG BASE_IMAGE) instead')
    .option('-b, --base-image <ref>', `upstream image for the BASE_IMAGE build argument (default: ${upstreamVariables} of the runtime, else the Dockerfile default)`)
    .option('--push', 'push the tags once the image passes the contract')
    .option('--strict', 'SHOULD clauses must pass too')
    .option('--json', 'print one JSON result object on stdout')
    .option('-v, --verbose', 'show stack traces of errors')
    .action(async (runtime: string | undefined, options: { tag: string; context?: string; baseImage?: string; push?: boolean; strict?: boolean; json?: boolean }) => {
      const request = parseBaseRequest(
        runtime,
        { tag: options.tag, context: options.context, upstream: options.baseImage, push: options.push ?? false, strict: options.strict ?? false },
        process.env,
      );
      const result = await withEngine((engine) => releaseBaseImage(engine, request, log), log);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  // Failures are thrown (RtError → exit 1 or 2 in runCli); getting here means success.
  await program.parseAsync(process.argv);
  return EXIT_OK;
}

runCli(main);
