// The config of an image made without a build (the fast path of src/rtbuild/function/fast-path.ts): what
// the engine's BuildKit writes for `FROM base` followed by the final stage of rtbuild's Dockerfile, so
// that both paths give the same image apart from the times they record. As BuildKit (dockerd 20.10,
// dockerfile frontend and moby exporter) does it:
//   - the base config is read into BuildKit's own image type and written again: top level architecture,
//     author, config, created, history, os, rootfs, variant; in `config` only User, ExposedPorts, Env,
//     Entrypoint, Cmd, Volumes, WorkingDir, Labels, StopSignal, Healthcheck, ArgsEscaped, StopTimeout and
//     Shell, each left out when empty, and OnBuild always, null (triggers are not passed on);
//   - COPY adds a history entry "COPY <src> <dest> # buildkit" with a layer; ENV and USER change the config
//     and add an entry without a layer ("ENV K=V", "USER u"), comment "buildkit.dockerfile.v0";
//   - the build's labels are merged into config.Labels without a history entry;
//   - rootfs is the base's diff ids and the new layers'; created is the time of the last entry.
// Times are the one thing chosen here: every entry this build adds, and created, get `created` (what the
// created label says: SOURCE_DATE_EPOCH when set, so that the same sources give the same image id).

/** An image config as JSON. */
export type ImageConfigJson = Record<string, unknown> & { config?: Record<string, unknown>; history?: Record<string, unknown>[]; rootfs?: { diff_ids?: string[] } };

export const BUILDKIT_COMMENT = 'buildkit.dockerfile.v0';

/** One instruction of the final stage, as it changes the image. */
export type FinalStep =
  | { kind: 'copy'; createdBy: string }
  | { kind: 'env'; name: string; value: string; createdBy: string }
  | { kind: 'user'; user: string; createdBy: string };

/**
 * The final stage of a Dockerfile that this writer can follow: the instructions after its last FROM,
 * when each is a COPY, ENV (one KEY=VALUE) or USER; undefined for anything else.
 */
export function finalStageSteps(dockerfile: string): FinalStep[] | undefined {
  const lines = dockerfile.split('\n').map((line) => line.trim());
  const from = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  if (from < 0) return undefined;
  const steps: FinalStep[] = [];
  for (const line of lines.slice(from + 1)) {
    if (line === '' || line.startsWith('#')) continue;
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.filter((arg) => !arg.startsWith('--'));
    if (/^COPY$/i.test(instruction) && args.length >= 2 && !args.some((arg) => arg.startsWith('['))) {
      steps.push({ kind: 'copy', createdBy: `COPY ${args.join(' ')} # buildkit` });
    } else if (/^ENV$/i.test(instruction) && rest.length === 1 && /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(rest[0] as string)) {
      const [name, value] = (rest[0] as string).split(/=(.*)/s) as [string, string];
      steps.push({ kind: 'env', name, value, createdBy: `ENV ${name}=${value}` });
    } else if (/^USER$/i.test(instruction) && rest.length === 1) {
      steps.push({ kind: 'user', user: rest[0] as string, createdBy: `USER ${rest[0] as string}` });
    } else {
      return undefined;
    }
  }
  return steps;
}

/** Go's RFC 3339 time with nanoseconds as encoding/json writes it: no trailing zeros, "Z" for UTC. */
export function goTime(text: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return text;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const zone = match[3] === '+00:00' || match[3] === '-00:00' ? 'Z' : (match[3] as string);
  return `${match[1] as string}${fraction ? `.${fraction}` : ''}${zone}`;
}

/** encoding/json's omitempty: false, 0, "", null, and empty lists and maps are left out. */
function empty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function emptyMap(value: unknown): boolean {
  return empty(value) || (typeof value === 'object' && Object.keys(value as object).length === 0);
}

const HEALTH_FIELDS = ['Test', 'Interval', 'Timeout', 'StartPeriod', 'Retries'] as const;

/** The base config's `config` as BuildKit's image type keeps it. */
function runConfig(base: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal'] as const) {
    if (!emptyMap(base[key])) out[key] = base[key];
  }
  const health = base.Healthcheck as Record<string, unknown> | null | undefined;
  // A pointer: kept when set, its own fields left out when empty.
  if (health !== undefined && health !== null) out.Healthcheck = Object.fromEntries(HEALTH_FIELDS.filter((key) => !empty(health[key])).map((key) => [key, health[key]]));
  if (base.ArgsEscaped === true) out.ArgsEscaped = true;
  out.OnBuild = null;
  if (base.StopTimeout !== undefined && base.StopTimeout !== null) out.StopTimeout = base.StopTimeout;
  if (!empty(base.Shell)) out.Shell = base.Shell;
  return out;
}

/** A base history entry as BuildKit writes it again: empty fields left out, the time in Go's form. */
function historyEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof entry.created === 'string') out.created = goTime(entry.created);
  for (const key of ['created_by', 'author', 'comment'] as const) if (!empty(entry[key])) out[key] = entry[key];
  if (entry.empty_layer === true) out.empty_layer = true;
  return out;
}

function setEnv(env: string[], name: string, value: string): string[] {
  const index = env.findIndex((entry) => entry.split('=')[0] === name);
  const entry = `${name}=${value}`;
  return index < 0 ? [...env, entry] : env.map((old, i) => (i === index ? entry : old));
}

export interface DerivedImage {
  /** The base image's config, as the engine stores it. */
  base: ImageConfigJson;
  steps: readonly FinalStep[];
  /** Diff ids of the layers the COPY steps make, in order. */
  layers: readonly string[];
  /** Labels the build sets (merged into the base image's). */
  labels: Readonly<Record<string, string>>;
  /** RFC 3339 time of every entry this build adds, and of the image. */
  created: string;
}

/** The config BuildKit would write for these steps on that base, as JSON bytes (its digest is the image id). */
export function deriveImageConfig(image: DerivedImage): Buffer {
  const base = image.base;
  const config = runConfig(base.config ?? {});
  const history = (base.history ?? []).map(historyEntry);
  const copies = image.steps.filter((step) => step.kind === 'copy').length;
  if (copies !== image.layers.length) throw new Error(`${copies} COPY steps but ${image.layers.length} layers`);
  for (const step of image.steps) {
    if (step.kind === 'env') config.Env = setEnv((config.Env as string[] | undefined) ?? [], step.name, step.value);
    if (step.kind === 'user') config.User = step.user;
    history.push({ created: image.created, created_by: step.createdBy, comment: BUILDKIT_COMMENT, ...(step.kind === 'copy' ? {} : { empty_layer: true }) });
  }
  if (Object.keys(image.labels).length > 0) config.Labels = { ...(config.Labels as Record<string, string> | undefined), ...image.labels };
  // Top-level keys in the order encoding/json writes a map: sorted.
  const top: Record<string, unknown> = {
    architecture: base.architecture,
    ...(empty(base.author) ? {} : { author: base.author }),
    config: reorder(config),
    created: image.created,
    history,
    os: base.os,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), ...image.layers] },
    ...(empty(base.variant) ? {} : { variant: base.variant }),
  };
  return Buffer.from(JSON.stringify(top));
}

/** The run config's keys in the order of BuildKit's type (the keys are what counts; this keeps diffs readable). */
function reorder(config: Record<string, unknown>): Record<string, unknown> {
  const order = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'ArgsEscaped', 'OnBuild', 'StopTimeout', 'Shell'];
  return Object.fromEntries(order.filter((key) => key in config).map((key) => [key, config[key]]));
}
