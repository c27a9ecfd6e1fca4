#!/usr/bin/env node
// rtbuild: turns a Function's sources into the image that runs them, on top of a runtime base image:
// the legacy function image (--for function), or an override image for Kyma's buildless launch with the
// Function resource that runs it (--for kyma, --manifest).
// Exit 0 built (and pushed), 1 the build or push failed, 2 bad input or no engine.
// Progress goes to stderr; --json prints one result object on stdout (several Functions: {"functions":
// [...]}), or on any error one {"error": {code, message, hint, details}}; --dry-run prints the
// Dockerfile, the install script and the build context listing without touching the engine.
// Start-up is part of every edit-rebuild loop (issue 16): what --help and --dry-run do not need (the
// builders, the Function resource's YAML, the rtcheck suite, dockerode) is imported when a command runs.
import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { type BuildConfig, RTBUILD_SETTINGS, loadBuildConfig } from '../config/rtbuild.js';
import { type Setting, flagDescription } from '../config/settings.js';
import { connectEngine } from '../engine/index.js';
import { EXIT_OK, InvalidInputError, type RtError, formatError, isRtError } from '../errors.js';
import { PROJECT_RUNTIMES } from '../platform/runtimes.js';
import { parseBaseRequest, projectRuntimeIds } from '../rtbuild/base-image/request.js';
import type { FunctionImageResult } from '../rtbuild/function/builder.js';
// Types only: the builder itself loads when a command runs.
import type * as Release from '../rtbuild/function/release.js';
import { runCli, wantsVerbose, withEngine } from './run.js';

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
  watch?: boolean;
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
    .option('--json', 'print one JSON result object on stdout (with --watch: one line per build)')
    .option(
      '-w, --watch',
      'build, then build again whenever a file of the source changes, until Ctrl-C; a failed build is reported and the watching goes on. A handler edit takes the fast path without node\'s start (the edit–rebuild loop). Flags and rtbuild.json are read once',
    )
    .option('-v, --verbose', 'show stack traces of errors')
    .action(async (options: OutputOptions & Record<string, string | string[] | boolean | undefined>) => {
      // Milliseconds from the process's start to here: node's own start, loading the CLI, parsing flags.
      const start = Math.round(performance.now());
      // The builder loads while the config is read (a dry run does not need it).
      const release = options.dryRun ? undefined : import('../rtbuild/function/release.js');
      release?.catch(() => undefined);
      const config = await loadBuildConfig(options, process.env, process.cwd());
      if (config.manifest === '-' && options.json) {
        throw new InvalidInputError('--manifest - and --json both write to stdout', { hint: 'drop --manifest - (the JSON result has the manifest), or write it to a file' });
      }
      if (options.dryRun) {
        if (options.watch) throw new InvalidInputError('--watch and --dry-run do not go together: a dry run builds nothing', { hint: 'drop one of them' });
        await dryRun(config, options.json === true);
        return;
      }
      const { releaseFunctionImages } = await (release ?? import('../rtbuild/function/release.js'));
      if (options.watch) {
        await watchAndBuild(config, options.json === true, start, releaseFunctionImages, log);
        return;
      }
      // No ping (the first request says when no engine answers) and no reaping: building a function
      // image creates no container, so there is none of an earlier run to clean up here.
      const results = (await releaseFunctionImages(await connectEngine({ ping: false }), config, log)).map((result) => ({ ...result, timingsMs: { start, ...result.timingsMs } }));
      await writeManifests(config, results);
      if (options.json) writeJsonResult(results);
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
      const { releaseBaseImage } = await import('../rtbuild/base-image/release.js');
      const request = parseBaseRequest(
        runtime,
        { tag: options.tag, context: options.context, upstream: options.baseImage, push: options.push ?? false, strict: options.strict ?? false },
        process.env,
      );
      const { result, failure } = await withEngine((engine) => releaseBaseImage(engine, request, log), log);
      // With --json the result comes out also when the gate refused the image: its rtcheck report is in it.
      if (options.json) {
        process.stdout.write(`${JSON.stringify(failure ? { ...result, error: errorBody(failure) } : result)}\n`);
        if (failure) printed.add(failure);
      }
      if (failure) throw failure;
    });
  // Failures are thrown (RtError → exit 1 or 2 in runCli); getting here means success.
  await program.parseAsync(process.argv);
  return EXIT_OK;
}

