// docs/custom-runtime.md walks a custom Python runtime from a first attempt to green, one step at a time,
// with rtcheck's own reports. Its steps are test/fixtures/custom-runtime-guide/step-N/: step 1 is whole
// (a Dockerfile on ARG BASE_IMAGE and the server), every later step is what changed, as unified diffs
// against the step before (step-N/<file>.patch), and the guide shows exactly those files. Each step's
// expect.json is what the guide says rtcheck reports for it: the clauses it fails, warns on and blocks,
// the clauses KB-CONTRACT finds failing under Kyma's launch, and the messages and hints the guide quotes.
// This test makes every step's build context (the patches applied in order with GNU patch), builds them
// on the Python stand-in (as a user builds on python:3.12-slim-bookworm), runs rtcheck on each, and holds
// the reports, the expect.json files and the guide's text to each other, so that none of them drifts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type Engine, managedLabels } from '../../src/engine/index.js';
import { packDirectory } from '../../src/image/archive.js';
import { CLAUSES, type ClauseId, RTCHECK_SECTIONS } from '../../src/rtcheck/clauses.js';
import { type CheckResult, type RunSummary, exitCodeForResults } from '../../src/rtcheck/result.js';
import { renderText } from '../../src/rtcheck/report/text.js';
import { runConformance } from '../../src/rtcheck/runner.js';
import { runCliToEnd } from '../support/cli.js';
import { baseImage, testEngine, uniqueTag } from '../support/engine.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STEPS_DIR = join(ROOT, 'test', 'fixtures', 'custom-runtime-guide');
const GUIDE = join(ROOT, 'docs', 'custom-runtime.md');
/** How many clauses a full run reports: sections 1–9 and 11. */
const CLAUSES_CHECKED = CLAUSES.filter((c) => RTCHECK_SECTIONS.includes(c.section)).length;

interface StepExpectation {
  /** The step's heading in the guide: "## Step N: title". */
  title: string;
  /** rtcheck --runtime (step 1 declares no FUNC_RUNTIME). */
  runtime?: string;
  /** rtcheck --strict (the last step). */
  strict?: boolean;
  /**
   * Files the guide has the reader copy from rt-toolchain into the image's folder at this step: name in
   * the build context → path in this repository. Taken from there, so that there is no copy to drift.
   */
  copies?: Record<string, string>;
  fails: ClauseId[];
  warns: ClauseId[];
  blocked: ClauseId[];
  /** The checks of sections 3–8 that KB-CONTRACT finds failing under Kyma's launch. */
  kbContractFails: ClauseId[];
  /** Per clause, a part of rtcheck's message that the guide quotes. */
  says: Partial<Record<ClauseId, string>>;
  /** Per clause, a part of rtcheck's hint that the guide quotes. */
  hints: Partial<Record<ClauseId, string>>;
}

interface Step {
  n: number;
  dir: string;
  expect: StepExpectation;
  /** The step's files other than expect.json: whole files (step 1) and `<file>.patch` diffs. */
  files: string[];
}

