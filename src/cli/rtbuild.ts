#!/usr/bin/env node
// rtbuild: turns a Function's sources into the image that runs them, on top of a runtime base image.
// Exit 0 built (and pushed), 1 the build or push failed, 2 bad input or no engine.
// Progress goes to stderr; --json prints one result object on stdout; --dry-run prints the
// Dockerfile and the build context listing without touching the engine.
import { Command } from 'commander';
import { buildBaseImage, parseBaseRequest } from '../rtbuild/base-image/builder.js';
import { assumedBase, buildFunctionImage, contextListing, planFunctionImage } from '../rtbuild/function/builder.js';
import { type BuildFlags, ENV, loadBuildConfig } from '../config/rtbuild.js';
import { EXIT_OK } from '../errors.js';
import { runCli, withEngine } from './run.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface CliOptions extends Omit<BuildFlags, 'noCache'> {
  cache?: boolean;
  json?: boolean;
}

async function main(): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const program = new Command('rtbuild')
    .description('Build a Function image: the sources (and their npm / pip dependencies) on top of a runtime base image.')
    .option('-b, --base-image <ref>', `runtime base image, built into FROM \${base_image} (env ${ENV.baseImage})`)
    .option('-s, --source <dir>', `the Function's source folder (env ${ENV.source}; default .)`)
    .option('-t, --tag <ref>', `tag for the image; repeat for more (env ${ENV.tags}, comma-separated)`, collect, [])
    .option('-c, --config <file>', 'config file (default: rtbuild.json in the source folder)')
    .option('--runtime <id>', `nodejs20, python312, ...; default: FUNC_RUNTIME of the base image (env ${ENV.runtime})`)
    .option('--build-arg <KEY=VALUE>', 'build argument for the dependency install step; repeatable', collect, [])
    .option('--platform <os/arch>', `target platform, e.g. linux/amd64 (env ${ENV.platform})`)
    .option('--push', `push every tag with Docker config credentials (env ${ENV.push})`)
    .option('--network <mode>', `network of the build steps: default, host, none; host reaches a package registry on 127.0.0.1 (env ${ENV.network})`)
    .option('--builder <name>', `the engine's builder: buildkit (default) or classic, for engines without BuildKit (env ${ENV.builder})`)
    .option('--npm-registry <url>', `npm registry for dependencies (env ${ENV.npmRegistry})`)
    .option('--pip-index-url <url>', `pip index URL for dependencies (env ${ENV.pipIndexUrl})`)
    .option('--npmrc <file>', `.npmrc with registry credentials; used only while installing, never in the image (env ${ENV.npmrc})`)
    .option('--pip-conf <file>', `pip.conf with index credentials; used only while installing, never in the image (env ${ENV.pipConf})`)
    .option('--source-url <url>', `org.opencontainers.image.source label (default: the git remote) (env ${ENV.sourceUrl})`)
    .option('--no-cache', 'do not reuse cached layers')
    .option('--dry-run', 'print the Dockerfile and the build context listing; no engine work')
    .option('--json', 'print one JSON result object on stdout')
    .option('-v, --verbose', 'show stack traces of errors')
    .showHelpAfterError()
    .exitOverride()
    // Options after `base` belong to it (both commands have --tag).
    .enablePositionalOptions()
    .action(async (options: CliOptions) => {
      const config = await loadBuildConfig({ ...options, noCache: options.cache === false }, process.env, process.cwd());
      if (config.dryRun) {
        const plan = await planFunctionImage(config, await assumedBase(config));
        const listing = contextListing(plan);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ dockerfile: plan.dockerfile, context: listing, labels: plan.labels, buildArgs: Object.keys(plan.buildArgs) })}\n`);
        } else {
          process.stdout.write(`${plan.dockerfile}\n# build context\n${listing.map((line) => `#   ${line}`).join('\n')}\n`);
        }
        return;
      }
      const result = await withEngine((engine) => buildFunctionImage(engine, config, log), log);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  program
    .command('base')
    .argument('[runtime]', 'nodejs20 or python312: a base image of this project (base-images/<runtime>)')
    .description(
      'Build a runtime base image, check it with the rtcheck suite, and publish it only if it keeps the contract.\n' +
        'Pushes the version tag and a tag with the git revision. Exit 1 when the build fails or a MUST clause fails (nothing is pushed).',
    )
    .requiredOption('-t, --tag <ref>', 'REGISTRY/NAME:VERSION, e.g. 127.0.0.1:5000/runtimes/nodejs20:1.0.0')
    .option('--context <dir>', 'build your own runtime image folder (a Dockerfile with ARG BASE_IMAGE) instead')
    .option('-b, --base-image <ref>', 'upstream image for the BASE_IMAGE build argument (default: NODE_BASE_IMAGE / PYTHON_BASE_IMAGE, else the Dockerfile default)')
    .option('--push', 'push the tags once the image passes the contract')
    .option('--strict', 'SHOULD clauses must pass too')
    .option('--json', 'print one JSON result object on stdout')
    .option('-v, --verbose', 'show stack traces of errors')
    .action(async (runtime: string | undefined, options: { tag: string; context?: string; baseImage?: string; push?: boolean; strict?: boolean; json?: boolean }) => {
      const request = parseBaseRequest(runtime, {
        tag: options.tag,
        context: options.context,
        upstream: options.baseImage,
        push: options.push ?? false,
        strict: options.strict ?? false,
      });
      const result = await withEngine((engine) => buildBaseImage(engine, request, log), log);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  // Failures are thrown (RtError → exit 1 or 2 in runCli); getting here means success.
  await program.parseAsync(process.argv);
  return EXIT_OK;
}

runCli(main);
