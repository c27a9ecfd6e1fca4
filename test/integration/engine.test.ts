// The engine module against the real Docker engine (never a mock).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packDirectory, packEntries } from '../../src/image/archive.js';
import { type Engine, LABEL_MANAGED, LABEL_OWNER, LABEL_PURPOSE, ownerId } from '../../src/engine/index.js';
import { BuildFailedError, ContainerError, ImageNotFoundError } from '../../src/errors.js';
import { baseImage, testEngine, uniqueTag } from '../support/engine.js';
import { freePort, waitForHttp } from '../support/net.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'engine');

describe('engine: images', () => {
  let engine: Engine;
  let builtId: string;
  const tag = `rt-test/engine-build-ok:${uniqueTag()}`;

  before(async () => {
    engine = await testEngine();
  });
  after(async () => {
    await engine.removeImage(tag, { force: true });
  });

  test('a build from a tar context succeeds, returns the image id and applies the tag', async () => {
    const progress: string[] = [];
    const built = await engine.buildImage(await packDirectory(join(fixtures, 'build-ok')), {
      tags: [tag],
      buildArgs: { BASE_IMAGE: baseImage('node') },
      onProgress: (event) => progress.push(event.text),
    });
    builtId = built.id;
    assert.match(built.id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await engine.inspectImage(tag)).id, built.id);
    assert.ok(progress.some((line) => /^(CACHED )?\[\d\/\d\] COPY greeting\.txt/.test(line)), `BuildKit step lines; progress was: ${progress.join('\n')}`);
  });

  test('inspecting an image gives user, env, exposed ports, cmd, labels and layers', async () => {
    const info = await engine.inspectImage(tag);
    assert.equal(info.id, builtId);
    assert.equal(info.user, '1000');
    assert.equal(info.env.FIXTURE_GREETING_FILE, '/opt/fixture/greeting.txt');
    assert.deepEqual(info.exposedPorts, ['8080/tcp']);
    assert.equal(info.cmd?.[0], 'node');
    assert.equal(info.labels['io.rt-toolchain.fixture'], 'build-ok');
    const base = await engine.inspectImage(baseImage('node'));
    assert.equal(info.layers.length, base.layers.length + 1, 'COPY adds exactly one layer on top of the base');
    assert.deepEqual(info.layers.slice(0, base.layers.length), base.layers);
  });

  test('the history lists the COPY step with the size of its layer, newest first', async () => {
    const history = await engine.imageHistory(tag);
    const base = await engine.imageHistory(baseImage('node'));
    const added = history.slice(0, history.length - base.length);
    const copy = added.find((entry) => entry.createdBy.startsWith('COPY greeting.txt'));
    assert.ok(copy, added.map((entry) => entry.createdBy).join('\n'));
    assert.ok(copy.size > 0 && copy.size < 1024, `size ${copy.size}`);
    assert.ok(added.every((entry) => entry === copy || entry.size === 0), 'only the COPY step adds bytes');
  });

  for (const builder of ['buildkit', 'classic'] as const) {
    test(`${builder}: a build whose RUN step fails is a BuildFailedError carrying the engine text, the step, its command and exit code, and its output`, async () => {
      const failing = engine.buildImage(await packDirectory(join(fixtures, 'build-failing-run')), {
        builder,
        buildArgs: { BASE_IMAGE: baseImage('node') },
      });
      await assert.rejects(failing, (error: unknown) => {
        assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
        assert.equal(error.code, 'BUILD_FAILED');
        assert.match(error.engineMessage, builder === 'buildkit' ? /exit code: 3$/ : /returned a non-zero code: 3/);
        assert.match(error.details ?? '', /fixture step output before failing/);
        // The same failure as data, from either builder.
        assert.equal(error.exitCode, 3);
        assert.equal(error.step, builder === 'buildkit' ? '2/2' : '3/3');
        assert.equal(error.command, 'echo "fixture step output before failing" && exit 3');
        assert.deepEqual(error.output, ['fixture step output before failing']);
        assert.equal(error.message, 'image build failed: the step "RUN echo "fixture step output before failing" && exit 3" exited with code 3');
        return true;
      });
    });

    test(`${builder}: a build with a broken Dockerfile fails with the engine text`, async () => {
      const context = packEntries([{ path: 'Dockerfile', type: 'file', content: Buffer.from('FROMM nothing\n') }]);
      await assert.rejects(engine.buildImage(context, { builder }), (error: unknown) => {
        assert.ok(error instanceof BuildFailedError);
        assert.match(error.message, /unknown instruction: FROMM/i);
        return true;
      });
    });

    test(`${builder}: RUN steps on the default network run, also on an engine without a bridge network`, async () => {
      const tagged = `rt-test/engine-build-default-net:${uniqueTag()}`;
      const progress: string[] = [];
      try {
        await engine.buildImage(await packDirectory(join(fixtures, 'build-run-default-network')), {
          builder,
          tags: [tagged],
          networkMode: 'default',
          noCache: true,
          buildArgs: { BASE_IMAGE: baseImage('node') },
          onProgress: (event) => progress.push(event.text),
        });
        assert.ok(progress.some((line) => line.trim() === 'ran-on-default-network'), progress.join('\n'));
      } finally {
        await engine.removeImage(tagged, { force: true });
      }
    });
  }

  test('the layers an image adds on top of its base come with their sizes', async () => {
    const layers = await engine.addedLayers(tag, baseImage('node'));
    assert.equal(layers.length, 1, 'COPY adds exactly one layer');
    assert.equal(layers[0]?.diffId, (await engine.inspectImage(tag)).layers.at(-1));
    assert.ok(layers[0]!.size! > 0 && layers[0]!.size! < 1024, `size ${layers[0]?.size}`);
    assert.match(layers[0]?.createdBy ?? '', /COPY greeting\.txt/);
    await assert.rejects(engine.addedLayers(baseImage('node'), tag), /is not built on/);
  });

  test('inspecting a missing image is an ImageNotFoundError', async () => {
    await assert.rejects(engine.inspectImage('rt-test/does-not-exist:never'), ImageNotFoundError);
    await assert.rejects(engine.imageHistory('rt-test/does-not-exist:never'), ImageNotFoundError);
    assert.equal(await engine.imageExists('rt-test/does-not-exist:never'), false);
    assert.equal(await engine.imageExists(tag), true);
  });
});

