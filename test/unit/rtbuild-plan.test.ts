// What rtbuild generates before any engine work: the Dockerfile, the build context, the checks on
// sources and base image, and the redaction of credentials.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BaseFacts, baseFactsFromImage } from '../../src/rtbuild/function/base.js';
import { buildFailureHint } from '../../src/rtbuild/function/builder.js';
import { packContext, planFunctionImage } from '../../src/rtbuild/function/plan.js';
import { depsLayout, generateDockerfile } from '../../src/rtbuild/function/dockerfile.js';
import type { FunctionInput } from '../../src/rtbuild/function/input.js';
import { installScript, rootScriptsOf } from '../../src/rtbuild/function/install-script.js';
import { requirementLines } from '../../src/rtbuild/function/source.js';
import { createRedactor, secretValues } from '../../src/rtbuild/function/secrets.js';
import { loadBuildConfig } from '../../src/config/rtbuild.js';
import type { ImageInfo } from '../../src/engine/index.js';
import { InvalidInputError, UnsafePathError } from '../../src/errors.js';
import { parseReference } from '../../src/image/reference.js';
import { FAMILIES, runtimeById } from '../../src/platform/runtimes.js';
import { readAll } from '../support/streams.js';

const nodeBase: BaseFacts = {
  reference: parseReference('rt/nodejs20:dev'),
  name: 'rt/nodejs20:dev',
  id: 'sha256:base',
  digest: 'sha256:base',
  runtime: runtimeById('nodejs20'),
  user: '1000',
  installDir: '/kubeless',
  moduleName: 'handler',
  pythonPath: undefined,
  layers: [],
  size: 0,
  onBuild: [],
};

/** A source folder as rtbuild's input. */
const folder = (root: string): FunctionInput => ({ name: 'fn', root, inline: undefined, resource: undefined });

/** The final stage of a generated Dockerfile. */
function finalStage(dockerfile: string): string {
  return dockerfile.slice(dockerfile.lastIndexOf('FROM '));
}