// Read before the tests are declared: one test per step folder.
const steps: Step[] = await Promise.all(
  (await readdir(STEPS_DIR, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && /^step-\d+$/.test(entry.name))
    .map(async (entry) => {
      const dir = join(STEPS_DIR, entry.name);
      return {
        n: Number(entry.name.slice('step-'.length)),
        dir,
        expect: JSON.parse(await readFile(join(dir, 'expect.json'), 'utf8')) as StepExpectation,
        files: (await readdir(dir)).filter((name) => name !== 'expect.json').sort(),
      };
    }),
);
steps.sort((a, b) => a.n - b.n);
const last = steps.at(-1) as Step;

const run = promisify(execFile);

/**
 * Applies one unified diff to `dir` with GNU patch, exactly as written: no fuzz, no hunk at another line
 * than it says (the guide shows the line numbers), no reversed or already-applied hunks, no backup or
 * reject files.
 */
async function applyPatch(dir: string, patch: string): Promise<void> {
  let stdout: string;
  try {
    ({ stdout } = await run('patch', ['--batch', '--forward', '--fuzz=0', '--no-backup-if-mismatch', '--reject-file=-', '--strip=1', '--directory', dir, '--input', patch]));
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error('GNU patch is not installed (Debian: apt-get install patch): it makes each step of the guide from the one before');
    throw new Error(`${patch} does not apply exactly to the step before it:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
  // "Hunk #2 succeeded at 14 (offset -5 lines)": it applied, but not where it says.
  if (/^Hunk #\d+ succeeded at /m.test(stdout)) throw new Error(`${patch} applies only at other lines than it names (regenerate it with diff -u):\n${stdout}`);
}

/**
 * Every step's build context under `root`: a copy of the step before (nothing for step 1), the step's
 * whole files, its patches applied in name order, and the files it copies from rt-toolchain.
 */
async function makeContexts(root: string): Promise<Map<number, string>> {
  const contexts = new Map<number, string>();
  let previous: string | undefined;
  for (const step of steps) {
    const dir = join(root, `step-${step.n}`);
    if (previous) await cp(previous, dir, { recursive: true });
    else await mkdir(dir);
    for (const name of step.files.filter((name) => !name.endsWith('.patch'))) await copyFile(join(step.dir, name), join(dir, name));
    for (const name of step.files.filter((name) => name.endsWith('.patch'))) await applyPatch(dir, join(step.dir, name));
    for (const [name, from] of Object.entries(step.expect.copies ?? {})) await copyFile(join(ROOT, from), join(dir, name));
    contexts.set(step.n, dir);
    previous = dir;
  }
  return contexts;
}

let workdir: string | undefined;
let contexts: Promise<Map<number, string>> | undefined;
/** The build contexts, made once for both groups of tests. */
function stepContexts(): Promise<Map<number, string>> {
  contexts ??= mkdtemp(join(tmpdir(), 'rt-guide-')).then((dir) => makeContexts((workdir = dir)));
  return contexts;
}
after(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

function withStatus(results: readonly CheckResult[], status: string): string[] {
  return results.filter((r) => r.status === status).map((r) => r.clause).sort();
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort();
}

/** "IMG-USER, LOAD-PATH and 29 more" */
function some(list: readonly string[]): string {
  return list.length <= 3 ? list.join(', ') || 'nothing' : `${list.slice(0, 2).join(', ')} and ${list.length - 2} more`;
}

/** The guide's verdict line of step `n`: "> Step N fails (k): `A`, `B`. Warns on (k): …. Blocked (k): …. KB-CONTRACT parts failing (k): …." */
function verdictOf(guide: string, n: number): Record<string, string[]> | undefined {
  const line = guide.split('\n').find((l) => l.startsWith(`> Step ${n} fails (`));
  if (!line) return undefined;
  const lists: Record<string, string[]> = {};
  for (const match of line.matchAll(/(fails|Warns on|Blocked|KB-CONTRACT parts failing) \((\d+)\): ([^.]*)\./g)) {
    const ids = match[3] === 'none' ? [] : [...(match[3] ?? '').matchAll(/`([A-Z0-9-]+)`/g)].map((m) => m[1] as string);
    assert.equal(ids.length, Number(match[2]), `the count in "${match[1]} (${match[2]})" of step ${n} matches its list`);
    lists[match[1] as string] = ids;
  }
  return lists;
}

/** The text of the guide from "## Step N:" to the next "## " heading. */
function sectionOf(guide: string, n: number): string {
  const start = guide.indexOf(`\n## Step ${n}: `);
  const end = guide.indexOf('\n## ', start + 1);
  return start < 0 ? '' : guide.slice(start, end < 0 ? undefined : end);
}

/** The fence a step file is shown in: its diff, or step 1's whole files. */
function fenceFor(name: string): string {
  return name.endsWith('.patch') ? 'diff' : name.endsWith('.py') ? 'python' : name === 'Dockerfile' ? 'dockerfile' : 'text';
}

describe('docs/custom-runtime.md and its steps agree', () => {
  test('the guide has a heading per step, its verdict line lists exactly the clauses of the step\'s expect.json, and it quotes every message and hint expect.json names', async () => {
    const guide = await readFile(GUIDE, 'utf8');
    assert.deepEqual(steps.map((s) => s.n), steps.map((_, i) => i + 1), 'steps are numbered 1, 2, 3, … without gaps');
    for (const { n, expect } of steps) {
      assert.ok(guide.includes(`## Step ${n}: ${expect.title}\n`), `heading "## Step ${n}: ${expect.title}"`);
      const verdict = verdictOf(guide, n);
      assert.ok(verdict, `a verdict line "> Step ${n} fails (…)" in the guide`);
      assert.deepEqual(sorted(verdict.fails ?? []), sorted(expect.fails), `step ${n}: the failing clauses in the guide`);
      assert.deepEqual(sorted(verdict['Warns on'] ?? []), sorted(expect.warns), `step ${n}: the warnings in the guide`);
      assert.deepEqual(sorted(verdict.Blocked ?? []), sorted(expect.blocked), `step ${n}: the blocked clauses in the guide`);
      assert.deepEqual(sorted(verdict['KB-CONTRACT parts failing'] ?? []), sorted(expect.kbContractFails), `step ${n}: KB-CONTRACT's failing parts in the guide`);
      for (const [clause, text] of [...Object.entries(expect.says), ...Object.entries(expect.hints)]) {
        assert.ok(guide.includes(text), `step ${n}: the guide quotes ${clause}: ${text}`);
      }
    }
  });

  test('the table of steps and every report summary in a step\'s section count what its expect.json lists', async () => {
    const guide = await readFile(GUIDE, 'utf8');
    for (const { n, expect } of steps) {
      const row = guide.split('\n').find((line) => line.startsWith(`| ${n} |`));
      assert.ok(row, `a row for step ${n} in the table of steps`);
      const cells = row.split('|').map((cell) => cell.trim()).filter(Boolean);
      assert.deepEqual(cells.slice(-3).map(Number), [expect.fails.length, expect.warns.length, expect.blocked.length], `step ${n}'s row counts its fails, warnings and blocked clauses: ${row}`);
      const summaries = [...sectionOf(guide, n).matchAll(/^(\d+) passed, (\d+) failed, (\d+) warnings, (\d+) skipped(?:, (\d+) blocked)? in /gm)];
      assert.ok(summaries.length > 0, `step ${n}'s section quotes the report's last line`);
      const passed = CLAUSES_CHECKED - expect.fails.length - expect.warns.length - expect.blocked.length;
      for (const m of summaries) {
        assert.deepEqual(m.slice(1, 6).map((count) => Number(count ?? 0)), [passed, expect.fails.length, expect.warns.length, 0, expect.blocked.length], `step ${n}: ${m[0]}`);
      }
    }
  });

  test('the guide shows step 1 whole and every later step\'s change as its patch, verbatim', async () => {
    const guide = await readFile(GUIDE, 'utf8');
    for (const step of steps) {
      for (const name of step.files) {
        const text = await readFile(join(step.dir, name), 'utf8');
        assert.ok(guide.includes(`\`\`\`${fenceFor(name)}\n${text}\`\`\`\n`), `the guide shows step-${step.n}/${name} in a \`\`\`${fenceFor(name)} block, as it is`);
      }
    }
  });

  test('every step\'s patches apply exactly, in order, to the step before (GNU patch, no fuzz); the files a step copies exist in rt-toolchain', async () => {
    const made = await stepContexts();
    for (const step of steps) {
      const files = sorted(await readdir(made.get(step.n) as string));
      assert.ok(files.includes('Dockerfile') && files.includes('server.py'), `step ${step.n}'s context has a Dockerfile and server.py: ${files.join(', ')}`);
      assert.ok(!files.some((name) => /\.(orig|rej)$/.test(name)), `no backup or reject files in step ${step.n}'s context: ${files.join(', ')}`);
    }
    // KB-TERM: pid1-sh is the project's own /bin/sh for Kyma's launch, unchanged.
    assert.deepEqual(last.expect.copies, { 'pid1-sh': 'base-images/shared/pid1-sh' });
  });
});

describe('the custom runtime of docs/custom-runtime.md, step by step, as rtcheck reports it', () => {
  let engine: Engine;
  const images = new Map<number, string>();

  before(async () => {
    engine = await testEngine();
    const made = await stepContexts();
    const runId = uniqueTag();
    // The steps share their first layers; the engine builds them side by side.
    const builds = await Promise.allSettled(
      steps.map(async (step) => {
        const tag = `rt-guide/step-${step.n}:${runId}`;
        // The guide's `docker build --build-arg BASE_IMAGE=…`: the stand-in replaces the official image.
        await engine.buildImage(await packDirectory(made.get(step.n) as string), { tags: [tag], buildArgs: { BASE_IMAGE: baseImage('python') }, labels: managedLabels('custom-runtime-guide') });
        images.set(step.n, tag);
      }),
    );
    const failed = builds.find((build) => build.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async () => {
    for (const tag of images.values()) await engine.removeImage(tag, { force: true });
  });

  test('IMG-RUNTIME: step 1 declares no FUNC_RUNTIME, so rtcheck without --runtime cannot run (exit 2) and names the Dockerfile line', async () => {
    const cli = await runCliToEnd('rtcheck', [images.get(1) as string]);
    assert.equal(cli.status, 2, cli.stderr);
    assert.match(cli.stderr, /the image does not set FUNC_RUNTIME \(IMG-RUNTIME\) and no --runtime was given/);
    assert.match(cli.stderr, /add ENV FUNC_RUNTIME=<id> to the image/);
  });

  for (const { n, expect } of steps) {
    const name =
      n === last.n
        ? `every clause of sections 1–9 and 11 (KB-LAUNCH … KB-TERM): step ${n}, "${expect.title}", passes rtcheck --strict under both launches (exit 0)`
        : `step ${n}, "${expect.title}": rtcheck fails exactly ${some(expect.fails)}, warns on ${some(expect.warns)}, blocks ${some(expect.blocked)} (its expect.json)`;
    test(name, async (t) => {
      const summary: RunSummary = await runConformance({
        engine,
        image: images.get(n) as string,
        timeoutSeconds: 300,
        ...(expect.runtime ? { runtime: expect.runtime } : {}),
        ...(expect.strict ? { strict: true } : {}),
      });
      const report = renderText(summary);
      // rtcheck does not assess HTTP-PORT while a program that is not rtcheck holds 127.0.0.1:8080; the
      // skip carries its reason.
      const port = summary.results.find((r) => r.clause === 'HTTP-PORT');
      if (port?.status === 'skip') return t.skip(port.message);

      assert.deepEqual(withStatus(summary.results, 'fail'), sorted(expect.fails), report);
      assert.deepEqual(withStatus(summary.results, 'warn'), sorted(expect.warns), report);
      assert.deepEqual(withStatus(summary.results, 'blocked'), sorted(expect.blocked), report);
      assert.deepEqual(withStatus(summary.results, 'skip'), [], report);
      assert.equal(summary.results.length, CLAUSES_CHECKED, 'every clause of sections 1–9 and 11 is reported');
      const contract = summary.results.find((r) => r.clause === 'KB-CONTRACT');
      assert.deepEqual(withStatus(contract?.parts ?? [], 'fail'), sorted(expect.kbContractFails), report);
      for (const [clause, text] of Object.entries(expect.says)) {
        const result = summary.results.find((r) => r.clause === clause);
        assert.ok(result?.message.includes(text), `${clause} says "${text}"; it said "${result?.message}"`);
      }
      for (const [clause, text] of Object.entries(expect.hints)) {
        const result = summary.results.find((r) => r.clause === clause);
        assert.ok(result?.hint?.includes(text), `${clause}'s hint names "${text}"; it was "${result?.hint}"`);
      }
      assert.equal(exitCodeForResults(summary.results), expect.fails.length > 0 ? 1 : 0);
      if (n === last.n) assert.ok(summary.results.every((r) => r.status === 'pass'), report);
    });
  }
});
