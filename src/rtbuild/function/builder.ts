// The function image builder: takes a validated BuildConfig, checks the base image and the sources,
// plans the Dockerfile and the reproducible context, builds, and returns the built image as a value.
// It never names nor pushes the image: publishers do (src/rtbuild/publish/). Throws RtErrors; never
// exits, never prints (progress goes to the given reporter).
import type { BuildConfig, BuildTarget } from '../../config/rtbuild.js';
import { type Engine, pairLayersWithHistory } from '../../engine/index.js';
import { BuildFailedError, SecretLeakedError } from '../../errors.js';
import { runtimeById, type Family } from '../../platform/runtimes.js';
import { type Reporter, resolveBase } from './base.js';
import { DEPS_STAGE } from './dockerfile.js';
import { type AssembledImage, fastPathImage, rememberDepsLayer, settingsRefusal } from './fast-path.js';
import type { FunctionInput } from './input.js';
import { INSTALL_MARKER, SCAN_EXIT, SCAN_LINE } from './install-script.js';
import { type FunctionImagePlan, packContext, planFunctionImage } from './plan.js';
import { handlerText } from './source.js';

export type { Reporter } from './base.js';

/** A built function image: what the build made, before anyone names or publishes it. */
export interface FunctionImage {
  /** The engine's image id, "sha256:…". */
  id: string;
  /** The Function's name (metadata.name). */
  name: string;
  /** function: the legacy function image; kyma: an override image for Kyma's launch (section 12). */
  target: BuildTarget;
  runtime: string;
  baseImage: { name: string; digest: string | undefined; user: string | undefined };
  /** Bytes, as the engine counts them (with the base image's layers). */
  size: number;
  /** Layers added on top of the base image, bottom first (FIN-LAYERS). */
  layers: { role: 'dependencies' | 'sources'; diffId: string; size: number | undefined }[];
  timingsMs: { validate: number; build: number };
  /** --for kyma: the handler's text, the manifest's inline source. */
  handler: string | undefined;
  /** build: the engine's builder made it; fast: the fast path appended the source layer without a build. */
  path: 'build' | 'fast';
  /** The fast path's image as bytes, for a registry publisher that sends it without the engine. */
  assembled?: AssembledImage;
}

/** What `rtbuild --json` prints: the built image, its tags and where it was pushed. */
export interface FunctionImageResult extends Omit<FunctionImage, 'id' | 'timingsMs' | 'handler' | 'assembled'> {
  imageId: string;
  tags: string[];
  pushed: { reference: string; digest: string }[];
  /** --for kyma: the Function resource that runs the image, as YAML (OVR-MANIFEST). */
  manifest?: string;
  timingsMs: { validate: number; build: number; push: number; total: number };
}

/**
 * The hint for a failed build, from the stage that failed, never from the text: a failure in the deps
 * stage is a failed dependency install.
 */
export function buildFailureHint(failure: Pick<BuildFailedError, 'stage'>, family: Family, network: BuildConfig['network']): string {
  if (failure.stage !== DEPS_STAGE) return 'the output of the failed step is shown above';
  const manager = family.name === 'nodejs' ? 'npm' : 'pip';
  const registryNetwork = network === 'host' ? '' : '; a registry on 127.0.0.1 needs --network host';
  return `the dependency install (${manager}) failed: check ${family.manifest}, the registry URL and credentials${registryNetwork}`;
}

/** The same failure with every credential of the plan replaced by "***" (FIN-SECRETS: never printed). */
function redacted(failure: BuildFailedError, plan: FunctionImagePlan, hint: string): BuildFailedError | SecretLeakedError {
  const redact = (text: string | undefined): string | undefined => (text === undefined ? undefined : plan.redact(text));
  if (failure.stage === DEPS_STAGE && failure.exitCode === SCAN_EXIT) {
    // The scan of the installed dependencies found a value of the credential (install-script.ts).
    const files = failure.output.filter((line) => line.includes(SCAN_LINE)).map((line) => line.slice(line.indexOf(SCAN_LINE) + SCAN_LINE.length).trim());
    return new SecretLeakedError(files, plan.credentialPath ?? 'the credential file');
  }
  // install.sh says which of its commands runs ("rtbuild: npm ci …"): the last one is the one that failed.
  const marker = failure.stage === DEPS_STAGE ? failure.output.filter((line) => line.trim().startsWith(INSTALL_MARKER)).at(-1) : undefined;
  const command = marker === undefined ? failure.command : marker.trim().slice(INSTALL_MARKER.length).replace(/ \(as user \d+\)$/, '');
  // No `cause`: it holds the unredacted engine text, and --verbose prints causes' stacks.
  return new BuildFailedError(
    {
      engineMessage: plan.redact(failure.engineMessage),
      stage: failure.stage,
      step: failure.step,
      instruction: redact(failure.instruction),
      command: redact(command),
      exitCode: failure.exitCode,
      output: failure.output.map((line) => plan.redact(line)),
    },
    { hint },
  );
}

