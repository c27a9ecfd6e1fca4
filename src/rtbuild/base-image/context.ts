// The build context of a base image: the project's runtime folders are prepared first (the server
// compiled and bundled, the Python wheels fetched, on the host: containers cannot reach package
// registries on offline machines); then the folder is packed as the engine would, honouring its
// .dockerignore.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { BuildFailedError, InvalidInputError } from '../../errors.js';
import { packEntries, readDirectoryEntries } from '../../image/archive.js';
import type { RuntimeFamily } from '../../platform/runtimes.js';
import { findUpward } from '../../project-files.js';
import { createIgnoreMatcher } from '../function/ignore.js';

type Reporter = (line: string) => void;

/** How each family's folder is prepared: one folder serves every runtime of a family (Node majors by NODE_MAJOR). */
export const PREPARE: Readonly<Record<RuntimeFamily, readonly (readonly string[])[]>> = Object.freeze({
  nodejs: [
    ['npm', 'ci', '--no-audit', '--no-fund', '--loglevel=error'],
    ['npm', 'run', '--silent', 'image-context'],
  ],
  python: [['bash', join('scripts', 'image-context.sh')]],
});

/** The repository root: where base-images/ is, from the sources or from the built CLI in dist/. */
export function projectRoot(): string {
  const found = findUpward(import.meta.dirname, 'base-images');
  if (!found) throw new InvalidInputError('cannot find the base-images/ folder of this project', { hint: 'run rtbuild base from a clone of the project, or pass --context DIR' });
  return dirname(found);
}

function run(command: readonly string[], cwd: string, report: Reporter): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const [program, ...args] = command as [string, ...string[]];
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        report(`  ${line}`);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (cause) => reject(new BuildFailedError({ engineMessage: `could not run ${program}: ${cause.message}` }, { cause })));
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new BuildFailedError({ engineMessage: `preparing the build context failed: "${command.join(' ')}" exited with ${code}`, output: tail }));
    });
  });
}

/** Runs the family's preparation commands in the folder, reporting their output. */
export async function prepareFolder(family: RuntimeFamily, folder: string, report: Reporter): Promise<void> {
  for (const command of PREPARE[family]) {
    report(`rtbuild base: ${command.join(' ')}`);
    await run(command, folder, report);
  }
}

export async function contextOf(folder: string): Promise<Readable> {
  if (!existsSync(join(folder, 'Dockerfile'))) {
    throw new InvalidInputError(`${folder} has no Dockerfile`, { hint: 'a runtime image folder holds a Dockerfile whose base is ARG BASE_IMAGE' });
  }
  const ignoreFile = join(folder, '.dockerignore');
  const lines = existsSync(ignoreFile) ? (await readFile(ignoreFile, 'utf8')).split('\n') : [];
  const matcher = createIgnoreMatcher(lines);
  const entries = await readDirectoryEntries(folder, {
    // As the engine does: the Dockerfile always goes; an ignored folder is still walked when a "!" rule may bring back part of it.
    exclude: (path, isDirectory) =>
      path !== 'Dockerfile' && matcher.ignores(path) && !(isDirectory && matcher.mayReinclude(path)),
  });
  return packEntries(entries);
}
