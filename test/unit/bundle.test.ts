// The bundled tools (scripts/bundle.mjs, what `make build` and the package's bin run): how they start
// matters at every edit-rebuild (issue 16). No module of the bundle may import node:http as an ES module
// (Node 22+ then loads its undici at every start: 24.5 ms against 6.0 ms through require, measured with
// Node 22.23). zod comes as zod/mini with its English messages only: full zod's namespace object also
// brought all of its locales (366 KB of the 665 KB compiled at each start; rtbuild --help 161 → 134 ms
// with Node 20 here). The bundle is built into a folder of its own and run from there.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

describe('the bundled tools', () => {
  /** A package as npm installs it: the bundle in dist/, the launchers in bin/. */
  let pkg: string;
  let cli: string;
  before(async () => {
    pkg = await mkdtemp(join(tmpdir(), 'rt-bundle-'));
    await run(process.execPath, [join(root, 'scripts', 'bundle.mjs'), join(pkg, 'dist')], { cwd: root });
    await cp(join(root, 'bin'), join(pkg, 'bin'), { recursive: true });
    cli = join(pkg, 'dist', 'src', 'cli');
  });
  after(() => rm(pkg, { recursive: true, force: true }));

  const bundled = async (): Promise<string[]> => [
    ...(await readdir(cli)).filter((f) => f.endsWith('.js')).map((f) => join(cli, f)),
    ...(await readdir(join(cli, 'chunks'))).map((f) => join(cli, 'chunks', f)),
  ];

  test('no module of the bundle imports node:http as an ES module; the HTTP client still works', async () => {
    for (const file of await bundled()) {
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /from\s*["']node:http["']|import\(\s*["']node:http["']\s*\)/, file);
    }
    // The smoke tool's first request goes through the engine HTTP client: with no engine there, it
    // says so (exit 2), which it can only do with a working node:http.
    const result = await run(process.execPath, [join(cli, 'smoke.js')], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }).catch((error: { code: number; stderr: string }) => error);
    assert.equal((result as { code?: number }).code, 2);
    assert.match((result as { stderr: string }).stderr, /no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
  });

  test('zod is bundled without locales but the English one, and its messages are English', async () => {
    const modules = new Set<string>();
    for (const file of await bundled()) for (const m of (await readFile(file, 'utf8')).matchAll(/^\/\/ node_modules\/(zod\/\S+)$/gm)) modules.add(m[1] as string);
    assert.ok([...modules].some((m) => m.startsWith('zod/v4/mini/')), 'zod/mini is in the bundle');
    assert.deepEqual([...modules].filter((m) => m.startsWith('zod/v4/locales/')), ['zod/v4/locales/en.js']);
    assert.deepEqual([...modules].filter((m) => m.startsWith('zod/v4/classic/')), []);
    // A config file's schema error, as a user sees it: zod's English message.
    const config = join(root, 'test', 'fixtures', 'config', 'wrong-type', 'rtbuild.json');
    const result = await run(process.execPath, [join(cli, 'rtbuild.js'), '--config', config, '--dry-run']).catch((error: { code: number; stderr: string }) => error);
    assert.equal((result as { code?: number }).code, 2);
    assert.match((result as { stderr: string }).stderr, /"baseImage": Invalid input: expected string, received number/);
  });

  test('started by its launcher, a tool runs without NODE_EXTRA_CA_CERTS and gives it back to its child processes', async () => {
    // src/extra-ca-certs.ts: Node 20 would parse the file at start (60 ms here); the tool loads it when
    // it opens a TLS connection, and npm or a credential helper it runs gets the variable as set.
    const out = join(pkg, 'env.json');
    const probe = join(root, 'test', 'fixtures', 'launcher', 'env-probe.cjs');
    await run(join(pkg, 'bin', 'rtbuild'), ['--help'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem', NODE_OPTIONS: `--require ${probe}`, RT_TEST_ENV_OUT: out } });
    const seen = JSON.parse(await readFile(out, 'utf8')) as Record<'start' | 'exit', Record<string, string | null>>;
    assert.deepEqual(seen.start, { NODE_EXTRA_CA_CERTS: null, RT_EXTRA_CA_CERTS: '/etc/corp/ca.pem' });
    assert.equal(seen.exit.NODE_EXTRA_CA_CERTS, '/etc/corp/ca.pem');
  });
});
