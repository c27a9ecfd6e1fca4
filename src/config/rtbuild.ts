// rtbuild's configuration: the one place that merges command-line flags > environment > the config
// file in the source folder (rtbuild.json) > defaults into one validated, frozen object.
// Takes argv-derived flags and env as parameters, so tests never touch process.env.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { parseReference } from '../image/reference.js';

export const CONFIG_FILE = 'rtbuild.json';

const networkSchema = z.enum(['default', 'host', 'none']);
const builderSchema = z.enum(['buildkit', 'classic']);
const urlSchema = z.url({ protocol: /^https?$/ });

/** The config file: every field optional; unknown fields are refused so typos do not go unnoticed. */
export const configFileSchema = z.strictObject({
  baseImage: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  runtime: z.string().min(1).optional(),
  buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
  platform: z.string().min(1).optional(),
  push: z.boolean().optional(),
  network: networkSchema.optional(),
  builder: builderSchema.optional(),
  npmRegistry: urlSchema.optional(),
  pipIndexUrl: urlSchema.optional(),
  npmrc: z.string().min(1).optional(),
  pipConf: z.string().min(1).optional(),
  sourceUrl: z.string().min(1).optional(),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Flags as the CLI parsed them; undefined means "not given". */
export interface BuildFlags {
  source?: string | undefined;
  config?: string | undefined;
  baseImage?: string | undefined;
  tag?: string[] | undefined;
  runtime?: string | undefined;
  buildArg?: string[] | undefined;
  platform?: string | undefined;
  push?: boolean | undefined;
  network?: string | undefined;
  builder?: string | undefined;
  npmRegistry?: string | undefined;
  pipIndexUrl?: string | undefined;
  npmrc?: string | undefined;
  pipConf?: string | undefined;
  sourceUrl?: string | undefined;
  dryRun?: boolean | undefined;
  noCache?: boolean | undefined;
}

export interface BuildConfig {
  /** Absolute path of the source folder. */
  readonly source: string;
  /** The config file that was read, if any. */
  readonly configFile: string | undefined;
  readonly baseImage: string;
  readonly tags: readonly string[];
  readonly runtime: string | undefined;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly platform: string | undefined;
  readonly push: boolean;
  readonly network: 'default' | 'host' | 'none';
  /** The engine's builder: BuildKit (default), or the classic one for engines without BuildKit. */
  readonly builder: 'buildkit' | 'classic';
  readonly npmRegistry: string | undefined;
  readonly pipIndexUrl: string | undefined;
  /** Absolute paths of credential files for the deps stage. */
  readonly npmrc: string | undefined;
  readonly pipConf: string | undefined;
  readonly sourceUrl: string | undefined;
  /** SOURCE_DATE_EPOCH: archive mtime and the created label. */
  readonly sourceDateEpoch: number | undefined;
  readonly dryRun: boolean;
  readonly noCache: boolean;
}

/** Environment variables, one per setting that may come from the environment. */
export const ENV = {
  source: 'RTBUILD_SOURCE',
  baseImage: 'RTBUILD_BASE_IMAGE',
  tags: 'RTBUILD_TAGS',
  runtime: 'RTBUILD_RUNTIME',
  platform: 'RTBUILD_PLATFORM',
  push: 'RTBUILD_PUSH',
  network: 'RTBUILD_NETWORK',
  builder: 'RTBUILD_BUILDER',
  npmRegistry: 'RTBUILD_NPM_REGISTRY',
  pipIndexUrl: 'RTBUILD_PIP_INDEX_URL',
  npmrc: 'RTBUILD_NPMRC',
  pipConf: 'RTBUILD_PIP_CONF',
  sourceUrl: 'RTBUILD_SOURCE_URL',
} as const;

function invalid(message: string, hint?: string): InvalidInputError {
  return new InvalidInputError(message, { hint });
}

async function readConfigFile(path: string, required: boolean): Promise<ConfigFile | undefined> {
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
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
    throw invalid(`the config file ${path} is invalid: ${at}${issue?.message ?? 'unknown problem'}`, `the fields are: ${Object.keys(configFileSchema.shape).join(', ')}`);
  }
  return parsed.data;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = envValue(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  throw invalid(`${name}="${env[name]}" is not a boolean`, 'use true or false');
}

function parseBuildArgs(pairs: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalid(`--build-arg "${pair}" is not KEY=VALUE`, 'e.g. --build-arg NODE_ENV=production');
    args[key] = pair.slice(eq + 1);
  }
  return args;
}

function checkUrl(what: string, value: string | undefined): string | undefined {
  if (value !== undefined && !urlSchema.safeParse(value).success) throw invalid(`${what} "${value}" is not an http(s) URL`);
  return value;
}

export async function loadBuildConfig(flags: BuildFlags, env: NodeJS.ProcessEnv, cwd: string): Promise<BuildConfig> {
  const source = resolve(cwd, flags.source ?? envValue(env, ENV.source) ?? '.');
  const configPath = flags.config ? resolve(cwd, flags.config) : join(source, CONFIG_FILE);
  const file = (await readConfigFile(configPath, flags.config !== undefined)) ?? {};
  // Relative paths in the file are relative to the file; on the command line and in env, to cwd.
  const fromFile = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(dirname(configPath), path));
  const fromCwd = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(cwd, path));
  const pick = <T>(flag: T | undefined, fromEnv: T | undefined, inFile: T | undefined): T | undefined => flag ?? fromEnv ?? inFile;

  const baseImage = pick(flags.baseImage, envValue(env, ENV.baseImage), file.baseImage);
  if (!baseImage) {
    throw invalid('no base image given', `pass --base-image IMAGE, set ${ENV.baseImage}, or put "baseImage" into ${CONFIG_FILE}`);
  }
  parseReference(baseImage);
  const envTags = envValue(env, ENV.tags)?.split(/[\s,]+/).filter(Boolean);
  const tags = pick(flags.tag?.length ? flags.tag : undefined, envTags, file.tags) ?? [];
  for (const tag of tags) {
    if (parseReference(tag).digest) throw invalid(`the tag "${tag}" has a digest`, 'tags are name[:tag]; the digest is what a push reports');
  }
  const push = pick(flags.push, envBoolean(env, ENV.push), file.push) ?? false;
  if (push && tags.length === 0) throw invalid('--push needs at least one --tag', 'e.g. --tag 127.0.0.1:5000/team/fn:1 --push');

  const network = pick(flags.network, envValue(env, ENV.network), file.network) ?? 'default';
  const parsedNetwork = networkSchema.safeParse(network);
  if (!parsedNetwork.success) throw invalid(`--network "${network}" is not one of default, host, none`, 'use --network host to reach a package registry on 127.0.0.1');

  const builder = pick(flags.builder, envValue(env, ENV.builder), file.builder) ?? 'buildkit';
  const parsedBuilder = builderSchema.safeParse(builder);
  if (!parsedBuilder.success) throw invalid(`--builder "${builder}" is not one of buildkit, classic`, 'use --builder classic on an engine without BuildKit');

  const platform = pick(flags.platform, envValue(env, ENV.platform), file.platform);
  if (platform !== undefined && !/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(platform)) {
    throw invalid(`--platform "${platform}" is not os/arch[/variant]`, 'e.g. linux/amd64 or linux/arm64');
  }
  const epoch = envValue(env, 'SOURCE_DATE_EPOCH');
  if (epoch !== undefined && !/^\d+$/.test(epoch)) throw invalid(`SOURCE_DATE_EPOCH="${epoch}" is not a whole number of seconds`);

  const config: BuildConfig = {
    source,
    configFile: Object.keys(file).length > 0 || flags.config ? configPath : undefined,
    baseImage,
    tags: Object.freeze([...tags]),
    runtime: pick(flags.runtime, envValue(env, ENV.runtime), file.runtime),
    buildArgs: Object.freeze({ ...file.buildArgs, ...parseBuildArgs(flags.buildArg ?? []) }),
    platform,
    push,
    network: parsedNetwork.data,
    builder: parsedBuilder.data,
    npmRegistry: checkUrl('--npm-registry', pick(flags.npmRegistry, envValue(env, ENV.npmRegistry), file.npmRegistry)),
    pipIndexUrl: checkUrl('--pip-index-url', pick(flags.pipIndexUrl, envValue(env, ENV.pipIndexUrl), file.pipIndexUrl)),
    npmrc: pick(fromCwd(flags.npmrc), fromCwd(envValue(env, ENV.npmrc)), fromFile(file.npmrc)),
    pipConf: pick(fromCwd(flags.pipConf), fromCwd(envValue(env, ENV.pipConf)), fromFile(file.pipConf)),
    sourceUrl: pick(flags.sourceUrl, envValue(env, ENV.sourceUrl), file.sourceUrl),
    sourceDateEpoch: epoch === undefined ? undefined : Number(epoch),
    dryRun: flags.dryRun ?? false,
    noCache: flags.noCache ?? false,
  };
  return Object.freeze(config);
}
