// rtbuild's settings: the one table (flag, environment variable, rtbuild.json field, description,
// schema, default, paths) and the loader that merges command-line flags > environment > the config
// file in the source folder > defaults into one validated, frozen BuildConfig. Image references and
// the runtime are parsed here, once, into values. Takes argv-derived flags and env as parameters, so
// tests never touch process.env.
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as z from '../zod.js';
import { InvalidInputError } from '../errors.js';
import { type Reference, formatReference, parseReference } from '../image/reference.js';
import { isFunctionEnvName, isFunctionName } from '../platform/function-names.js';
import { type Runtime, knownRuntimeIds, runtimeById } from '../platform/runtimes.js';
import { type FlagValues, type SettingValues, booleanText, fileSchema, keyValueText, listText, longFlag, resolveSettings, setting, wholeNumberText } from './settings.js';

export const CONFIG_FILE = 'rtbuild.json';

const NETWORKS = ['default', 'host', 'none'] as const;
const BUILDERS = ['buildkit', 'classic'] as const;
/** What the image is for: the legacy function image (sections 1-10), or Kyma's runtimeImageOverride (section 12). */
export const TARGETS = ['function', 'kyma'] as const;
export type BuildTarget = (typeof TARGETS)[number];
/** In a --tag, replaced by each Function's name (a YAML file with several Functions). */
export const NAME_PLACEHOLDER = '{name}';
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const httpUrl = z.url({ protocol: /^https?$/ });

