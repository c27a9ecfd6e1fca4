// CLI behaviour shared by every entry point: exit codes and messages, never a stack trace for a user error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { RtError, formatError } from '../../src/errors.js';

const smoke = join(import.meta.dirname, '..', '..', 'src', 'cli', 'smoke.ts');

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', smoke, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
}

test('no engine reachable: exit 2 with what was tried and how to fix it, and no stack trace', () => {
  const result = run([], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^error: no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/m);
  assert.match(result.stderr, /^hint: .*make engine/m);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
});

test('bad arguments: exit 2 with usage', () => {
  const result = run(['--port', 'abc']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--port .* is invalid/);
  assert.match(result.stderr, /Usage: rt-smoke/);
});

test('--help explains and exits 0', () => {
  const result = run(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /host networking/);
});

test('formatError shows message, evidence and hint; the stack only when verbose', () => {
  const error = new RtError('BUILD_FAILED', 'subject', 'image build failed: boom', { hint: 'fix it', details: 'line 1\nline 2' });
  assert.equal(formatError(error), 'error: image build failed: boom\n  line 1\n  line 2\nhint: fix it');
  assert.match(formatError(error, true), /at /);
  assert.match(formatError(new Error('unexpected')), /this is a bug in the tool/);
});
