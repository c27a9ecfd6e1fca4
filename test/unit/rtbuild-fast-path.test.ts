// The fast path's parts without an engine (issue 16): the source layer in Go's tar format, the config
// BuildKit writes, the docker load archive, when the fast path must not apply, and the key of a
// dependency layer. The integration test (rtbuild-fast-path) compares whole images with BuildKit's.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { loadBuildConfig } from '../../src/config/rtbuild.js';
import { deriveImageConfig, finalStageSteps, goTime } from '../../src/image/config.js';
import { dockerArchive, imageIdOf } from '../../src/image/docker-archive.js';
import { layerProblem, makeLayer, splitUstarName, ustarHeader, walkOrder } from '../../src/image/layer.js';
import { parseReference } from '../../src/image/reference.js';
import { runtimeById } from '../../src/platform/runtimes.js';
import type { BaseFacts } from '../../src/rtbuild/function/base.js';
import { generateDockerfile } from '../../src/rtbuild/function/dockerfile.js';
import { depsKey, fastPathRefusal, rememberDepsLayer, sourceLayerEntries } from '../../src/rtbuild/function/fast-path.js';
import { planFunctionImage } from '../../src/rtbuild/function/plan.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'rtbuild');

describe('the source layer, as dockerd writes it', () => {
  test('a folder header is Go archive/tar USTAR, field by field as read from a real layer', () => {
    const header = ustarHeader({ name: 'kubeless/', type: 'directory', mode: 0o755, size: 0, mtime: 0 });
    const field = (from: number, to: number): string => header.subarray(from, to).toString('latin1');
    assert.equal(header.length, 512);
    assert.equal(field(0, 10), 'kubeless/\0');
    assert.equal(field(100, 108), '0040755\0', 'mode with the type bits, 7 digits and NUL');
    assert.equal(field(108, 124), '0000000\x000000000\0');
    assert.equal(field(124, 136), '00000000000\0');
    assert.equal(field(136, 148), '00000000000\0');
    assert.equal(field(148, 156), '012636\0 ', 'checksum: six digits, NUL, space');
    assert.equal(field(156, 157), '5');
    assert.equal(field(257, 265), 'ustar\x0000');
    assert.equal(field(265, 270), 'root\0');
    assert.equal(field(297, 302), 'root\0');
    assert.equal(field(329, 345), '0000000\x000000000\0');
  });

  test("the layer of a COPY of these files has the diff id dockerd 20.10's BuildKit gave it", async () => {
    // Measured: `COPY --chown=0:0 function/ /` of node-deps with four lines appended to the handler.
    const handler = Buffer.concat([await readFile(join(FIXTURES, 'node-deps', 'handler.js')), Buffer.from('// e1\n// e2\n// e3\n// e4\n')]);
    const layer = await makeLayer(
      [
        { path: 'kubeless/package.json', type: 'file', content: await readFile(join(FIXTURES, 'node-deps', 'package.json')) },
        { path: 'kubeless', type: 'directory' },
        { path: 'kubeless/handler.js', type: 'file', content: handler },
      ],
      0,
    );
    assert.equal(layer.diffId, 'sha256:439131eb05d5a86a42c014ebaa5eafd065ec33002c8f395036f0a6334aa71a25');
    assert.equal(layer.size, 246, "the engine's size: the files' bytes");
    assert.equal(layer.tar.length, 7 * 512, 'three headers, two data blocks, two zero blocks, no padding to a record');
  });

  test('entries in filepath.Walk order; long names split into prefix and name; what needs PAX is refused', async () => {
    assert.deepEqual(['a.js', 'a/x', 'a', 'b'].sort(walkOrder), ['a', 'a/x', 'a.js', 'b'], 'a folder and what is in it before a.js');
    assert.deepEqual(splitUstarName(`${'d'.repeat(120)}/file.js`), { prefix: 'd'.repeat(120), name: 'file.js' });
    assert.equal(splitUstarName(`${'d'.repeat(10)}/${'f'.repeat(101)}`), undefined);
    const link = await makeLayer([{ path: 'k', type: 'directory' }, { path: 'k/l', type: 'symlink', linkTarget: 'target.js' }], 5);
    assert.equal(link.size, 'target.js'.length, 'a link counts its target, as the engine counts it');
    assert.match(layerProblem([{ path: 'k/é.js', type: 'file', content: Buffer.from('') }], 0) ?? '', /PAX/);
    assert.match(layerProblem([{ path: 'k/l', type: 'symlink', linkTarget: 'x'.repeat(101) }], 0) ?? '', /PAX/);
    assert.equal(layerProblem([{ path: `k/${'n'.repeat(100)}`, type: 'file', content: Buffer.from('') }], 0), undefined);
  });

  test('the load archive has the new layer files only, the config, and a manifest of every layer', async () => {
    const config = Buffer.from('{"a":1}');
    const archive = dockerArchive({ config, diffIds: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`], newLayers: new Map([[`sha256:${'2'.repeat(64)}`, Buffer.from('layer')]]) });
    const files = new Map<string, Buffer>();
    const reader = extract();
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => (files.set(header.name, Buffer.concat(chunks)), next()));
    });
    const done = new Promise<void>((resolve) => reader.on('finish', () => resolve()));
    reader.end(archive);
    await done;
    assert.deepEqual([...files.keys()], [`${'2'.repeat(64)}/layer.tar`, 'config.json', 'manifest.json']);
    assert.deepEqual(JSON.parse((files.get('manifest.json') as Buffer).toString()), [{ Config: 'config.json', RepoTags: [], Layers: [`${'1'.repeat(64)}/layer.tar`, `${'2'.repeat(64)}/layer.tar`] }]);
    assert.equal(imageIdOf(config), 'sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
  });
});

describe('the config BuildKit writes', () => {
  const base = {
    architecture: 'amd64',
    os: 'linux',
    container: 'abc',
    container_config: { Hostname: 'abc' },
    docker_version: '20.10.24',
    created: '2026-01-01T00:00:00.5Z',
    config: { Hostname: '', User: '1000', AttachStdin: false, Env: ['PATH=/bin', 'PYTHONPATH=/a'], Cmd: ['node', 'main.js'], Entrypoint: [], Volumes: null, WorkingDir: '/kubeless', OnBuild: null, Labels: { keep: 'me' }, ExposedPorts: {} },
    history: [
      { created: '2026-01-01T00:00:00.100000000Z', created_by: '/bin/sh -c #(nop) ADD file:x in /', empty_layer: false, comment: '' },
      { created: '2026-01-01T00:00:00.5+00:00', created_by: '/bin/sh -c #(nop)  CMD ["node"]', empty_layer: true },
    ],
    rootfs: { type: 'layers', diff_ids: ['sha256:base'] },
  };

  test('the final stage of each generated Dockerfile is read as its steps; anything else is not', () => {
    const dockerfile = generateDockerfile({
      family: 'python',
      target: 'kyma',
      installDir: '/kubeless',
      dependencies: { layout: { workDir: '/rtbuild/function', target: '/opt/function-deps' }, credential: false, args: [], credentialUid: '1000' },
      secrets: 'mount',
      baseUser: '1000',
      pythonPath: '/a:/opt/function-deps',
    });
    assert.deepEqual(finalStageSteps(dockerfile), [
      { kind: 'copy', createdBy: 'COPY /opt/function-deps /opt/function-deps # buildkit' },
      { kind: 'env', name: 'PYTHONPATH', value: '/a:/opt/function-deps', createdBy: 'ENV PYTHONPATH=/a:/opt/function-deps' },
      { kind: 'user', user: '1000', createdBy: 'USER 1000' },
    ]);
    assert.equal(finalStageSteps('FROM x\nRUN true\n'), undefined);
  });

  test("the base config as BuildKit's image type keeps it, the steps applied, the labels merged, created set", () => {
    const config = JSON.parse(
      deriveImageConfig({
        base,
        steps: finalStageSteps('FROM b\nCOPY --chown=0:0 function/ /\nENV PYTHONPATH=/b\nUSER 1000\n') ?? [],
        layers: ['sha256:new'],
        labels: { 'org.opencontainers.image.created': '2026-02-02T00:00:00Z' },
        created: '2026-02-02T00:00:00Z',
      }).toString(),
    ) as Record<string, unknown>;
    assert.deepEqual(config, {
      architecture: 'amd64',
      config: { User: '1000', Env: ['PATH=/bin', 'PYTHONPATH=/b'], Cmd: ['node', 'main.js'], WorkingDir: '/kubeless', Labels: { keep: 'me', 'org.opencontainers.image.created': '2026-02-02T00:00:00Z' }, OnBuild: null },
      created: '2026-02-02T00:00:00Z',
      history: [
        { created: '2026-01-01T00:00:00.1Z', created_by: '/bin/sh -c #(nop) ADD file:x in /' },
        { created: '2026-01-01T00:00:00.5Z', created_by: '/bin/sh -c #(nop)  CMD ["node"]', empty_layer: true },
        { created: '2026-02-02T00:00:00Z', created_by: 'COPY function/ / # buildkit', comment: 'buildkit.dockerfile.v0' },
        { created: '2026-02-02T00:00:00Z', created_by: 'ENV PYTHONPATH=/b', comment: 'buildkit.dockerfile.v0', empty_layer: true },
        { created: '2026-02-02T00:00:00Z', created_by: 'USER 1000', comment: 'buildkit.dockerfile.v0', empty_layer: true },
      ],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: ['sha256:base', 'sha256:new'] },
    });
    assert.throws(() => deriveImageConfig({ base, steps: finalStageSteps('FROM b\nUSER 1\n') ?? [], layers: ['sha256:x'], labels: {}, created: '' }), /0 COPY steps but 1 layers/);
  });

  test("times as Go's encoding/json writes them", () => {
    assert.equal(goTime('2026-12-01T16:15:01.285167500Z'), '2026-12-01T16:15:01.2851675Z');
    assert.equal(goTime('2026-12-01T16:15:01.000Z'), '2026-12-01T16:15:01Z');
    assert.equal(goTime('2026-12-01T16:15:01+00:00'), '2026-12-01T16:15:01Z');
    assert.equal(goTime('2026-12-01T16:15:01.5+02:00'), '2026-12-01T16:15:01.5+02:00');
  });
});

describe('when the fast path applies', () => {
  let dir: string;
  const nodeBase: BaseFacts = {
    reference: parseReference('rt/nodejs20:dev'),
    name: 'rt/nodejs20:dev',
    id: `sha256:${'b'.repeat(64)}`,
    digest: undefined,
    runtime: runtimeById('nodejs20'),
    user: '1000',
    installDir: '/kubeless',
    moduleName: 'handler',
    pythonPath: undefined,
    layers: ['sha256:l1'],
    size: 10,
    onBuild: [],
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-fast-'));
    await writeFile(join(dir, 'handler.js'), 'module.exports = { main: () => 1 };\n');
    await writeFile(join(dir, 'package.json'), '{ "name": "fn", "version": "1.0.0", "dependencies": { "x": "1.0.0" } }\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const plan = async (flags: Record<string, string | boolean> = {}, base: BaseFacts = nodeBase) => {
    const config = await loadBuildConfig({ baseImage: 'rt/nodejs20:dev', source: dir, ...flags }, {}, dir);
    return { config, plan: await planFunctionImage(config, base, { name: 'fn', root: dir, inline: undefined, resource: undefined }) };
  };

  test('it applies to a plain plan; --no-fast-path, --no-cache, --builder classic and ONBUILD triggers build', async () => {
    const { config, plan: p } = await plan();
    assert.equal(fastPathRefusal(p, config), undefined);
    assert.deepEqual(sourceLayerEntries(p).map((e) => e.path).sort(), ['kubeless', 'kubeless/handler.js', 'kubeless/package.json']);
    for (const [flags, reason] of [
      [{ fastPath: false }, /--no-fast-path/],
      [{ cache: false }, /--no-cache/],
      [{ builder: 'classic' }, /classic/],
    ] as const) {
      const refused = await plan(flags);
      assert.match(fastPathRefusal(refused.plan, refused.config) ?? '', reason);
    }
    const onBuild = await plan({}, { ...nodeBase, onBuild: ['RUN x'] });
    assert.match(fastPathRefusal(onBuild.plan, onBuild.config) ?? '', /ONBUILD/);
  });

  test('the dependency layer key follows the dependency inputs and the base image, not the sources', async () => {
    const first = await plan();
    const key = await depsKey(first.plan, first.config);
    await writeFile(join(dir, 'handler.js'), 'module.exports = { main: () => 2 };\n');
    assert.equal(await depsKey((await plan()).plan, first.config), key, 'a handler edit keeps it');
    assert.notEqual(await depsKey((await plan({}, { ...nodeBase, id: `sha256:${'c'.repeat(64)}` })).plan, first.config), key, 'another base image');
    assert.notEqual(await depsKey((await plan({ npmRegistry: 'http://127.0.0.1:1/' })).plan, first.config), key, 'another registry');
    await writeFile(join(dir, 'package.json'), '{ "name": "fn", "version": "1.0.0", "dependencies": { "x": "2.0.0" } }\n');
    assert.notEqual(await depsKey((await plan()).plan, first.config), key, 'another dependency');
  });

  test('a cache folder that cannot be written does not fail the build', async () => {
    const { config, plan: p } = await plan();
    await rememberDepsLayer({ config: { ...config, cacheDir: join(dir, 'handler.js', 'cache') }, plan: p }, { diffId: `sha256:${'d'.repeat(64)}`, size: 1 });
  });
});

test("a base image's config from its registry: the platform's manifest of a multi-platform image, checked against the image id", async () => {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const { baseImageConfig } = await import('../../src/rtbuild/function/base-config.js');
  const { BuildCache } = await import('../../src/rtbuild/function/cache.js');
  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha(config) }, layers: [] }));
  const other = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:nope' }, layers: [] }));
  const index = Buffer.from(JSON.stringify({ manifests: [{ digest: sha(other), platform: { os: 'linux', architecture: 'arm64' } }, { digest: sha(manifest), platform: { os: 'linux', architecture: 'amd64' } }] }));
  const blobs = new Map([[sha(index), index], [sha(manifest), manifest], [sha(other), other], [sha(config), config]]);
  const server = createServer((req, res) => {
    const body = blobs.get(req.url?.split('/').pop() ?? '');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const cacheDir = await mkdtemp(join(tmpdir(), 'rt-base-config-'));
  try {
    const registry = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const engine = { inspectImage: () => Promise.resolve({ os: 'linux', architecture: 'amd64' }), saveImage: () => assert.fail('no docker save') } as unknown as Parameters<typeof baseImageConfig>[0];
    const base = { reference: parseReference(`${registry}/team/base:1`), name: 'b', id: sha(config), digest: sha(index) } as BaseFacts;
    const lines: string[] = [];
    assert.deepEqual(await baseImageConfig(engine, base, new BuildCache(cacheDir), (line) => lines.push(line), {}), config);
    assert.deepEqual(await new BuildCache(cacheDir).imageConfig(sha(config)), config, 'cached by its id');
    assert.deepEqual(lines, []);
  } finally {
    server.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});