/** Every setting, in the order `rtbuild --help` lists them. */
export const RTBUILD_SETTINGS = {
  baseImage: setting({
    description: 'runtime base image, built into FROM ${base_image}',
    flag: { name: 'baseImage', spelling: '-b, --base-image <ref>' },
    env: 'RTBUILD_BASE_IMAGE',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
  }),
  target: setting({
    description: "function: the legacy function image (sources in $KUBELESS_INSTALL_VOLUME); kyma: an image for a Kyma Function's runtimeImageOverride, dependencies baked in (OVR-BAKED)",
    flag: { name: 'for', spelling: '--for <target>' },
    env: 'RTBUILD_FOR',
    inFile: true,
    schema: z.enum(TARGETS),
    expected: `one of ${TARGETS.join(', ')}`,
    hint: 'use --for kyma for a runtimeImageOverride image, --for function (the default) for the legacy image',
    default: 'function',
  }),
  source: setting({
    description: "the Function's source folder (as `kyma function init` writes it), or a Function YAML with inline sources; default .",
    flag: { name: 'source', spelling: '-s, --source <dir>' },
    env: 'RTBUILD_SOURCE',
    schema: z.string().check(z.minLength(1)),
    default: '.',
    path: true,
  }),
  manifest: setting({
    description: 'with --for kyma: write the Function resource that runs the image to FILE (- for stdout) (OVR-MANIFEST)',
    flag: { name: 'manifest', spelling: '--manifest <file>' },
    env: 'RTBUILD_MANIFEST',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
    path: true,
  }),
  function: setting({
    description: 'the Function to build from a YAML file with several',
    flag: { name: 'function', spelling: '--function <name>' },
    env: 'RTBUILD_FUNCTION',
    schema: z.string().check(z.minLength(1)),
  }),
  functionName: setting({
    description: "the Function's name (metadata.name, FUNC_NAME); default: the folder's name, or the YAML's",
    flag: { name: 'functionName', spelling: '--function-name <name>' },
    env: 'RTBUILD_FUNCTION_NAME',
    inFile: true,
    schema: z.string().check(z.refine(isFunctionName, 'is not a lower-case RFC 1123 name (a-z, 0-9, "-", at most 63)')),
    expected: 'a lower-case RFC 1123 name (a-z, 0-9, "-")',
  }),
  env: setting({
    description: "the Function's environment variable (spec.env of the manifest); repeatable",
    flag: { name: 'env', spelling: '--env <KEY=VALUE>', repeatable: true },
    inFile: true,
    schema: z.record(z.string().check(z.refine(isFunctionEnvName, 'is not a variable name a Function may set')), z.string()),
    fromText: keyValueText(isFunctionEnvName),
    expected: 'KEY=VALUE with a variable name a Function may set',
    hint: 'e.g. --env FUNC_TIMEOUT=30; Kyma reserves FUNC_RUNTIME, FUNC_HANDLER, FUNC_PORT, MOD_NAME, NODE_PATH, PYTHONPATH and the FUNC_HANDLER_* variables',
    default: {},
    merge: 'entries',
  }),
  tags: setting({
    description: `tag for the image; repeat for more; ${NAME_PLACEHOLDER} is the Function's name`,
    flag: { name: 'tag', spelling: '-t, --tag <ref>', repeatable: true },
    env: 'RTBUILD_TAGS',
    envNote: 'comma-separated',
    inFile: true,
    schema: z.readonly(z.array(z.string().check(z.minLength(1)))),
    fromText: listText,
    default: [],
  }),
  config: setting({
    description: `config file (default: ${CONFIG_FILE} in the source folder)`,
    flag: { name: 'config', spelling: '-c, --config <file>' },
    schema: z.string().check(z.minLength(1)),
    path: true,
  }),
  runtime: setting({
    description: `${knownRuntimeIds()}, or any nodejs<major> / python3<minor>; default: FUNC_RUNTIME of the base image`,
    flag: { name: 'runtime', spelling: '--runtime <id>' },
    env: 'RTBUILD_RUNTIME',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
  }),
  buildArgs: setting({
    description: 'build argument for the dependency install step; repeatable',
    flag: { name: 'buildArg', spelling: '--build-arg <KEY=VALUE>', repeatable: true },
    inFile: true,
    schema: z.record(z.string().check(z.regex(BUILD_ARG_NAME)), z.string()),
    fromText: keyValueText((key) => BUILD_ARG_NAME.test(key)),
    expected: 'KEY=VALUE',
    hint: 'e.g. --build-arg NODE_ENV=production',
    default: {},
    merge: 'entries',
  }),
  platform: setting({
    description: 'target platform, e.g. linux/amd64',
    flag: { name: 'platform', spelling: '--platform <os/arch>' },
    env: 'RTBUILD_PLATFORM',
    inFile: true,
    schema: z.string().check(z.regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'is not os/arch[/variant]')),
    expected: 'os/arch[/variant]',
    hint: 'e.g. linux/amd64 or linux/arm64',
  }),
  push: setting({
    description: 'push every tag with Docker config credentials',
    flag: { name: 'push', spelling: '--push' },
    env: 'RTBUILD_PUSH',
    inFile: true,
    schema: z.boolean(),
    fromText: booleanText,
    expected: 'a boolean',
    hint: 'use true or false',
    default: false,
  }),
  network: setting({
    description: 'network of the build steps: default, host, none; host reaches a package registry on 127.0.0.1',
    flag: { name: 'network', spelling: '--network <mode>' },
    env: 'RTBUILD_NETWORK',
    inFile: true,
    schema: z.enum(NETWORKS),
    expected: `one of ${NETWORKS.join(', ')}`,
    hint: 'use --network host to reach a package registry on 127.0.0.1',
    default: 'default',
  }),
  builder: setting({
    description: "the engine's builder: buildkit (default) or classic, for engines without BuildKit",
    flag: { name: 'builder', spelling: '--builder <name>' },
    env: 'RTBUILD_BUILDER',
    inFile: true,
    schema: z.enum(BUILDERS),
    expected: `one of ${BUILDERS.join(', ')}`,
    hint: 'use --builder classic on an engine without BuildKit',
    default: 'buildkit',
  }),
  npmRegistry: setting({
    description: 'npm registry for dependencies',
    flag: { name: 'npmRegistry', spelling: '--npm-registry <url>' },
    env: 'RTBUILD_NPM_REGISTRY',
    inFile: true,
    schema: httpUrl,
    expected: 'an http(s) URL',
  }),
  pipIndexUrl: setting({
    description: 'pip index URL for dependencies',
    flag: { name: 'pipIndexUrl', spelling: '--pip-index-url <url>' },
    env: 'RTBUILD_PIP_INDEX_URL',
    inFile: true,
    schema: httpUrl,
    expected: 'an http(s) URL',
  }),
  npmrc: setting({
    description: '.npmrc with registry credentials; used only while installing, never in the image',
    flag: { name: 'npmrc', spelling: '--npmrc <file>' },
    env: 'RTBUILD_NPMRC',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
    path: true,
  }),
  pipConf: setting({
    description: 'pip.conf with index credentials; used only while installing, never in the image',
    flag: { name: 'pipConf', spelling: '--pip-conf <file>' },
    env: 'RTBUILD_PIP_CONF',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
    path: true,
  }),
  sourceUrl: setting({
    description: 'org.opencontainers.image.source label (default: the git remote)',
    flag: { name: 'sourceUrl', spelling: '--source-url <url>' },
    env: 'RTBUILD_SOURCE_URL',
    inFile: true,
    schema: z.string().check(z.minLength(1)),
  }),
  noCache: setting({
    description: 'do not reuse cached layers',
    flag: { name: 'cache', spelling: '--no-cache', negated: true },
    schema: z.boolean(),
    default: false,
  }),
  noFastPath: setting({
    description: 'always build: no fast path (which appends the source layer to the image without a build when only the sources changed)',
    flag: { name: 'fastPath', spelling: '--no-fast-path', negated: true },
    env: 'RTBUILD_NO_FAST_PATH',
    inFile: true,
    schema: z.boolean(),
    fromText: booleanText,
    expected: 'a boolean',
    hint: 'use true or false',
    default: false,
  }),
  cacheDir: setting({
    description: "rtbuild's cache: base image configs and dependency layers for the fast path (default $XDG_CACHE_HOME/rtbuild or ~/.cache/rtbuild)",
    flag: { name: 'cacheDir', spelling: '--cache-dir <dir>' },
    env: 'RTBUILD_CACHE_DIR',
    schema: z.string().check(z.minLength(1)),
    path: true,
  }),
  sourceDateEpoch: setting({
    description: 'SOURCE_DATE_EPOCH: archive mtime and the created label',
    env: 'SOURCE_DATE_EPOCH',
    schema: z.int().check(z.nonnegative()),
    fromText: wholeNumberText,
    expected: 'a whole number of seconds',
  }),
};

