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
await rm(outRoot, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/rtbuild.ts', 'src/cli/rtcheck.ts', 'src/cli/smoke.ts'],
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
});