/** --dry-run: the plan of every Function, without an engine. */
async function dryRun(config: BuildConfig, json: boolean): Promise<void> {
  const [{ runtimeById }, { assumedBase }, { functionInputs }, { contextListing, planFunctionImage }] = await Promise.all([
    import('../platform/runtimes.js'),
    import('../rtbuild/function/base.js'),
    import('../rtbuild/function/input.js'),
    import('../rtbuild/function/plan.js'),
  ]);
  const plans = [];
  for (const input of await functionInputs(config)) {
    const id = input.resource?.spec.runtime;
    const base = await assumedBase(config, input.root, config.runtime ?? (id === undefined ? undefined : runtimeById(id)));
    plans.push(await planFunctionImage(config, base, input));
  }
  for (const plan of plans) {
    for (const note of plan.notes) process.stderr.write(`${note}\n`);
    const listing = contextListing(plan);
    if (json) {
      process.stdout.write(`${JSON.stringify({ name: plan.name, target: plan.target, dockerfile: plan.dockerfile, tools: plan.tools, context: listing, labels: plan.labels, buildArgs: Object.keys(plan.buildArgs) })}\n`);
    } else {
      const tools = plan.tools.filter((tool) => tool.name === 'install.sh').map((tool) => `\n# ${tool.name}\n${tool.content.replace(/^/gm, '#   ')}`);
      process.stdout.write(`${plan.dockerfile}${tools.join('')}\n# build context\n${listing.map((line) => `#   ${line}`).join('\n')}\n`);
    }
  }
}

/**
 * --watch: every round builds and prints like a one-shot run (with --json one line, with its round
 * number); a round that fails prints its error and the watching goes on. SIGINT or SIGTERM stops it
 * (after the round in flight; a second one ends the process at once).
 */
async function watchAndBuild(
  config: BuildConfig,
  json: boolean,
  start: number,
  releaseFunctionImages: typeof Release.releaseFunctionImages,
  log: (line: string) => void,
): Promise<void> {
  const [{ watchSource }, { prepareFastPath }] = await Promise.all([import('../rtbuild/function/watch.js'), import('../rtbuild/function/fast-path.js')]);
  const engine = await connectEngine({ ping: false });
  const controller = new AbortController();
  const stop = (): void => {
    log('stopping: no more builds (the one in progress, if any, finishes; Ctrl-C again ends rtbuild at once)');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await watchSource({
      source: config.source,
      ignore: config.manifest === undefined || config.manifest === '-' ? [] : [config.manifest],
      signal: controller.signal,
      report: log,
      round: async ({ number, changed, changedAt }) => {
        if (number > 1) log(`${changed ?? 'the source'} changed: building again (round ${number})`);
        try {
          const results = (await releaseFunctionImages(engine, config, log)).map((result) => ({
            ...result,
            // The first round's start is the process's; a later round's is the change that started it.
            timingsMs: { ...(number === 1 ? { start } : { sinceChange: changedAt === undefined ? 0 : Math.round(performance.now() - changedAt) }), ...result.timingsMs },
          }));
          await writeManifests(config, results);
          if (json) writeJsonResult(results, { round: number, ...(changed !== undefined ? { changed } : {}) });
        } catch (error) {
          // A bug stops the watching; a failed build or bad sources are for the user to fix while it goes on.
          if (!isRtError(error)) throw error;
          log(formatError(error, wantsVerbose(process.argv)));
          if (json) process.stdout.write(`${JSON.stringify({ error: errorBody(error), round: number, ...(changed !== undefined ? { changed } : {}) })}\n`);
        }
        // Best effort: without it the first edit reads the base image's config itself.
        if (number === 1) await prepareFastPath(engine, config, log).catch(() => undefined);
      },
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** --json: one line, the result of the one Function or `{ functions: [...] }`, with `extra` fields (--watch's round). */
function writeJsonResult(results: readonly FunctionImageResult[], extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify(results.length === 1 ? { ...results[0], ...extra } : { functions: results, ...extra })}\n`);
}

/** --manifest FILE (or - for stdout): every built Function's resource, one YAML stream (OVR-MANIFEST). */
async function writeManifests(config: BuildConfig, results: readonly FunctionImageResult[]): Promise<void> {
  if (config.manifest === undefined) return;
  const text = results.flatMap((result) => (result.manifest === undefined ? [] : [result.manifest])).join('---\n');
  if (config.manifest === '-') process.stdout.write(text);
  else await writeFile(config.manifest, text);
}

/** Failures whose JSON is already on stdout (inside a result), not to be printed again. */
const printed = new WeakSet<object>();

function errorBody(rt: RtError): { code: string; message: string; hint: string | undefined; details: string | undefined } {
  return { code: rt.code, message: rt.message, hint: rt.hint, details: rt.details };
}

/** With --json, every failure is also one JSON object on stdout: {"error": {code, message, hint, details}}. */
function jsonErrors(run: () => Promise<number>, argv: readonly string[] = process.argv): () => Promise<number> {
  if (!argv.includes('--json')) return run;
  return async () => {
    try {
      return await run();
    } catch (error) {
      const rt = isRtError(error)
        ? error
        : error instanceof CommanderError
          ? new InvalidInputError(error.message.replace(/^error: /, ''), { hint: 'rtbuild --help lists the options' })
          : undefined;
      if (!(error instanceof CommanderError && error.exitCode === 0) && !(typeof error === 'object' && error !== null && printed.has(error))) {
        const body = rt
          ? errorBody(rt)
          : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), hint: 'this is a bug in rtbuild; run again with --verbose and report it' };
        process.stdout.write(`${JSON.stringify({ error: body })}\n`);
      }
      throw error;
    }
  };
}

runCli(jsonErrors(main));