/** The config file's schema, made from the table. */
export const configFileSchema = fileSchema(RTBUILD_SETTINGS);

/** Flags as the CLI parsed them (commander's names, e.g. `tag`, `buildArg`, `cache`); undefined means "not given". */
export type BuildFlags = FlagValues;

type Settings = SettingValues<typeof RTBUILD_SETTINGS>;

/** The build's settings, validated and frozen; references and the runtime as values. */
export type BuildConfig = Readonly<
  Omit<Settings, 'config' | 'baseImage' | 'tags' | 'runtime' | 'cacheDir'> & {
    /** The config file that was read, if any. */
    configFile: string | undefined;
    baseImage: Reference;
    /** The tags as given: `{name}` stands for each Function's name (tagsFor gives the references). */
    tagTexts: readonly string[];
    /** The tags of a single Function (with `{name}` as "name"); tagsFor() for a named one. */
    tags: readonly Reference[];
    /** --runtime: must match the base image's FUNC_RUNTIME. */
    runtime: Runtime | undefined;
    cacheDir: string;
  }
>;

/** Where rtbuild keeps its cache without RTBUILD_CACHE_DIR or --cache-dir: $XDG_CACHE_HOME/rtbuild, else ~/.cache/rtbuild. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg ? xdg : join(env.HOME ?? homedir(), '.cache'), 'rtbuild');
}

/** The tags of the Function `name`: `{name}` in a tag replaced by it. */
export function tagsFor(config: Pick<BuildConfig, 'tagTexts'>, name: string): Reference[] {
  return config.tagTexts.map((text) => parseTag(text.split(NAME_PLACEHOLDER).join(name)));
}

