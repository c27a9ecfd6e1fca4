// Every container the toolchain creates is labelled and removed: when a test fails, when the process
// gets SIGINT, and (by the start-up reaper) when a run was killed before it could clean up.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { type Engine, reapOrphans } from '../../src/engine/index.js';
import { testEngine } from '../support/engine.js';
import { pollUntil } from '../support/net.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'cleanup');

function runFixture(file: string, args: string[] = []): { child: ChildProcess; containerId: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, file), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const containerId = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /container ([0-9a-f]{64})/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`the fixture exited before printing a container id; stderr: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, containerId, exited };
}

async function exists(engine: Engine, id: string): Promise<boolean> {
  return (await engine.listContainers({})).some((c) => c.id === id);
}

describe('cleanup of containers', () => {
  let engine: Engine;
  before(async () => {
    engine = await testEngine();
  });

  test('a container created by a test that fails is gone after the test run', async () => {
    const run = runFixture('failing-test.ts');
    const id = await run.containerId;
    assert.equal(await run.exited, 1, 'the fixture test fails');
    assert.equal(await exists(engine, id), false);
  });

  test('a container is removed when the process that created it gets SIGINT', async () => {
    const run = runFixture('interrupted.ts');
    const id = await run.containerId;
    assert.equal(await exists(engine, id), true);
    run.child.kill('SIGINT');
    await run.exited;
    assert.equal(await exists(engine, id), false);
  });

  test('containers of a run that was killed outright are removed by the start-up reaper', async () => {
    const run = runFixture('interrupted.ts', ['--no-cleanup']);
    const id = await run.containerId;
    run.child.kill('SIGKILL');
    await run.exited;
    assert.equal(await exists(engine, id), true, 'SIGKILL leaves the container behind');
    const reaped = await reapOrphans(engine);
    assert.ok(reaped >= 1);
    await pollUntil('the orphan to be gone', async () => ((await exists(engine, id)) ? undefined : true), { timeoutMs: 10_000 });
  });

  test('the reaper leaves the containers of live processes alone', async () => {
    const run = runFixture('interrupted.ts');
    const id = await run.containerId;
    try {
      await reapOrphans(engine);
      assert.equal(await exists(engine, id), true);
    } finally {
      run.child.kill('SIGINT');
      await run.exited;
    }
    assert.equal(await exists(engine, id), false);
  });
});
