// rtbuild's configuration: one precedence rule (flag > env > rtbuild.json > default), one frozen object.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Option } from 'commander';
import { RTBUILD_SETTINGS, configFileSchema, loadBuildConfig } from '../../src/config/rtbuild.js';
import { InvalidInputError } from '../../src/errors.js';
import { formatReference } from '../../src/image/reference.js';

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
    assert.equal(formatReference(config.baseImage), 'flag/base:1');
    assert.deepEqual(config.tags.map(formatReference), ['env/fn:1', 'env/fn:2']);
    assert.equal(config.network, 'host');
    assert.equal(config.platform, 'linux/arm64');
    assert.deepEqual(config.buildArgs, { A: 'file', B: 'flag' });
    assert.equal(config.npmrc, join(dir, 'creds', '.npmrc'), 'paths in the file are relative to the file');
    assert.equal(config.sourceDateEpoch, 1700000000);
    assert.equal(config.configFile, join(dir, 'rtbuild.json'));
    const fromFile = await loadBuildConfig({ source: dir }, {}, '/');
    assert.equal(formatReference(fromFile.baseImage), 'file/base:1');
    assert.deepEqual(fromFile.tags.map(formatReference), ['file/fn:1']);
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

  test('one table: every flag, variable and file field of rtbuild comes from it, spelled as before', () => {
    const flags = Object.values(RTBUILD_SETTINGS).flatMap((row) => ('flag' in row && row.flag ? [row.flag.spelling] : []));
    assert.deepEqual(flags, [
      '-b, --base-image <ref>', '--for <target>', '-s, --source <dir>', '--manifest <file>', '--function <name>', '--function-name <name>', '--env <KEY=VALUE>',
      '-t, --tag <ref>', '-c, --config <file>', '--runtime <id>', '--build-arg <KEY=VALUE>',
      '--platform <os/arch>', '--push', '--network <mode>', '--builder <name>', '--npm-registry <url>', '--pip-index-url <url>',
      '--npmrc <file>', '--pip-conf <file>', '--source-url <url>', '--no-cache', '--no-fast-path', '--cache-dir <dir>',
    ]);
    const envNames = Object.values(RTBUILD_SETTINGS).flatMap((row) => ('env' in row && row.env ? [row.env] : []));
    assert.deepEqual(envNames.sort(), [
      'RTBUILD_BASE_IMAGE', 'RTBUILD_BUILDER', 'RTBUILD_CACHE_DIR', 'RTBUILD_FOR', 'RTBUILD_FUNCTION', 'RTBUILD_FUNCTION_NAME', 'RTBUILD_MANIFEST', 'RTBUILD_NETWORK', 'RTBUILD_NO_FAST_PATH', 'RTBUILD_NPMRC', 'RTBUILD_NPM_REGISTRY', 'RTBUILD_PIP_CONF', 'RTBUILD_PIP_INDEX_URL',
      'RTBUILD_PLATFORM', 'RTBUILD_PUSH', 'RTBUILD_RUNTIME', 'RTBUILD_SOURCE', 'RTBUILD_SOURCE_URL', 'RTBUILD_TAGS', 'SOURCE_DATE_EPOCH',
    ]);
    assert.deepEqual(Object.keys(configFileSchema.shape).sort(), [
      'baseImage', 'buildArgs', 'builder', 'env', 'functionName', 'manifest', 'network', 'noFastPath', 'npmRegistry', 'npmrc', 'pipConf', 'pipIndexUrl', 'platform', 'push', 'runtime', 'sourceUrl', 'tags', 'target',
    ]);
    for (const row of Object.values(RTBUILD_SETTINGS)) {
      if ('flag' in row && row.flag) assert.equal(new Option(row.flag.spelling).attributeName(), row.flag.name, `commander names ${row.flag.spelling} ${row.flag.name}`);
    }
  });

  test('--no-cache, variables that name their source, an unknown --runtime, and a digest in a tag', async () => {
    await rm(join(dir, 'rtbuild.json'), { force: true });
    assert.equal((await loadBuildConfig({ baseImage: 'b:1', cache: false }, {}, dir)).noCache, true);
    assert.equal((await loadBuildConfig({ baseImage: 'b:1', cache: true }, {}, dir)).noCache, false);
    // commander gives --no-fast-path as fastPath: false, and fastPath: true when it is not given.
    assert.equal((await loadBuildConfig({ baseImage: 'b:1', fastPath: false }, {}, dir)).noFastPath, true);
    assert.equal((await loadBuildConfig({ baseImage: 'b:1', fastPath: true }, {}, dir)).noFastPath, false);
    assert.equal((await loadBuildConfig({ baseImage: 'b:1' }, { RTBUILD_NO_FAST_PATH: 'true' }, dir)).noFastPath, true);
    const cache = await loadBuildConfig({ baseImage: 'b:1' }, { HOME: '/home/u' }, dir);
    assert.equal(cache.cacheDir, '/home/u/.cache/rtbuild');
    assert.equal((await loadBuildConfig({ baseImage: 'b:1' }, { XDG_CACHE_HOME: '/xdg', RTBUILD_CACHE_DIR: 'rel' }, dir)).cacheDir, join(dir, 'rel'));
    assert.equal((await loadBuildConfig({ baseImage: 'b:1' }, { XDG_CACHE_HOME: '/xdg' }, dir)).cacheDir, '/xdg/rtbuild');
    await assert.rejects(loadBuildConfig({ baseImage: 'b:1' }, { RTBUILD_NETWORK: 'bridge' }, dir), /^InvalidInputError: RTBUILD_NETWORK="bridge" is not one of default, host, none$/m);
    await assert.rejects(loadBuildConfig({ baseImage: 'b:1' }, { SOURCE_DATE_EPOCH: 'soon' }, dir), /SOURCE_DATE_EPOCH="soon" is not a whole number of seconds/);
    await assert.rejects(loadBuildConfig({ baseImage: 'b:1', runtime: 'cobol85' }, {}, dir), (error: unknown) => error instanceof InvalidInputError && /unknown runtime "cobol85"/.test(error.message) && /nodejs24/.test(error.hint ?? ''));
    assert.equal((await loadBuildConfig({ baseImage: 'b:1', runtime: 'nodejs26' }, {}, dir)).runtime?.family.name, 'nodejs', 'any nodejs<major>');
    await assert.rejects(loadBuildConfig({ baseImage: 'b:1', tag: [`x/y@sha256:${'a'.repeat(64)}`] }, {}, dir), /has a digest/);
  });

  // Issue 15 item 10: before, only the first wrong field was reported.
  test('an rtbuild.json with several wrong fields reports every one of them', async () => {
    await writeConfig({ baseImage: 7, network: 'bridge', tagz: ['typo'], env: { FUNC_PORT: '1' } });
    await assert.rejects(loadBuildConfig({ source: dir }, {}, '/'), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      for (const field of ['"baseImage"', '"network"', 'tagz', '"env.FUNC_PORT"']) assert.ok(error.message.includes(field), `${field} in: ${error.message}`);
      assert.equal(error.details?.split('\n').length, 4);
      return true;
    });
    await rm(join(dir, 'rtbuild.json'));
  });

  test('--for kyma, --env, --manifest: Kyma’s reserved variables and a manifest without a tag are refused (OVR-MANIFEST)', async () => {
    await writeConfig({ baseImage: 'b:1', target: 'kyma', env: { A: 'file', B: 'file' } });
    const config = await loadBuildConfig({ source: dir, env: ['B=flag'], manifest: '-', tag: ['r/{name}:1'] }, {}, '/');
    assert.equal(config.target, 'kyma');
    assert.deepEqual(config.env, { A: 'file', B: 'flag' });
    assert.equal(config.manifest, '-', '"-" is stdout, not a path');
    assert.deepEqual(config.tagTexts, ['r/{name}:1']);
    await assert.rejects(loadBuildConfig({ source: dir, env: ['PYTHONPATH=/x'] }, {}, '/'), /--env "PYTHONPATH=\/x" is not KEY=VALUE with a variable name a Function may set/);
    await assert.rejects(loadBuildConfig({ source: dir, manifest: 'fn.yaml' }, {}, '/'), /--manifest needs a --tag/);
    await writeConfig({ baseImage: 'b:1' });
    await assert.rejects(loadBuildConfig({ source: dir, manifest: 'fn.yaml', tag: ['r/f:1'] }, {}, '/'), /--manifest is for --for kyma/);
    await rm(join(dir, 'rtbuild.json'));
  });
});
