// Prepares the Docker build context from host artifacts (containers here cannot reach the npm
// registry): compiles the server with tsc, bundles it with its dependencies into one file, and
// stages everything the Dockerfile copies in image/. One context serves every Node major.
//
//   npm run image-context   →   image/runtime/package.json, image/runtime/dist/main.js  (→ /opt/runtime)
//                               image/launch/package.json  (→ /usr/src/app/package.json, KB-LAUNCH)
//                               image/sh                   (→ /bin/sh, ../shared/pid1-sh, KB-TERM)
//
// No node_modules are needed at run time (everything is in the bundle), so none enter the image.
// Modes are 0644/0755, so the root-owned copy is readable but not writable by the runtime user.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundle } from './bundle';

const PKG = path.join(__dirname, '..');
const OUT = path.join(PKG, 'image');
const RUNTIME = path.join(OUT, 'runtime');
const LAUNCH = path.join(OUT, 'launch');
/** The PID 1 shell all the project's images install as /bin/sh (the build context is this folder only). */
const PID1_SH = path.join(PKG, '..', 'shared', 'pid1-sh');

function main(): void {
  const tsc = spawnSync(process.execPath, [path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: PKG, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status})`);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(path.join(RUNTIME, 'dist'), { recursive: true });
  mkdirSync(LAUNCH, { recursive: true });
  bundle(path.join(RUNTIME, 'dist', 'main.js'));
  const pkg = JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const runtimePkg = { name: pkg.name, version: pkg.version, license: pkg.license, private: true, type: 'commonjs', main: 'dist/main.js' };
  writeFileSync(path.join(RUNTIME, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');
  copyFileSync(path.join(PKG, 'launch', 'package.json'), path.join(LAUNCH, 'package.json'));
  copyFileSync(PID1_SH, path.join(OUT, 'sh'));
  for (const dir of [OUT, RUNTIME, path.join(RUNTIME, 'dist'), LAUNCH]) chmodSync(dir, 0o755);
  for (const file of [path.join(RUNTIME, 'package.json'), path.join(RUNTIME, 'dist', 'main.js'), path.join(LAUNCH, 'package.json')]) chmodSync(file, 0o644);
  chmodSync(path.join(OUT, 'sh'), 0o755);
  process.stdout.write(`image context ready: ${path.relative(process.cwd(), OUT) || OUT}\n`);
}

main();