/**
 * The layers the build added, with the role each has in the generated Dockerfile, and the image's size:
 * the image's inspect and history read together, the base image's history length read while it built.
 */
async function builtLayers(engine: Engine, imageId: string, baseHistory: Promise<number>, plan: FunctionImagePlan): Promise<{ layers: FunctionImage['layers']; size: number }> {
  const roles: ('dependencies' | 'sources')[] = [...(plan.source.dependencies ? ['dependencies' as const] : []), ...(plan.target === 'function' ? ['sources' as const] : [])];
  const [info, history, baseEntries] = await Promise.all([engine.inspectImage(imageId), engine.imageHistory(imageId), baseHistory]);
  // The history lists the base image's entries first (oldest), then those the build added.
  const added = history.slice(0, Math.max(0, history.length - baseEntries)).reverse();
  const layers = pairLayersWithHistory(info.layers.slice(plan.base.layers.length), added);
  return { layers: layers.map((layer, index) => ({ role: roles[index] ?? 'sources', diffId: layer.diffId, size: layer.size })), size: info.size };
}

/** The runtime a Function resource asks for (spec.runtime), as --runtime would. */
function wantedRuntime(config: BuildConfig, input: FunctionInput) {
  const id = input.resource?.spec.runtime;
  return config.runtime ?? (id === undefined ? undefined : runtimeById(id, ` (spec.runtime of the Function ${input.name})`));
}

/** `env` is read only for registry credentials of the base image (DOCKER_CONFIG, HOME). */
export async function buildFunctionImage(engine: Engine, config: BuildConfig, input: FunctionInput, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<FunctionImage> {
  const started = Date.now();
  const base = await resolveBase(engine, config, report, env, wantedRuntime(config, input));
  const where = config.target === 'kyma' ? `dependencies for Kyma's launch (runtimeImageOverride)` : `sources into ${base.installDir}`;
  report(`base image ${base.name}: runtime ${base.runtime.id}, user ${base.user}; ${where}`);
  const plan = await planFunctionImage(config, base, input);
  const deps = plan.source.dependencies;
  report(
    `Function ${plan.name}: ${plan.source.entries.filter((e) => e.type !== 'directory').length} files from ${plan.source.origin}` +
      (plan.source.ignoreFile ? ` (ignore file ${plan.source.ignoreFile})` : '') +
      `; dependencies: ${deps ? `${plan.family.manifest}${deps.lockfile ? ` + ${deps.lockfile}` : ''}${deps.local.length ? ` + ${deps.local.length} local file(s)` : ''}` : 'none'}` +
      (deps && plan.credentialPath ? `; credentials for the install step only: ${plan.credentialPath}` : ''),
  );
  for (const note of plan.notes) report(note);
  const validated = Date.now();
  const common = { name: plan.name, target: plan.target, runtime: base.runtime.id, baseImage: { name: base.name, digest: base.digest, user: base.user } };
  const handler = plan.target === 'kyma' ? await handlerText(plan.source) : undefined;

  const fast = await fastPathImage({ engine, config, plan, report, env });
  if (typeof fast !== 'string') {
    const done = Date.now();
    report(`fast path: ${fast.sourceLayer ? `appended the source layer (${fast.sourceLayer.size} B)` : 'no new layer'}, no build; ${fast.id} in ${done - validated} ms`);
    const { id, layers, size } = fast;
    return { ...common, id, size, layers, timingsMs: { validate: validated - started, build: done - validated }, handler, path: 'fast', assembled: fast };
  }
  if (!settingsRefusal(config)) report(`building (no fast path: ${fast})`);

  // Read while the engine builds: the base image's history length, to tell the added entries apart.
  const baseHistory = engine.imageHistory(base.id ?? base.name).then((entries) => entries.length);
  baseHistory.catch(() => undefined);
  let built;
  try {
    built = await engine.buildImage(packContext(plan), {
      builder: config.builder,
      buildArgs: plan.buildArgs,
      labels: plan.labels,
      networkMode: config.network,
      ...(config.platform ? { platform: config.platform } : {}),
      noCache: config.noCache,
      ...(plan.secrets ? { secrets: plan.secrets } : {}),
      onProgress: (event) => report(`  ${plan.redact(event.text)}`),
    });
  } catch (cause) {
    if (!(cause instanceof BuildFailedError)) throw cause;
    throw redacted(cause, plan, buildFailureHint(cause, plan.family, config.network));
  }
  const builtAt = Date.now();
  report(`built ${built.id} in ${((builtAt - validated) / 1000).toFixed(1)} s`);

  const { layers, size } = await builtLayers(engine, built.id, baseHistory, plan);
  const depsLayer = layers.find((layer) => layer.role === 'dependencies');
  if (depsLayer) await rememberDepsLayer({ config, plan }, depsLayer);
  return { ...common, id: built.id, size, layers, timingsMs: { validate: validated - started, build: builtAt - validated }, handler, path: 'build' };
}