describe('the generated Dockerfile', () => {
  const layout = depsLayout('function', 'nodejs', '/kubeless');

  test('Node with credentials (BuildKit): the deps stage runs install.sh with the credential as a root-only secret mount; only node_modules is copied (FIN-SECRETS, FIN-LAYERS)', () => {
    const dockerfile = generateDockerfile({
      family: 'nodejs',
      target: 'function',
      installDir: '/kubeless',
      dependencies: { layout, credential: true, args: ['npm_config_registry'], credentialUid: '0' },
      secrets: 'mount',
      baseUser: '1000',
      pythonPath: undefined,
    });
    const lines = dockerfile.split('\n');
    const order = ['ARG base_image', 'FROM ${base_image} AS deps', 'USER 0', 'ARG npm_config_registry', 'WORKDIR /kubeless', 'COPY rtbuild/deps/ /kubeless/', 'COPY rtbuild/tools/ /rtbuild/tools/'];
    assert.deepEqual(lines.filter((line) => order.includes(line)), order);
    assert.match(dockerfile, /^RUN --mount=type=secret,id=rtbuild-credential,target=\/run\/rtbuild\/credential,mode=0400,uid=0 --mount=type=secret,id=rtbuild-scan,target=\/run\/rtbuild\/scan,mode=0400,uid=0 sh \/rtbuild\/tools\/install\.sh$/m);
    assert.doesNotMatch(dockerfile, /rtbuild\/secrets/, 'nothing secret in the context');
    assert.equal(
      finalStage(dockerfile),
      'FROM ${base_image}\nCOPY --from=deps --chown=0:0 /kubeless/node_modules /kubeless/node_modules\nCOPY --chown=0:0 function/ /\nUSER 1000\n',
    );
  });

  test('the classic builder has no mounts: the credential is copied into the deps stage only, and install.sh removes it', () => {
    const dockerfile = generateDockerfile({ family: 'nodejs', target: 'function', installDir: '/kubeless', dependencies: { layout, credential: true, args: [], credentialUid: '0' }, secrets: 'copy', baseUser: '1000', pythonPath: undefined });
    assert.match(dockerfile, /^COPY rtbuild\/secrets\/ \/run\/rtbuild\/\nRUN sh \/rtbuild\/tools\/install\.sh$/m);
    const script = installScript({ family: 'nodejs', layout, lockfile: undefined, credential: true, secrets: 'copy', user: { uid: '1000', gid: '1000' } });
    assert.match(script, /^chmod 0400 \/run\/rtbuild\/credential \/run\/rtbuild\/scan$/m);
    assert.match(script, /^rm -rf \/run\/rtbuild$/m);
  });

  test('install.sh: npm fetches with the credential and no scripts, scripts run as the base image user, then the scan (FIN-SECRETS)', () => {
    const script = installScript({ family: 'nodejs', layout, lockfile: 'package-lock.json', credential: true, secrets: 'mount', user: { uid: '1000', gid: '1000' } });
    const steps = script.split('\n').filter((line) => /^(npm|HOME|node)/.test(line));
    assert.deepEqual(steps, [
      'npm ci --omit=dev --ignore-scripts --install-links --no-audit --no-fund --no-update-notifier --userconfig /run/rtbuild/credential',
      'HOME=/tmp npm_config_cache=/tmp/rtbuild-npm-cache node /rtbuild/tools/drop.js 1000 1000 npm rebuild --foreground-scripts',
      'HOME=/tmp npm_config_cache=/tmp/rtbuild-npm-cache node /rtbuild/tools/drop.js 1000 1000 npm run --if-present --foreground-scripts prepare',
      "node /rtbuild/tools/scan.js '/kubeless/node_modules' /run/rtbuild/scan",
    ]);
    const python = installScript({ family: 'python', layout: depsLayout('function', 'python', '/fn'), lockfile: undefined, credential: true, secrets: 'mount', user: { uid: '1000', gid: '0' } });
    assert.match(python, /^PIP_CONFIG_FILE=\/run\/rtbuild\/credential HOME=\/tmp python3 \/rtbuild\/tools\/drop\.py 1000 0 python3 -m pip install .*--target '\/fn\/lib' -r requirements\.txt$/m);
  });

  test('install.sh runs npm rebuild only when the Function or an installed package has install scripts, and prepare only when there is one (issue 16)', () => {
    const plain = installScript({ family: 'nodejs', layout, lockfile: undefined, credential: false, secrets: 'mount', user: { uid: '1000', gid: '1000' }, rootScripts: rootScriptsOf({ scripts: { test: 'x' } }) });
    assert.match(plain, /^if ! command -v grep >\/dev\/null 2>&1 \|\| grep -qs '"hasInstallScript": true' node_modules\/\.package-lock\.json; then\n {2}echo .*\n {2}HOME=\/tmp .* npm rebuild --foreground-scripts\nfi$/m);
    assert.doesNotMatch(plain, /prepare/);
    const own = installScript({ family: 'nodejs', layout, lockfile: undefined, credential: false, secrets: 'mount', user: { uid: '1000', gid: '1000' }, rootScripts: rootScriptsOf({ scripts: { postinstall: 'x', prepare: 'y' } }) });
    assert.match(own, /^HOME=\/tmp .* npm rebuild --foreground-scripts$/m, 'its own install script: always');
    assert.doesNotMatch(own, /^if /m);
    assert.match(own, /^HOME=\/tmp .* npm run --if-present --foreground-scripts prepare$/m);
  });

  test('--for kyma: Node dependencies in /usr/src/app/node_modules, Python ones in /opt/function-deps on PYTHONPATH after the base image’s; no sources (OVR-BAKED)', () => {
    const node = generateDockerfile({ family: 'nodejs', target: 'kyma', installDir: '/kubeless', dependencies: { layout: depsLayout('kyma', 'nodejs', '/kubeless'), credential: false, args: [], credentialUid: '0' }, secrets: 'mount', baseUser: '1000', pythonPath: undefined });
    assert.equal(finalStage(node), 'FROM ${base_image}\nCOPY --from=deps --chown=0:0 /usr/src/app/node_modules /usr/src/app/node_modules\nUSER 1000\n');
    assert.match(node, /^WORKDIR \/usr\/src\/app$/m);
    const python = generateDockerfile({ family: 'python', target: 'kyma', installDir: '/kubeless', dependencies: { layout: depsLayout('kyma', 'python', '/kubeless'), credential: false, args: [], credentialUid: '1000' }, secrets: 'mount', baseUser: '1000', pythonPath: '/opt/runtime:/opt/function-deps' });
    assert.equal(finalStage(python), 'FROM ${base_image}\nCOPY --from=deps --chown=0:0 /opt/function-deps /opt/function-deps\nENV PYTHONPATH=/opt/runtime:/opt/function-deps\nUSER 1000\n');
  });

  test('no dependencies: one stage, sources only', () => {
    const dockerfile = generateDockerfile({ family: 'nodejs', target: 'function', installDir: '/kubeless', dependencies: undefined, secrets: 'mount', baseUser: undefined, pythonPath: undefined });
    assert.doesNotMatch(dockerfile, /AS deps|RUN|^USER/m);
  });
});

