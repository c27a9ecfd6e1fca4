// `rtbuild`: build the function image of each Function the source names, then publish it under every
// tag: to the local engine, or with --push to the tags' registries. The builder never publishes; this is
// where the two meet. With --for kyma, each result carries the Function resource that runs it
// (OVR-MANIFEST), its runtimeImageOverride pinned by digest when pushed.
import { type BuildConfig, NAME_PLACEHOLDER, tagsFor } from '../../config/rtbuild.js';
import type { Engine } from '../../engine/index.js';
import { InvalidInputError } from '../../errors.js';
import { formatReference } from '../../image/reference.js';
import { enginePublisher } from '../publish/engine.js';
import { publishAll, publishedEntry } from '../publish/publisher.js';
import { type FunctionImageResult, type Reporter, buildFunctionImage } from './builder.js';
import { type FunctionInput, functionInputs } from './input.js';
import { functionManifest } from './kyma-function.js';

export async function releaseFunctionImage(
  engine: Engine,
  config: BuildConfig,
  input: FunctionInput,
  report: Reporter,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FunctionImageResult> {
  const released = Date.now();
  const image = await buildFunctionImage(engine, config, input, report, env);
  const tags = tagsFor(config, input.name);
  const started = Date.now();
  // The registry's client and credentials are loaded only to push.
  const publisher = config.push
    ? (await import('../publish/registry.js')).registryPublisher(engine, { env, onProgress: (event) => report(`  ${event.text}`), report })
    : enginePublisher(engine);
  if (tags.length > 0) report(`${config.push ? 'pushing' : 'tagging'} ${image.id} as ${tags.map(formatReference).join(', ')}`);
  const published = await publishAll(publisher, image, tags);
  const done = Date.now();
  const pushed = config.push ? published.map(publishedEntry) : [];
  for (const entry of pushed) report(`pushed ${entry.reference}@${entry.digest}`);
  const { id, timingsMs, handler, assembled: _assembled, ...facts } = image;
  const first = config.push ? published[0] : tags[0];
  // The YAML writer loads only for a Function resource to write (it costs ~70 ms of a start).
  const manifest =
    config.target === 'kyma' && first !== undefined
      ? (await import('../../platform/function-resource.js')).renderFunctionResource(
          functionManifest({ name: input.name, runtimeId: image.runtime, image: formatReference(first), handler: handler ?? '', env: config.env, resource: input.resource }),
        )
      : undefined;
  return {
    imageId: id,
    tags: tags.map(formatReference),
    ...facts,
    pushed,
    ...(manifest !== undefined ? { manifest } : {}),
    timingsMs: { ...timingsMs, push: config.push ? done - started : 0, total: done - released },
  };
}

/** Every Function of the source (a folder: one; a YAML file: each, or the one --function names). */
export async function releaseFunctionImages(engine: Engine, config: BuildConfig, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<FunctionImageResult[]> {
  const inputs = await functionInputs(config);
  if (inputs.length > 1 && config.tagTexts.some((tag) => !tag.includes(NAME_PLACEHOLDER))) {
    const names = inputs.map((input) => input.name).join(', ');
    throw new InvalidInputError(`${config.source} has ${inputs.length} Functions (${names}), and a --tag names one image`, {
      hint: `build one with --function NAME (one of: ${names}), or put ${NAME_PLACEHOLDER} into the tag (e.g. registry.example/team/${NAME_PLACEHOLDER}:1)`,
    });
  }
  if (inputs.length > 1) report(`${config.source}: ${inputs.length} Functions (${inputs.map((input) => input.name).join(', ')}), each built in turn`);
  const results: FunctionImageResult[] = [];
  for (const input of inputs) results.push(await releaseFunctionImage(engine, config, input, report, env));
  return results;
}
