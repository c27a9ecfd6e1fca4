// Builds rtcheck's fixture runtimes: good/ (the reference runtime, on the Node base image) and one
// folder per broken variant, each a Dockerfile on top of the good image that breaks one clause.
// Images are tagged by a hash of their inputs, so a build happens once per change (the engine keeps
// them between runs).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArchiveEntry, packEntries } from '../../src/image/archive.js';
import type { Engine } from '../../src/engine/index.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'rtcheck');

export async function fixtureImage(engine: Engine, name: string, nodeBaseImage: string): Promise<string> {
  const parent = name === 'good' ? nodeBaseImage : await fixtureImage(engine, 'good', nodeBaseImage);
  const files: ArchiveEntry[] = [{ path: 'Dockerfile', type: 'file', content: await readFile(join(FIXTURES, name, 'Dockerfile')) }];
  if (name === 'good') files.push({ path: 'server.js', type: 'file', content: await readFile(join(FIXTURES, 'good', 'server.js')) });
  const hash = createHash('sha256').update(parent);
  for (const file of files) hash.update(file.content ?? '');
  const tag = `rtcheck-fixture/${name}:${hash.digest('hex').slice(0, 12)}`;
  if (await engine.imageExists(tag)) return tag;
  await engine.buildImage(packEntries(files), { tags: [tag], buildArgs: { BASE_IMAGE: parent } });
  return tag;
}
