// The probe functions rtcheck loads into the images it checks: folders under src/rtcheck/probes/<family>/,
// found from the sources and from the bundled CLI alike.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArchiveEntry, readDirectoryEntries } from '../image/archive.js';
import { findUpward } from '../project-files.js';
import type { Family } from '../platform/runtimes.js';

/** A folder named node_modules would be ignored by git, so probes keep their dependencies in node_modules.in/. */
const DEPENDENCIES_IN = 'node_modules.in';

export function probesRoot(): string {
  return findUpward(import.meta.dirname, join('src', 'rtcheck', 'probes')) ?? join(import.meta.dirname, 'probes');
}

export function probeDir(family: Family, probe: string): string {
  return join(probesRoot(), family.probes, probe);
}

/** The probe's files as they go into the function's folder (node_modules.in/ → node_modules/). */
export async function probeEntries(family: Family, probe: string): Promise<ArchiveEntry[]> {
  return (await readDirectoryEntries(probeDir(family, probe))).map((entry) =>
    entry.path === DEPENDENCIES_IN || entry.path.startsWith(`${DEPENDENCIES_IN}/`) ? { ...entry, path: `node_modules${entry.path.slice(DEPENDENCIES_IN.length)}` } : entry,
  );
}

/** The probe's handler file as text: a Function's inline source under Kyma's launch. */
export function probeSource(family: Family, probe: string): Promise<string> {
  return readFile(join(probeDir(family, probe), family.kyma.handlerFile), 'utf8');
}
