// Builds the command-line tools as one ESM file each (dist/src/cli/<name>.js): a CLI starts by
// loading one file instead of resolving and compiling hundreds of modules (dockerode alone brings
// gRPC, protobufjs and ssh2). The type check is `npm run typecheck`; this only transpiles and bundles.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'src', 'cli');
await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/rtbuild.ts', 'src/cli/rtcheck.ts', 'src/cli/smoke.ts'],
  outdir,
  bundle: true,
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
