// Builds the command-line tools as ESM files (dist/src/cli/<name>.js), each loading one file at start
// instead of resolving and compiling hundreds of modules. Code that only some commands need is split
// into chunks (dist/src/cli/chunks/) loaded when first imported: rtbuild's build path never loads
// dockerode (gRPC, protobufjs, ssh2: ~90 ms), the rtcheck suite or the registry client (issue 16).
// The type check is `npm run typecheck`; this only transpiles and bundles.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist; the benchmark bundles into a folder of its own)
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const outRoot = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist');
const outdir = join(outRoot, 'src', 'cli');
const TOOLS = ['rtbuild', 'rtcheck', 'smoke'];

/**
 * node:http is loaded with require, never with an ES import: Node 22+ builds the ES namespace of a
 * built-in by reading every export, and node:http's lazy getters then load its bundled undici (fetch,
 * WebSocket): measured 24.5 ms for `import('node:http')` against 6.0 ms for `require('node:http')` with
 * Node 22.23 here, at every start of every tool (rtbuild --help: about 95 → 73 ms). The bundle asks for
 * it through a CommonJS module. (V8's compile cache, module.enableCompileCache, was tried too: no
 * difference in nine runs, --help 74 against 73 ms: V8 compiles lazily, little is compiled at start.)
 */
const httpThroughRequire = {
  name: 'http-through-require',
  setup(builder) {
    // The module's own require of it is the real built-in.
    builder.onResolve({ filter: /^node:http$/ }, (args) =>
      args.namespace === 'builtin-through-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin-through-require' },
    );
    builder.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};
await rm(outRoot, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: TOOLS.map((tool) => `src/cli/${tool}.ts`),
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // The CommonJS dependencies call require and read __dirname; an ESM file has neither.
  banner: {
    js: [
      "import { createRequire as __rtRequire } from 'node:module';",
      "import { fileURLToPath as __rtPath } from 'node:url';",
      'const require = __rtRequire(import.meta.url);',
      'const __filename = __rtPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  // ssh2's optional native parts: it falls back to JavaScript when they cannot be loaded.
  external: ['cpu-features', '*.node'],
  plugins: [httpThroughRequire],
});
