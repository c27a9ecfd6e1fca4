// `rtbuild`: build the function image, then publish it under every tag: to the local engine, or with
// --push to the tags' registries. The builder never publishes; this is where the two meet.
import type { BuildConfig } from '../../config/rtbuild.js';
import type { Engine } from '../../engine/index.js';
import { formatReference } from '../../image/reference.js';
import { enginePublisher } from '../publish/engine.js';
import { publishAll, publishedEntry } from '../publish/publisher.js';
import { registryPublisher } from '../publish/registry.js';
import { type FunctionImageResult, type Reporter, buildFunctionImage } from './builder.js';

export async function releaseFunctionImage(engine: Engine, config: BuildConfig, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<FunctionImageResult> {
  const released = Date.now();
  const image = await buildFunctionImage(engine, config, report, env);
  const started = Date.now();
  const publisher = config.push ? registryPublisher(engine, { env, onProgress: (event) => report(`  ${event.text}`) }) : enginePublisher(engine);
  if (config.tags.length > 0) report(`${config.push ? 'pushing' : 'tagging'} ${image.id} as ${config.tags.map(formatReference).join(', ')}`);
  const published = await publishAll(publisher, image, config.tags);
  const done = Date.now();
  const pushed = config.push ? published.map(publishedEntry) : [];
  for (const entry of pushed) report(`pushed ${entry.reference}@${entry.digest}`);
  const { id, timingsMs, ...facts } = image;
  return {
    imageId: id,
    tags: config.tags.map(formatReference),
    ...facts,
    pushed,
    timingsMs: { ...timingsMs, push: config.push ? done - started : 0, total: done - released },
  };
}