describe('engine: containers', () => {
  let engine: Engine;
  before(async () => {
    engine = await testEngine();
  });

  async function serverContainer(port: number, extra: Partial<Parameters<Engine['createContainer']>[0]> = {}) {
    return engine.createContainer({
      image: baseImage('node'),
      purpose: 'test',
      network: 'host',
      user: '1000',
      env: { PORT: String(port), FIXTURE_FILE: '/kubeless/copied.txt' },
      cmd: ['node', '/kubeless/server.js'],
      volumes: ['/kubeless'],
      ...extra,
    });
  }

  test('a container on host networking serves HTTP reached on 127.0.0.1, with a file copied in before start', async () => {
    const port = await freePort();
    const container = await serverContainer(port, {
      readOnlyRootfs: true,
      tmpfs: { '/tmp': 'rw,size=16m' },
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges'],
    });
    try {
      await container.putArchive(await packDirectory(join(fixtures, 'http-server')), '/kubeless');
      await container.start();
      const answer = await waitForHttp(`http://127.0.0.1:${port}/`, 15_000);
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'the file copied in before start\n');
    } finally {
      await container.remove();
    }
  });

  test('a container carries the managed, owner and purpose labels', async () => {
    const container = await serverContainer(await freePort());
    try {
      const mine = await engine.listContainers({ [LABEL_OWNER]: ownerId() });
      const found = mine.find((c) => c.id === container.id);
      assert.ok(found, 'the new container is listed under this process as owner');
      assert.equal(found.labels[LABEL_MANAGED], 'true');
      assert.equal(found.labels[LABEL_PURPOSE], 'test');
    } finally {
      await container.remove();
    }
    assert.equal((await engine.listContainers({ [LABEL_OWNER]: ownerId() })).some((c) => c.id === container.id), false);
  });

  test('signals reach the process; exit code and both log streams can be read', async () => {
    const port = await freePort();
    const container = await serverContainer(port);
    try {
      await container.putArchive(await packDirectory(join(fixtures, 'http-server')), '/kubeless');
      await container.start();
      await waitForHttp(`http://127.0.0.1:${port}/`, 15_000);
      assert.equal((await container.inspect()).running, true);
      const exited = container.wait();
      await container.kill('SIGTERM');
      assert.equal(await exited, 7);
      const logs = await container.logs();
      assert.match(logs.stdout, new RegExp(`listening on ${port}`));
      assert.match(logs.stderr, /got SIGTERM/);
      const state = await container.inspect();
      assert.equal(state.running, false);
      assert.equal(state.exitCode, 7);
    } finally {
      await container.remove();
    }
  });

  test('copying into a read-only root filesystem outside a volume fails with a hint about volumes', async () => {
    const container = await serverContainer(await freePort(), { readOnlyRootfs: true });
    try {
      const archive = packEntries([{ path: 'x.txt', type: 'file', content: Buffer.from('x') }]);
      await assert.rejects(container.putArchive(archive, '/opt'), (error: unknown) => {
        assert.ok(error instanceof ContainerError);
        assert.match(error.message, /read-only/);
        assert.match(error.hint ?? '', /volume/);
        return true;
      });
    } finally {
      await container.remove();
    }
  });

  test('a volume starts empty like the platform\'s emptyDir: the image\'s own files there are hidden', async () => {
    const image = `rt-test/engine-volume:${uniqueTag()}`;
    await engine.buildImage(await packDirectory(join(fixtures, 'build-ok')), { tags: [image], buildArgs: { BASE_IMAGE: baseImage('node') } });
    const container = await engine.createContainer({
      image,
      purpose: 'test',
      network: 'none',
      volumes: ['/opt/fixture'],
      cmd: ['node', '-e', "console.log(JSON.stringify(require('fs').readdirSync('/opt/fixture')))"],
    });
    try {
      await container.start();
      assert.equal(await container.wait(), 0);
      assert.equal((await container.logs()).stdout.trim(), '[]');
    } finally {
      await container.remove();
      await engine.removeImage(image, { force: true });
    }
  });

  test('a container from a missing image is an ImageNotFoundError', async () => {
    await assert.rejects(
      engine.createContainer({ image: 'rt-test/does-not-exist:never', purpose: 'test', network: 'none' }),
      ImageNotFoundError,
    );
  });
});
