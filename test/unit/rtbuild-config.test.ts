// rtbuild's configuration: one precedence rule (flag > env > rtbuild.json > default), one frozen object.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadBuildConfig } from '../../src/config/rtbuild.js';
import { InvalidInputError } from '../../src/errors.js';

describe('rtbuild configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-rtbuild-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeConfig = (json: unknown): Promise<void> => writeFile(join(dir, 'rtbuild.json'), JSON.stringify(json));

  test('defaults: source ".", no tags, no push, default network; the result is frozen', async () => {
    await rm(join(dir, 'rtbuild.json'), { force: true });
    const config = await loadBuildConfig({ baseImage: 'rt/nodejs20:dev' }, {}, dir);
    assert.equal(config.source, dir);
    assert.equal(config.configFile, undefined);
    assert.deepEqual(config.tags, []);
    assert.equal(config.push, false);
    assert.equal(config.network, 'default');
    assert.equal(config.builder, 'buildkit');
    assert.equal(config.sourceDateEpoch, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tags) && Object.isFrozen(config.buildArgs));
  });

  test('flags win over env, env over the file, the file over defaults', async () => {
    await writeConfig({ baseImage: 'file/base:1', tags: ['file/fn:1'], network: 'host', platform: 'linux/arm64', npmrc: 'creds/.npmrc', buildArgs: { A: 'file', B: 'file' } });
    const env = { RTBUILD_BASE_IMAGE: 'env/base:1', RTBUILD_TAGS: 'env/fn:1, env/fn:2', SOURCE_DATE_EPOCH: '1700000000' };
    const config = await loadBuildConfig({ source: dir, baseImage: 'flag/base:1', buildArg: ['B=flag'] }, env, '/elsewhere');
    assert.equal(config.baseImage, 'flag/base:1');
    assert.deepEqual(config.tags, ['env/fn:1', 'env/fn:2']);
    assert.equal(config.network, 'host');
    assert.equal(config.platform, 'linux/arm64');
    assert.deepEqual(config.buildArgs, { A: 'file', B: 'flag' });
    assert.equal(config.npmrc, join(dir, 'creds', '.npmrc'), 'paths in the file are relative to the file');
    assert.equal(config.sourceDateEpoch, 1700000000);
    assert.equal(config.configFile, join(dir, 'rtbuild.json'));
    const fromFile = await loadBuildConfig({ source: dir }, {}, '/');
    assert.equal(fromFile.baseImage, 'file/base:1');
    assert.deepEqual(fromFile.tags, ['file/fn:1']);
    await writeConfig({ baseImage: 'file/base:1', builder: 'classic' });
    assert.equal((await loadBuildConfig({ source: dir }, {}, '/')).builder, 'classic');
    assert.equal((await loadBuildConfig({ source: dir }, { RTBUILD_BUILDER: 'buildkit' }, '/')).builder, 'buildkit', 'env over the file');
  });

  test('bad input is an InvalidInputError that names the problem', async () => {
    const refuses = async (promise: Promise<unknown>, message: RegExp): Promise<void> => {
      await assert.rejects(promise, (error: unknown) => error instanceof InvalidInputError && message.test(error.message));
    };
    await writeConfig({ baseImage: 'b:1', tagz: ['typo'] });
    await refuses(loadBuildConfig({ source: dir }, {}, '/'), /rtbuild\.json is invalid: .*tagz/);
    await writeFile(join(dir, 'rtbuild.json'), '{ not json');
    await refuses(loadBuildConfig({ source: dir }, {}, '/'), /rtbuild\.json is not valid JSON/);
    await rm(join(dir, 'rtbuild.json'));
    await refuses(loadBuildConfig({ source: dir }, {}, '/'), /no base image given/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', push: true }, {}, '/'), /--push needs at least one --tag/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', network: 'bridge' }, {}, '/'), /--network "bridge"/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', builder: 'kaniko' }, {}, '/'), /--builder "kaniko" is not one of buildkit, classic/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', buildArg: ['NOEQUALS'] }, {}, '/'), /is not KEY=VALUE/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', npmRegistry: 'ftp://x' }, {}, '/'), /not an http\(s\) URL/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'Bad Image' }, {}, '/'), /not a valid image reference/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1' }, { RTBUILD_PUSH: 'maybe' }, '/'), /RTBUILD_PUSH="maybe" is not a boolean/);
    await refuses(loadBuildConfig({ source: dir, baseImage: 'b:1', config: join(dir, 'missing.json') }, {}, '/'), /cannot read the config file/);
  });
});
