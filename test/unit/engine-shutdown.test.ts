// SIGINT while a container is being created (issue 15, item 11): once the engine stops creating, a
// create that was in flight is removed when it lands, and no container is started any more. The engine
// is the real DockerEngine over a small fake of dockerode's two calls it makes here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import { ContainerError } from '../../src/errors.js';

function fakeDocker() {
  const removed: string[] = [];
  const started: string[] = [];
  const container = {
    id: 'c0ffee000001',
    remove: () => (removed.push('c0ffee000001'), Promise.resolve()),
    start: () => (started.push('c0ffee000001'), Promise.resolve()),
  };
  // The create lands when the test says so, once the engine has asked for it.
  let asked!: () => void;
  const wasAsked = new Promise<void>((resolve) => (asked = resolve));
  let land!: () => void;
  const landed = new Promise<typeof container>((resolve) => (land = () => resolve(container)));
  const docker = {
    createContainer: () => {
      asked();
      return landed;
    },
  } as unknown as Docker;
  return { docker, removed, started, land: async () => (await wasAsked, land()) };
}

test('a container whose create was in flight when the engine stopped creating is removed when it lands, never started', async () => {
  const fake = fakeDocker();
  const engine = new DockerEngine(fake.docker, 'fake://');
  const creating = engine.createContainer({ image: 'x', purpose: 'test', network: 'host' });
  const stopped = engine.stopCreating();
  await fake.land();
  await stopped;
  await assert.rejects(creating, ContainerError);
  assert.deepEqual(fake.removed, ['c0ffee000001']);
  assert.deepEqual(fake.started, []);
});

test('after stopCreating, a container created before it is not started, and no new one is created', async () => {
  const fake = fakeDocker();
  const engine = new DockerEngine(fake.docker, 'fake://');
  const creating = engine.createContainer({ image: 'x', purpose: 'test', network: 'host' });
  await fake.land();
  const container = await creating;
  await engine.stopCreating();
  await assert.rejects(container.start(), ContainerError);
  assert.deepEqual(fake.started, []);
  await assert.rejects(engine.createContainer({ image: 'x', purpose: 'test', network: 'host' }), /shutting down/);
});