function parseTag(text: string): Reference {
  const tag = parseReference(text);
  if (tag.digest) throw new InvalidInputError(`the tag "${formatReference(tag)}" has a digest`, { hint: 'tags are name[:tag]; the digest is what a push reports' });
  return tag;
}

async function readConfigFile(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read the config file ${path}`, { cause, hint: 'check the path given with --config' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError(`the config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    // Every problem at once: a user fixing the file should not have to run rtbuild once per field.
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? `"${issue.path.join('.')}": ` : ''}${issue.message}`);
    throw new InvalidInputError(`the config file ${path} is invalid: ${problems.join('; ')}`, {
      hint: `the fields are: ${Object.keys(configFileSchema.shape).join(', ')}`,
      ...(problems.length > 1 ? { details: problems.join('\n') } : {}),
    });
  }
  return parsed.data;
}

export async function loadBuildConfig(flags: BuildFlags, env: NodeJS.ProcessEnv, cwd: string): Promise<BuildConfig> {
  const sources = { flags, env, file: {}, cwd, fileDir: cwd, resolvePath: resolve };
  // Where the file is comes from the command line and the environment only.
  const { source, config } = resolveSettings({ source: RTBUILD_SETTINGS.source, config: RTBUILD_SETTINGS.config }, sources);
  // A Function YAML as the source (OVR-INPUT): rtbuild.json is looked for next to it.
  const sourceIsFile = (await stat(source).catch(() => undefined))?.isFile() ?? false;
  const configPath = config ?? join(sourceIsFile ? dirname(source) : source, CONFIG_FILE);
  const file = (await readConfigFile(configPath, config !== undefined)) ?? {};
  // Relative paths in the file are relative to the file; on the command line and in env, to cwd.
  const settings = resolveSettings(RTBUILD_SETTINGS, { ...sources, file, fileDir: dirname(configPath) });

  const { config: _configFlag, baseImage, tags: tagTexts, runtime, ...plain } = settings;
  const base = RTBUILD_SETTINGS.baseImage;
  if (!baseImage) {
    throw new InvalidInputError('no base image given', {
      hint: `pass ${base.flag ? longFlag(base.flag) : ''} IMAGE, set ${base.env}, or put "baseImage" into ${CONFIG_FILE}`,
    });
  }
  const baseReference = parseReference(baseImage);
  const tags = tagsFor({ tagTexts }, 'name');
  if (settings.push && tags.length === 0) throw new InvalidInputError('--push needs at least one --tag', { hint: 'e.g. --tag 127.0.0.1:5000/team/fn:1 --push' });
  // "-" is stdout, not a file called "-" in some folder.
  const manifest = settings.manifest !== undefined && /[\\/]-$/.test(settings.manifest) && (flags.manifest === '-' || env.RTBUILD_MANIFEST === '-' || file.manifest === '-') ? '-' : settings.manifest;
  if (manifest !== undefined && settings.target !== 'kyma') {
    throw new InvalidInputError('--manifest is for --for kyma: the Function resource runs an override image', { hint: 'add --for kyma, or drop --manifest' });
  }
  if (manifest !== undefined && tags.length === 0) {
    throw new InvalidInputError('--manifest needs a --tag: the Function names its image in runtimeImageOverride', {
      hint: 'e.g. --tag registry.example/team/fn:1 --push (the manifest then pins the pushed digest)',
    });
  }

  return Object.freeze({
    ...plain,
    cacheDir: plain.cacheDir ?? defaultCacheDir(env),
    manifest,
    configFile: Object.keys(file).length > 0 || config !== undefined ? configPath : undefined,
    baseImage: baseReference,
    tagTexts: Object.freeze([...tagTexts]),
    tags: Object.freeze(tags),
    runtime: runtime === undefined ? undefined : runtimeById(runtime, ' (--runtime)'),
  });
}
