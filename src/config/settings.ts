// A settings table: each setting written once (its flag, environment variable, config-file key,
// description, schema, default, how its paths resolve), and everything derived from it: the CLI's
// options, the config file's schema, and the one precedence rule flag > env > file > default.
import { InvalidInputError } from '../errors.js';
import * as z from '../zod.js';

/** How a setting is spelled on the command line. */
export interface FlagSpec {
  /** The name commander gives the parsed value ("--base-image" → "baseImage", "--no-cache" → "cache"). */
  readonly name: string;
  /** As commander takes it: "-b, --base-image <ref>". */
  readonly spelling: string;
  /** Repeatable ("--tag a --tag b"): the values arrive as a list. */
  readonly repeatable?: boolean;
  /** "--no-x": the flag turns the setting on by setting commander's "x" to false. */
  readonly negated?: boolean;
}

export interface Setting<T = unknown> {
  readonly description: string;
  readonly flag?: FlagSpec;
  /** Environment variable; said in the help text after the description. */
  readonly env?: string;
  /** Added to "(env NAME …)" in the help text, e.g. "comma-separated". */
  readonly envNote?: string;
  /** Read from the config file under the setting's key. */
  readonly inFile?: boolean;
  /** What every source must give. The config file's schema is made of these. */
  readonly schema: z.ZodMiniType<T>;
  /** Turns a flag's or variable's text (a repeatable flag's list) into what `schema` takes; throws Refused. */
  readonly fromText?: (text: string | readonly string[]) => unknown;
  /** "is not …" in the message for a refused flag or variable value. */
  readonly expected?: string;
  readonly hint?: string;
  /** Typed by `schema` alone (NoInfer): a default cannot widen the setting's type. */
  readonly default?: NoInfer<T>;
  /** A path: relative to the working directory on the command line and in env, to the file's folder in the file. */
  readonly path?: boolean;
  /** Records (KEY=VALUE settings) merge key by key, the command line winning; everything else: the first source that has it. */
  readonly merge?: 'first' | 'entries';
}

export type SettingsTable = Readonly<Record<string, Setting>>;

/** The value type of each setting: never undefined when it has a default. */
export type SettingValues<T extends SettingsTable> = {
  readonly [K in keyof T]: T[K] extends { default: infer D } ? D : T[K] extends Setting<infer V> ? V | undefined : never;
};

/** Command-line values as commander parsed them, by commander's names; undefined: not given. */
export type FlagValues = Readonly<Record<string, string | readonly string[] | boolean | undefined>>;

/** Thrown by `fromText` for text it cannot turn into a value; becomes an InvalidInputError naming the source. */
export class Refused extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

// Text of flags and variables into values, for a row's fromText.

/** "true"/"false" (also 1/0, yes/no) from an environment variable. */
export function booleanText(text: string | readonly string[]): boolean {
  const value = String(text).toLowerCase();
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  throw new Refused(String(text));
}

/** KEY=VALUE pairs of a repeatable flag, each KEY checked by `valid`. */
export function keyValueText(valid: (key: string) => boolean) {
  return (pairs: string | readonly string[]): Record<string, string> => {
    const args: Record<string, string> = {};
    for (const pair of typeof pairs === 'string' ? [pairs] : pairs) {
      const eq = pair.indexOf('=');
      const key = eq > 0 ? pair.slice(0, eq) : '';
      if (!valid(key)) throw new Refused(pair);
      args[key] = pair.slice(eq + 1);
    }
    return args;
  };
}

/** A repeatable flag's list as it is, or a variable's comma- or space-separated list. */
export function listText(text: string | readonly string[]): readonly string[] {
  return typeof text === 'string' ? text.split(/[\s,]+/).filter(Boolean) : text;
}

export function wholeNumberText(text: string | readonly string[]): number {
  if (typeof text !== 'string' || !/^\d+$/.test(text)) throw new Refused(String(text));
  return Number(text);
}

/** Identity with inference: keeps each row's value type for SettingValues. */
export function setting<T>(row: Setting<T> & { default: NoInfer<T> }): Setting<T> & { default: T };
export function setting<T>(row: Setting<T>): Setting<T>;
export function setting<T>(row: Setting<T>): Setting<T> {
  return row;
}

