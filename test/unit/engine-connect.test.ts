import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { connectEngine, engineTarget } from '../../src/engine/index.js';
import { ownerId, ownerIsGone } from '../../src/engine/labels.js';
import { EngineUnavailableError, exitCodeFor } from '../../src/errors.js';

test('the default engine is the local socket', () => {
  assert.deepEqual(engineTarget({}), { endpoint: 'unix:///var/run/docker.sock', options: { socketPath: '/var/run/docker.sock' } });
});

test('DOCKER_HOST selects a unix socket or a tcp address', () => {
  assert.deepEqual(engineTarget({ DOCKER_HOST: 'unix:///run/other.sock' }).options, { socketPath: '/run/other.sock' });
  assert.deepEqual(engineTarget({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).options, { host: '127.0.0.1', port: '2375', protocol: 'http' });
});

test('an unsupported DOCKER_HOST scheme is a clear error', () => {
  assert.throws(() => engineTarget({ DOCKER_HOST: 'ssh://me@host' }), (error: unknown) => {
    assert.ok(error instanceof EngineUnavailableError);
    assert.match(error.hint ?? '', /unix:\/\//);
    return true;
  });
});

test('no engine at the address: EngineUnavailableError naming the address, with how to start one; exit code 2', async () => {
  await assert.rejects(connectEngine({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }), (error: unknown) => {
    assert.ok(error instanceof EngineUnavailableError);
    assert.match(error.message, /no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
    assert.match(error.hint ?? '', /make engine/);
    assert.equal(exitCodeFor(error), 2);
    return true;
  });
});

test('an owner on this host whose process is gone is recognised; live, foreign and malformed owners are not', () => {
  const alive = (pid: number): boolean => pid === 100;
  assert.equal(ownerIsGone(`${hostname()}:100`, alive), false);
  assert.equal(ownerIsGone(`${hostname()}:101`, alive), true);
  assert.equal(ownerIsGone('another-host:101', alive), false, 'a process on another host cannot be checked');
  assert.equal(ownerIsGone(`${hostname()}:x`, alive), false);
  assert.equal(ownerIsGone(undefined, alive), true);
  assert.equal(ownerIsGone(ownerId()), false, 'this process is alive');
});
