// Prepares the Docker build context from host artifacts (containers here cannot reach the npm
// registry): compiles the server with tsc, bundles it with its dependencies into one file, and
// stages it in image/:
//
//   npm run image-context   →   image/package.json, image/dist/main.js
//
// No node_modules are needed at run time (everything is in the bundle), so none enter the image.
// Modes are 0644/0755, so the root-owned copy is readable but not writable by the runtime user.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundle } from './bundle';

const PKG = path.join(__dirname, '..');
const OUT = path.join(PKG, 'image');

function main(): void {
  const tsc = spawnSync(process.execPath, [path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: PKG, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status})`);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(path.join(OUT, 'dist'), { recursive: true });
  bundle(path.join(OUT, 'dist', 'main.js'));
  const pkg = JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const runtimePkg = { name: pkg.name, version: pkg.version, license: pkg.license, private: true, type: 'commonjs', main: 'dist/main.js' };
  writeFileSync(path.join(OUT, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');
  for (const dir of [OUT, path.join(OUT, 'dist')]) chmodSync(dir, 0o755);
  for (const file of [path.join(OUT, 'package.json'), path.join(OUT, 'dist', 'main.js')]) chmodSync(file, 0o644);
  process.stdout.write(`image context ready: ${path.relative(process.cwd(), OUT) || OUT}\n`);
}

main();
