// Builds rtcheck's fixture runtimes: good/ (the reference runtime, on the Node base image) and one
// folder per broken variant, each a Dockerfile on top of the good image (or of the image its
// expect.json names) that breaks one clause. Each folder's expect.json says which clauses it must fail
// or warn on, what the failure must say, under which launches it is checked. Images are tagged by a
// hash of their inputs, so a build happens once per change (the engine keeps them between runs).
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArchiveEntry, packEntries } from '../../src/image/archive.js';
import type { Engine } from '../../src/engine/index.js';
import type { LaunchKind } from '../../src/platform/function-container.js';
import type { ClauseId } from '../../src/rtcheck/clauses.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'rtcheck');
const PID1_SH = join(import.meta.dirname, '..', '..', 'base-images', 'shared', 'pid1-sh');

export interface FixtureExpectation {
  /** The clauses the fixture must fail, exactly. */
  fails: ClauseId[];
  /** The clauses it must warn on (SHOULDs), exactly. */
  warns?: ClauseId[];
  /** The clauses that must say "blocked by" a failed one (root cause first), exactly. */
  blocked?: ClauseId[];
  /** A pattern the first failing (or warning) clause's message must match. */
  says?: string;
  /** The launches it is checked under. */
  launches: LaunchKind[];
  /** The image it is built on, when not the good fixture. */
  base?: string;
  /** --runtime for images that do not declare one. */
  runtime?: string;
  /** For a fixture that breaks nothing and must pass: the clauses whose checks it exercises. */
  proves?: ClauseId[];
}

export async function fixtureExpectation(name: string): Promise<FixtureExpectation> {
  return JSON.parse(await readFile(join(FIXTURES, name, 'expect.json'), 'utf8')) as FixtureExpectation;
}

/** Every fixture folder but good/. */
export async function brokenFixtures(): Promise<string[]> {
  return (await readdir(FIXTURES, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== 'good').map((e) => e.name).sort();
}

export async function fixtureImage(engine: Engine, name: string, nodeBaseImage: string): Promise<string> {
  const expectation = await fixtureExpectation(name);
  const parent = name === 'good' ? nodeBaseImage : (expectation.base ?? (await fixtureImage(engine, 'good', nodeBaseImage)));
  const files: ArchiveEntry[] = [{ path: 'Dockerfile', type: 'file', content: await readFile(join(FIXTURES, name, 'Dockerfile')) }];
  if (name === 'good') {
    files.push({ path: 'server.js', type: 'file', content: await readFile(join(FIXTURES, 'good', 'server.js')) });
    files.push({ path: 'package.json', type: 'file', content: await readFile(join(FIXTURES, 'good', 'package.json')) });
    files.push({ path: 'pid1-sh', type: 'file', content: await readFile(PID1_SH), executable: true });
  }
  const hash = createHash('sha256').update(parent);
  // A base such as rt/python312:dev is rebuilt under the same tag: its id goes into the hash.
  if (expectation.base) hash.update((await engine.inspectImage(parent)).id);
  for (const file of files) hash.update(file.content ?? '');
  const tag = `rtcheck-fixture/${name}:${hash.digest('hex').slice(0, 12)}`;
  if (await engine.imageExists(tag)) return tag;
  await engine.buildImage(packEntries(files), { tags: [tag], buildArgs: { BASE_IMAGE: parent } });
  return tag;
}