/** The config file: every field optional; unknown fields are refused so typos do not go unnoticed. */
export function fileSchema(table: SettingsTable): z.ZodMiniObject {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [key, row] of Object.entries(table)) if (row.inFile) shape[key] = z.optional(row.schema);
  return z.strictObject(shape);
}

/** The help text of a setting's flag: its description and its environment variable. */
export function flagDescription(row: Setting): string {
  if (!row.env) return row.description;
  return `${row.description} (env ${row.env}${row.envNote ? `, ${row.envNote}` : ''})`;
}

/** Where a refused value came from, as the user wrote it: `--network "bridge"`, `RTBUILD_PUSH="maybe"`. */
type Source = (text: string) => string;

function invalid(row: Setting, source: Source, text: string): InvalidInputError {
  return new InvalidInputError(`${source(text)} is not ${row.expected ?? 'valid'}`, { hint: row.hint });
}

/** "--base-image" of "-b, --base-image <ref>". */
export function longFlag(flag: FlagSpec): string {
  return flag.spelling.split(/[\s,]+/).find((part) => part.startsWith('--')) ?? flag.spelling;
}

/** A value from the command line or the environment, converted and checked against the row's schema. */
function checked(row: Setting, source: Source, raw: string | readonly string[] | boolean): unknown {
  let value: unknown = raw;
  try {
    if (typeof raw !== 'boolean' && row.fromText) value = row.fromText(raw);
  } catch (error) {
    if (error instanceof Refused) throw invalid(row, source, error.text);
    throw error;
  }
  const parsed = row.schema.safeParse(value);
  if (!parsed.success) throw invalid(row, source, Array.isArray(raw) ? raw.join(' ') : String(raw));
  return parsed.data;
}

function fromFlags(row: Setting, flags: FlagValues): unknown {
  if (!row.flag) return undefined;
  const raw = flags[row.flag.name];
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return undefined;
  if (row.flag.negated) return raw === false ? true : undefined;
  const flag = longFlag(row.flag);
  return checked(row, (text) => `${flag} "${text}"`, raw);
}

function fromEnv(row: Setting, env: NodeJS.ProcessEnv): unknown {
  if (!row.env) return undefined;
  const text = env[row.env]?.trim();
  if (text === undefined || text === '') return undefined;
  const name = row.env;
  return checked(row, (value) => `${name}="${value}"`, text);
}

export interface Sources {
  flags: FlagValues;
  env: NodeJS.ProcessEnv;
  /** The config file's content, already checked against fileSchema. */
  file: Readonly<Record<string, unknown>>;
  cwd: string;
  /** The config file's folder, for relative paths in it. */
  fileDir: string;
  resolvePath: (base: string, path: string) => string;
}

/** One setting from its sources, in the one precedence order: flag > env > file > default. */
export function resolveSetting(row: Setting, key: string, sources: Sources): unknown {
  const resolvePath = (base: string) => (value: unknown) => (row.path && typeof value === 'string' ? sources.resolvePath(base, value) : value);
  const values = [
    resolvePath(sources.cwd)(fromFlags(row, sources.flags)),
    resolvePath(sources.cwd)(fromEnv(row, sources.env)),
    row.inFile ? resolvePath(sources.fileDir)(sources.file[key]) : undefined,
  ];
  if (row.merge === 'entries') {
    const present = values.filter((value) => value !== undefined).reverse() as Record<string, unknown>[];
    return frozenCopy(present.length > 0 ? Object.assign({}, ...present) : row.default);
  }
  return frozenCopy(values.find((candidate) => candidate !== undefined) ?? resolvePath(sources.cwd)(row.default));
}

/** Lists and records are copied and frozen: the config is one frozen object, all the way down. */
function frozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze([...(value as unknown[])]);
  if (typeof value === 'object' && value !== null) return Object.freeze({ ...value });
  return value;
}

/** Every setting of the table from its sources. */
export function resolveSettings<T extends SettingsTable>(table: T, sources: Sources): SettingValues<T> {
  const values: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(table)) values[key] = resolveSetting(row, key, sources);
  return values as SettingValues<T>;
}