describe('the build context', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-rtbuild-plan-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function functionFolder(name: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  const config = (source: string, extra: Record<string, string> = {}) => loadBuildConfig({ source, baseImage: 'rt/nodejs20:dev', ...extra }, { SOURCE_DATE_EPOCH: '1700000000' }, dir);

  test('sources leave out credentials, .git, .env, local environments and build-only files; the npmrc goes only to the deps stage', async () => {
    const source = await functionFolder('full', {
      'handler.js': 'module.exports = { main: () => 1 };',
      'package.json': '{"dependencies": {"x": "1.0.0"}}',
      'package-lock.json': '{"lockfileVersion": 3}',
      'lib/util.js': '',
      '.git/HEAD': 'ref',
      '.env': 'A=1',
      '.env.local': 'A=1',
      '.npmrc': 'x',
      'sub/pip.conf': 'x',
      '.pypirc': 'x',
      'node_modules/x/index.js': '',
      'sub/node_modules/y/index.js': '',
      '.venv/bin/x': '',
      'venv/bin/x': '',
      '__pycache__/h.pyc': '',
      'rtbuild.json': '{"baseImage": "rt/nodejs20:dev"}',
      '.dockerignore': 'docs\n',
      'docs/a.md': '',
      'creds.npmrc': '//r.example/:_authToken=abcd1234secret\n',
    });
    const plan = await planFunctionImage(await config(source, { npmrc: join(source, 'creds.npmrc') }), nodeBase, folder(source));
    const paths = plan.context.map((entry) => entry.path).sort();
    assert.deepEqual(paths, [
      'Dockerfile',
      'function',
      'function/kubeless',
      'function/kubeless/creds.npmrc',
      'function/kubeless/handler.js',
      'function/kubeless/lib',
      'function/kubeless/lib/util.js',
      'function/kubeless/package-lock.json',
      'function/kubeless/package.json',
      'function/kubeless/sub',
      'rtbuild',
      'rtbuild/deps',
      'rtbuild/deps/package-lock.json',
      'rtbuild/deps/package.json',
      'rtbuild/tools',
      'rtbuild/tools/drop.js',
      'rtbuild/tools/install.sh',
      'rtbuild/tools/scan.js',
    ]);
    assert.equal(plan.secrets?.get('rtbuild-credential')?.toString(), '//r.example/:_authToken=abcd1234secret\n', 'the credential is served by the session, not in the context');
    assert.equal(plan.redact('GET with abcd1234secret'), 'GET with ***');
    assert.deepEqual(Object.keys(plan.buildArgs), ['base_image', 'RTBUILD_CREDENTIAL_DIGEST'], 'a changed credential file installs again (BuildKit keeps secrets out of its cache key)');
    assert.match(plan.dockerfile, /^ARG RTBUILD_CREDENTIAL_DIGEST$/m);
    assert.equal(plan.labels['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
  });

  test('without --npmrc, the .npmrc of the source folder serves the install step, and only it', async () => {
    const source = await functionFolder('folder-npmrc', {
      'handler.js': '',
      'package.json': '{"dependencies": {"x": "1.0.0"}}',
      '.npmrc': '//r.example/:_authToken=folder-token-1\n',
    });
    const plan = await planFunctionImage(await config(source), nodeBase, folder(source));
    assert.equal(plan.credentialPath, join(source, '.npmrc'));
    assert.deepEqual(plan.context.filter((entry) => entry.content?.toString().includes('folder-token-1')), [], 'not in the context');
    assert.match(plan.secrets?.get('rtbuild-credential')?.toString() ?? '', /folder-token-1/);
    const classic = await planFunctionImage(await config(source, { builder: 'classic' }), nodeBase, folder(source));
    const secret = classic.context.filter((entry) => entry.content?.toString().includes('folder-token-1'));
    assert.deepEqual(secret.map((entry) => entry.path), ['rtbuild/secrets/credential'], 'the classic builder: in the context, for the deps stage only');
  });

  test('the same sources give the same context bytes, whatever their mtimes and modes', async () => {
    const files = { 'handler.js': 'module.exports = { main: () => 1 };', 'b/c.txt': 'c', 'requirements.txt': '' };
    const first = await functionFolder('same-1', files);
    const second = await functionFolder('same-2', files);
    await writeFile(join(second, 'b', 'c.txt'), 'c', { mode: 0o600 });
    const hash = async (source: string): Promise<string> =>
      createHash('sha256').update(await readAll(packContext(await planFunctionImage(await config(source), nodeBase, folder(source))))).digest('hex');
    assert.equal(await hash(first), await hash(second));
    await writeFile(join(second, 'b', 'c.txt'), 'changed');
    assert.notEqual(await hash(first), await hash(second));
  });

  test('refused before any engine work: no handler, broken manifests, symlinks out of the folder', async () => {
    const refuses = async (files: Record<string, string>, error: new (...args: never[]) => Error, message: RegExp): Promise<void> => {
      const source = await functionFolder(`bad-${Math.random().toString(36).slice(2)}`, files);
      await assert.rejects(planFunctionImage(await config(source), nodeBase, folder(source)), (e: unknown) => e instanceof error && message.test(e.message));
    };
    await refuses({ 'index.js': '' }, InvalidInputError, /no handler in .*expected one of handler\.js, handler\.mjs, handler\.cjs/);
    await refuses({ '.dockerignore': 'handler.js', 'handler.js': '' }, InvalidInputError, /no handler/);
    await refuses({ 'handler.js': '', 'package.json': '[1' }, InvalidInputError, /package\.json is not valid JSON/);
    await refuses({ 'handler.js': '', 'package.json': '{"dependencies": ["x"]}' }, InvalidInputError, /"dependencies" is not an object/);
    await refuses({ 'handler.js': '', 'package.json': '{"dependencies": {"x": "1"}}', 'package-lock.json': '{}' }, InvalidInputError, /no lockfileVersion/);
    const linked = await functionFolder('linked', { 'handler.js': '' });
    await symlink('/etc/passwd', join(linked, 'passwd'));
    await assert.rejects(planFunctionImage(await config(linked), nodeBase, folder(linked)), UnsafePathError);
    await refuses({ 'handler.js': '', 'package.json': '{"dependencies": {"x": "file:../x"}}' }, UnsafePathError, /package\.json dependencies\.x points at "\.\.\/x", outside the source folder/);
    await refuses({ 'handler.js': '', 'package.json': '{"dependencies": {"x": "file:/etc"}}' }, UnsafePathError, /points at "\/etc", outside/);
    await refuses({ 'handler.js': '', 'package.json': '{"dependencies": {"x": "file:vendor/x.tgz"}}' }, InvalidInputError, /points at "vendor\/x\.tgz", which does not exist/);
    await refuses(
      { 'handler.js': '', 'package.json': '{"dependencies": {"x": "1"}}', 'package-lock.json': '{"lockfileVersion": 3, "packages": {"../shared": {}}}' },
      UnsafePathError,
      /package-lock\.json packages\["\.\.\/shared"\] points at "\.\.\/shared", outside/,
    );
    const python = await functionFolder('python-outside', { 'handler.py': '', 'requirements.txt': '../wheels/x-1.0-py3-none-any.whl\n' });
    await assert.rejects(
      planFunctionImage(await config(python), { ...nodeBase, runtime: runtimeById('python312') }, folder(python)),
      (e: unknown) => e instanceof UnsafePathError && /requirements\.txt requirement 1 .* outside the source folder/.test(e.message),
    );
  });
});

describe('base image, requirements and secrets', () => {
  const image = (user: string, env: Record<string, string>): ImageInfo => ({
    id: 'sha256:id',
    repoTags: [],
    repoDigests: [`localhost/rt/nodejs20@sha256:${'b'.repeat(64)}`, `rt/nodejs20@sha256:${'a'.repeat(64)}`],
    user,
    env,
    exposedPorts: [],
    entrypoint: null,
    cmd: null,
    workingDir: '',
    labels: {},
    layers: ['sha256:l1'],
    size: 1,
    created: '',
    architecture: 'amd64',
    os: 'linux',
  });

  test('the base image must declare FUNC_RUNTIME and run as a numeric non-root user (FIN-BASE)', () => {
    const facts = baseFactsFromImage(parseReference('rt/nodejs20:dev'), image('1000', { FUNC_RUNTIME: 'nodejs20', KUBELESS_INSTALL_VOLUME: '/kubeless/' }), undefined);
    assert.equal(facts.digest, `sha256:${'a'.repeat(64)}`, 'the digest in the registry base.name names, not Podman\'s local one');
    assert.equal(facts.installDir, '/kubeless');
    const x = parseReference('x');
    assert.throws(() => baseFactsFromImage(x, image('1000', {}), undefined), /does not declare FUNC_RUNTIME/);
    assert.throws(() => baseFactsFromImage(x, image('1000', { FUNC_RUNTIME: 'nodejs20' }), runtimeById('python312')), /does not match the base image/);
    for (const user of ['', '0', 'node', '0:0']) {
      assert.throws(() => baseFactsFromImage(x, image(user, { FUNC_RUNTIME: 'nodejs20' }), undefined), /not as a numeric non-root user/, user);
    }
  });

  test('the runtime comes from the runtime table: any nodejs<major> / python3<minor> builds; another family is refused, listing what is supported', () => {
    const x = parseReference('x');
    const node24 = baseFactsFromImage(x, image('1000', { FUNC_RUNTIME: 'nodejs24' }), undefined);
    assert.equal(node24.runtime.id, 'nodejs24');
    assert.equal(node24.runtime.family.name, 'nodejs');
    assert.equal(baseFactsFromImage(x, image('1000', { FUNC_RUNTIME: 'nodejs26' }), undefined).runtime.family.name, 'nodejs');
    assert.equal(baseFactsFromImage(x, image('1000', { FUNC_RUNTIME: 'python313' }), undefined).runtime.family.manifest, 'requirements.txt');
    assert.throws(
      () => baseFactsFromImage(x, image('1000', { FUNC_RUNTIME: 'ruby33' }), undefined),
      (error: unknown) => error instanceof InvalidInputError && /unknown runtime "ruby33"/.test(error.message) && /nodejs20, nodejs22, nodejs24, python312/.test(error.hint ?? ''),
    );
  });

  test('local dependencies: file: tarballs, folders and what the lock file names reach the deps stage at the same paths (issue 14)', async () => {
    const source = await mkdtemp(join(tmpdir(), 'rt-rtbuild-local-'));
    try {
      await mkdir(join(source, 'vendor', 'dir-dep', 'node_modules', 'junk'), { recursive: true });
      await writeFile(join(source, 'handler.js'), '');
      await writeFile(join(source, 'vendor', 'dep-1.0.0.tgz'), 'tgz');
      await writeFile(join(source, 'vendor', 'dir-dep', 'package.json'), '{"name": "dir-dep", "dependencies": {"nested": "file:../nested.tgz"}}');
      await writeFile(join(source, 'vendor', 'dir-dep', '.npmrc'), 'never');
      await writeFile(join(source, 'vendor', 'dir-dep', 'node_modules', 'junk', 'x.js'), '');
      await writeFile(join(source, 'vendor', 'nested.tgz'), 'tgz');
      await writeFile(join(source, '.rtbuildignore'), 'vendor\n');
      await writeFile(join(source, 'package.json'), '{"dependencies": {"dep": "file:vendor/dep-1.0.0.tgz", "dir-dep": "./vendor/dir-dep"}}');
      const plan = await planFunctionImage(await loadBuildConfig({ source, baseImage: 'b' }, {}, source), nodeBase, folder(source));
      const deps = plan.context.filter((entry) => entry.path.startsWith('rtbuild/deps/')).map((entry) => entry.path).sort();
      assert.deepEqual(deps, [
        'rtbuild/deps/package.json',
        'rtbuild/deps/vendor',
        'rtbuild/deps/vendor/dep-1.0.0.tgz',
        'rtbuild/deps/vendor/dir-dep',
        'rtbuild/deps/vendor/dir-dep/package.json',
        'rtbuild/deps/vendor/nested.tgz',
      ]);
      assert.ok(!plan.context.some((entry) => entry.path.startsWith('function/kubeless/vendor')), 'the ignore file keeps them out of the source layer');
    } finally {
      await rm(source, { recursive: true, force: true });
    }
  });

  test('requirements.txt: requirements, local paths and index options pass; includes and junk are refused', () => {
    assert.deepEqual(requirementLines('r', './vendor/x-1.0-py3-none-any.whl\nvendor/pkg\n'), ['./vendor/x-1.0-py3-none-any.whl', 'vendor/pkg']);
    const text = '# deps\nrequests==2.31.0\nflask[async] >= 2, < 4 ; python_version >= "3.8"\n--extra-index-url https://x.example/simple\nattrs\\\n  ==23.1\npkg @ https://x.example/pkg.whl\n';
    assert.deepEqual(requirementLines('r', text), ['requests==2.31.0', 'flask[async] >= 2, < 4 ; python_version >= "3.8"', 'attrs   ==23.1', 'pkg @ https://x.example/pkg.whl']);
    assert.throws(() => requirementLines('r', '-r other.txt\n'), /r:1: "-r other\.txt" is not a requirement/);
    assert.throws(() => requirementLines('r', 'ok\n-e .\n'), /r:2:/);
    assert.throws(() => requirementLines('r', '--index-url https://u:secret@pypi.example/simple\n'), /r:1 has a password in a URL/);
  });

  test('secret values of credential files are found and redacted, also passwords inside URLs', () => {
    const npmrc = '; comment _authToken=no\n//r.example/:_authToken=tok-123456\n//r.example/:_auth=' + Buffer.from('user:pass-7890').toString('base64') + '\nregistry=https://r.example/\n';
    const secrets = secretValues(npmrc);
    assert.ok(secrets.includes('tok-123456') && secrets.includes('pass-7890'), secrets.join(','));
    const redact = createRedactor(secrets);
    assert.equal(redact('auth tok-123456 and pass-7890'), 'auth *** and ***');
    assert.equal(redact('GET http://me:hunter22@127.0.0.1:9/simple/'), 'GET http://me:***@127.0.0.1:9/simple/');
    assert.deepEqual(secretValues('[global]\nindex-url = https://u:pw-secret@pypi.example/simple\n'), ['pw-secret']);
  });

  test('the hint for a failed build comes from the stage that failed, never from the text (the deps stage installs the dependencies)', () => {
    assert.match(buildFailureHint({ stage: 'deps' }, FAMILIES.nodejs, 'default'), /^the dependency install \(npm\) failed: check package\.json, .*needs --network host$/);
    assert.match(buildFailureHint({ stage: 'deps' }, FAMILIES.python, 'host'), /^the dependency install \(pip\) failed: check requirements\.txt, the registry URL and credentials$/);
    assert.equal(buildFailureHint({ stage: undefined }, FAMILIES.nodejs, 'default'), 'the output of the failed step is shown above');
    assert.equal(buildFailureHint({ stage: 'stage-1' }, FAMILIES.nodejs, 'default'), 'the output of the failed step is shown above');
  });
});
