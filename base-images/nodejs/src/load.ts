// Finding and importing the user's handler → a callable, or a typed LoadError (LOAD-PATH, LOAD-DEPS,
// LOAD-FAIL). The user's module is loaded from its own path, so `require`/`import` inside it resolve
// from $KUBELESS_INSTALL_VOLUME/node_modules first; the runtime's own modules resolve from the
// runtime's folder and can never be replaced by a user dependency.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Options } from './options';

export type Handler = (event: unknown, context: unknown) => unknown;

export type LoadErrorCode = 'LOAD_NOT_FOUND' | 'LOAD_IMPORT' | 'LOAD_NO_HANDLER' | 'LOAD_NOT_CALLABLE';

export class LoadError extends Error {
  constructor(
    readonly code: LoadErrorCode,
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot load function ${file}: ${reason}`, options);
    this.name = 'LoadError';
  }
}

export interface LoadedFunction {
  handler: Handler;
  /** Absolute path of the module that was loaded. */
  file: string;
  /** Name of the export that was used. */
  exportName: string;
  /** Milliseconds spent importing the module. */
  loadMs: number;
}

const EXTENSIONS = ['.js', '.mjs', '.cjs'] as const;

/** The candidate files, in the order they are tried. */
export function candidatePaths(options: Pick<Options, 'KUBELESS_INSTALL_VOLUME' | 'MOD_NAME' | 'HANDLER_PATH'>): string[] {
  const volume = path.resolve(options.KUBELESS_INSTALL_VOLUME);
  if (options.HANDLER_PATH !== undefined) {
    const file = path.resolve(volume, options.HANDLER_PATH);
    return path.extname(file) === '' ? [file, ...EXTENSIONS.map((ext) => file + ext)] : [file];
  }
  return EXTENSIONS.map((ext) => path.join(volume, options.MOD_NAME + ext));
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether a .js file is an ES module: the nearest package.json says "type": "module". */
function isEsm(file: string): boolean {
  const ext = path.extname(file);
  if (ext === '.mjs') return true;
  if (ext === '.cjs') return false;
  let dir = path.dirname(file);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
        return typeof parsed === 'object' && parsed !== null && (parsed as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/** The first line of an error, without the runtime's own noise, for the one-line load failure. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const first = (err.message.split('\n')[0] ?? '').trim();
    return `${err.name}: ${first}`;
  }
  return `threw ${typeof err === 'string' ? JSON.stringify(err) : String(err)}`;
}

function isObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * Picks the handler from a module's exports, generously: `exports[name]`, `exports.default[name]`,
 * and for the default name a function exported as the module itself or as the default export.
 */
export function pickHandler(exported: unknown, name: string, file: string): { handler: Handler; exportName: string } {
  const places: [unknown, string][] = [[exported, name]];
  if (isObjectLike(exported) && isObjectLike(exported.default)) places.push([exported.default, `default.${name}`]);
  for (const [holder, label] of places) {
    if (isObjectLike(holder) && name in holder) {
      const value = holder[name];
      if (typeof value === 'function') return { handler: value as Handler, exportName: label };
      if (value !== undefined) {
        throw new LoadError('LOAD_NOT_CALLABLE', file, `export '${label}' is not a function (it is ${value === null ? 'null' : typeof value})`);
      }
    }
  }
  if (typeof exported === 'function') return { handler: exported as Handler, exportName: 'module.exports' };
  if (isObjectLike(exported) && typeof exported.default === 'function') {
    return { handler: exported.default as Handler, exportName: 'default' };
  }
  const names = isObjectLike(exported) ? Object.keys(exported).filter((k) => k !== '__esModule') : [];
  const seen = names.length > 0 ? `exports: ${names.join(', ')}` : 'it exports nothing';
  throw new LoadError('LOAD_NO_HANDLER', file, `no handler '${name}' is exported (${seen})`);
}

const ESM_SYNTAX = /Cannot use import statement outside a module|Unexpected token 'export'|Cannot use 'import\.meta' outside a module/;
const HINT_ESM = ' (ES module syntax: name the file .mjs or set "type": "module" in the function\'s package.json)';

/** require() met an ES module graph with a top-level await, which only import() can load. */
function isAsyncEsmGraph(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ASYNC_MODULE';
}

/**
 * CommonJS first. Node 20.19+, 22 and 24 load a .js file in ES module syntax through require()
 * themselves (syntax detection and require(esm), e.g. under Kyma's launch, whose package.json is
 * `{}`), except when its graph has a top-level await: that one is imported. Where Node does not detect
 * the syntax (older Node 20, or a package.json saying "type": "commonjs"), the file is imported as an
 * ES module with a loader hook that treats the function's own .js files (not its node_modules) as
 * ES modules (LOAD-PATH).
 */
async function requireOrEsm(file: string): Promise<unknown> {
  try {
    return createRequire(file)(file);
  } catch (err) {
    if (isAsyncEsmGraph(err)) return (await import(pathToFileURL(file).href)) as unknown;
    if (!(err instanceof SyntaxError && ESM_SYNTAX.test(err.message))) throw err;
    const base = pathToFileURL(path.dirname(file) + path.sep).href;
    const hook =
      `const base = ${JSON.stringify(base)};\n` +
      `export async function load(url, context, next) {\n` +
      `  if (url.startsWith(base) && url.endsWith('.js') && !url.includes('/node_modules/')) {\n` +
      `    const loaded = await next(url, { ...context, format: 'module' });\n` +
      `    return { ...loaded, format: 'module' };\n` +
      `  }\n` +
      `  return next(url, context);\n` +
      `}\n`;
    register('data:text/javascript,' + encodeURIComponent(hook));
    try {
      return (await import(pathToFileURL(file).href)) as unknown;
    } catch {
      throw err; // the original error explains it better
    }
  }
}

/**
 * Node prints a multi-line warning ("To load an ES module, set type...") when CommonJS meets module
 * syntax. The load error (or the ESM fallback) already covers it, and LOAD-FAIL wants one stderr
 * line: drop warnings while the module loads.
 */
function holdWarnings(): { release(): void } {
  const listeners = process.listeners('warning');
  const drop = (): void => {};
  process.removeAllListeners('warning');
  process.on('warning', drop);
  return {
    release: () => {
      process.off('warning', drop);
      for (const l of listeners) process.on('warning', l);
    },
  };
}

/** Finds, imports and checks the user's function. Rejects with a LoadError. */
export async function loadFunction(options: Pick<Options, 'KUBELESS_INSTALL_VOLUME' | 'MOD_NAME' | 'HANDLER_PATH' | 'FUNC_HANDLER'>): Promise<LoadedFunction> {
  const candidates = candidatePaths(options);
  const file = candidates.find(isFile);
  if (file === undefined) {
    throw new LoadError('LOAD_NOT_FOUND', candidates[0] ?? options.KUBELESS_INSTALL_VOLUME, `module not found (tried ${candidates.join(', ')})`);
  }
  const started = performance.now();
  let exported: unknown;
  const warnings = holdWarnings();
  try {
    exported = isEsm(file) ? await import(pathToFileURL(file).href) : await requireOrEsm(file);
  } catch (err) {
    const hint = err instanceof SyntaxError && ESM_SYNTAX.test(err.message) ? HINT_ESM : '';
    throw new LoadError('LOAD_IMPORT', file, describe(err) + hint, { cause: err });
  } finally {
    warnings.release();
  }
  const loadMs = performance.now() - started;
  const picked = pickHandler(exported, options.FUNC_HANDLER, file);
  return { ...picked, file, loadMs };
}
