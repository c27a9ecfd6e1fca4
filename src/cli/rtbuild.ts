#!/usr/bin/env node
// rtbuild: turns a Function's sources into the image that runs them, on top of a runtime base image.
// Exit 0 built (and pushed), 1 the build or push failed, 2 bad input or no engine.
// Progress goes to stderr; --json prints one result object on stdout; --dry-run prints the
// Dockerfile and the build context listing without touching the engine.
import { Command } from 'commander';
import { assumedBase, buildFunctionImage, contextListing, planFunctionImage } from '../build/builder.js';
import { type BuildFlags, ENV, loadBuildConfig } from '../config/rtbuild.js';
import { connectEngine, onInterrupt, removeOwnContainers } from '../engine/index.js';
import { EXIT_OK } from '../errors.js';
import { runCli } from './run.js';

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
      const engine = await connectEngine();
      const uninstall = onInterrupt(() => removeOwnContainers(engine));
      try {
        const result = await buildFunctionImage(engine, config, log);
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        uninstall();
      }
    });
  // Failures are thrown (RtError → exit 1 or 2 in runCli); getting here means success.
  await program.parseAsync(process.argv);
  return EXIT_OK;
}

runCli(main);
