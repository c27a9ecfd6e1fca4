// No false failures on a busy machine (issue 12): the known-good fixture runtime, checked under both
// launches again and again while a CPU burner keeps every core busy, passes every time. The number of
// runs is RTCHECK_LOAD_RUNS (CI: 3; the proof: 10).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { renderText } from '../../src/rtcheck/report/text.js';
import { runConformance } from '../../src/rtcheck/runner.js';
import { baseImage, testEngine } from '../support/engine.js';
import { fixtureImage } from '../support/rtcheck.js';

const RUNS = Number(process.env.RTCHECK_LOAD_RUNS ?? 3);
const burners: ChildProcess[] = [];
let engine: Engine;
let image: string;

before(async () => {
  engine = await testEngine();
  image = await fixtureImage(engine, 'good', baseImage('node'));
  // One spinning process per core, at normal priority: the containers compete with them.
  for (let core = 0; core < availableParallelism(); core++) {
    burners.push(spawn(process.execPath, [join(import.meta.dirname, '..', 'fixtures', 'cpu-burner', 'burn.js')], { stdio: 'ignore' }));
  }
});

after(() => {
  for (const burner of burners) burner.kill('SIGKILL');
});

test(`no false failures under load: the good runtime passes every clause ${RUNS} times in a row with every core busy`, async () => {
  for (let run = 1; run <= RUNS; run++) {
    const summary = await runConformance({ engine, image });
    const notPassed = summary.results.filter((r) => r.status !== 'pass').map((r) => `${r.clause} (${r.launch}) ${r.status}: ${r.message}`);
    assert.deepEqual(notPassed, [], `run ${run} of ${RUNS}:\n${renderText(summary)}`);
  }
});
