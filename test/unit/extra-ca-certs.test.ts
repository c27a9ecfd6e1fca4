// NODE_EXTRA_CA_CERTS without its cost at start (issue 16, src/extra-ca-certs.ts): the launchers
// (bin/rtbuild, bin/rtcheck) start node without it and hand its path over; TLS connections the tools
// open still trust those certificates; child processes get the variable back. The TLS server is real,
// on 127.0.0.1, with a certificate signed by a CA made for the test (openssl).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { EngineHttp } from '../../src/engine/http.js';
import { HANDED_OVER, restoreExtraCaCertsForChildren } from '../../src/extra-ca-certs.js';
import { RegistryClient } from '../../src/registry/client.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'launcher');

/** A CA and a certificate for 127.0.0.1 signed by it, in dir. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.pem');
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', join(dir, 'ca.key'), '-out', ca, '-days', '2', '-subj', '/CN=rt-test-ca']);
  await run('openssl', ['req', ...ec, '-keyout', key, '-out', join(dir, 'server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', ca, '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', join(dir, 'san.ext')]);
  return { ca, cert, key };
}

describe('TLS with the certificates NODE_EXTRA_CA_CERTS names, handed over by the launcher', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let ca: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-extra-ca-'));
    const files = await makeCertificates(dir);
    ca = files.ca;
    server = createServer({ cert: await readFile(files.cert), key: await readFile(files.key) }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/_ping' ? 'OK' : '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    delete process.env[HANDED_OVER];
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  // In one test and in this order: a connection that succeeded stays open in Node's agent for the next.
  test('the registry client trusts them once they are handed over; not without; an unreadable file is reported and ignored', async () => {
    const client = new RegistryClient('registry.test', undefined);
    const url = `https://127.0.0.1:${port}/v2/`;
    const untrusted = (error: NodeJS.ErrnoException): boolean => /CERT|SIGNATURE|SELF_SIGNED/.test(error.code ?? '');
    delete process.env[HANDED_OVER];
    await assert.rejects(client.request('GET', 'team/fn', url), untrusted);
    // As Node does with NODE_EXTRA_CA_CERTS: a warning, then the default roots alone; nothing crashes.
    const missing = join(dir, 'missing.pem');
    process.env[HANDED_OVER] = missing;
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await assert.rejects(client.request('GET', 'team/fn', url), untrusted);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((w) => w.startsWith(`Ignoring extra certs from \`${missing}\`, load failed`)), warnings.join('\n'));
    process.env[HANDED_OVER] = ca;
    assert.equal((await client.request('GET', 'team/fn', url)).status, 200);
  });

  test('an engine over TLS without a CA of its own (DOCKER_CERT_PATH) trusts them too', async () => {
    process.env[HANDED_OVER] = ca;
    const engine = new EngineHttp({ protocol: 'https', host: '127.0.0.1', port }, `tcp://127.0.0.1:${port}`);
    const response = await engine.request('GET', '/_ping');
    response.resume();
    assert.equal(response.statusCode, 200);
  });
});

describe('the launchers (bin/rtbuild, bin/rtcheck)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-launcher-'));
    // A package as npm installs it: the launchers in bin/, the tools in dist/, linked from .bin/.
    await mkdir(join(dir, 'pkg', 'bin'), { recursive: true });
    await mkdir(join(dir, 'pkg', 'dist', 'src', 'cli'), { recursive: true });
    await mkdir(join(dir, '.bin'));
    for (const tool of ['rtbuild', 'rtcheck']) {
      await copyFile(join(root, 'bin', tool), join(dir, 'pkg', 'bin', tool));
      await copyFile(join(fixtures, 'cli.js'), join(dir, 'pkg', 'dist', 'src', 'cli', `${tool}.js`));
      // npm's links are relative; an absolute one must work too.
      await symlink(tool === 'rtbuild' ? join('..', 'pkg', 'bin', tool) : join(dir, 'pkg', 'bin', tool), join(dir, '.bin', tool));
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs a launcher through its .bin link, or (`sh`) as `sh rtbuild` in its own folder ($0 without a slash). */
  const launch = async (tool: string, env: Record<string, string>, how: 'link' | 'sh' = 'link'): Promise<{ start: Record<string, string | null>; argv: string[] }> => {
    const out = join(dir, `${tool}-env.json`);
    const base = { ...process.env };
    delete base.NODE_EXTRA_CA_CERTS;
    delete base[HANDED_OVER];
    const options = `--require ${join(fixtures, 'env-probe.cjs')} ${env.NODE_OPTIONS ?? ''}`;
    const runOptions = { env: { ...base, ...env, NODE_OPTIONS: options, RT_TEST_ENV_OUT: out } };
    if (how === 'sh') await run('sh', [tool, '--tag', 'a b'], { ...runOptions, cwd: join(dir, 'pkg', 'bin') });
    else await run(join(dir, '.bin', tool), ['--tag', 'a b'], runOptions);
    return JSON.parse(await readFile(out, 'utf8')) as { start: Record<string, string | null>; argv: string[] };
  };

  test('node starts without NODE_EXTRA_CA_CERTS; its path is handed over; arguments pass through a relative or absolute link', async () => {
    for (const tool of ['rtbuild', 'rtcheck']) {
      const seen = await launch(tool, { NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem' });
      assert.deepEqual(seen.start, { NODE_EXTRA_CA_CERTS: null, [HANDED_OVER]: '/etc/corp/ca.pem' }, tool);
      assert.deepEqual(seen.argv, ['--tag', 'a b'], tool);
    }
    const bare = await launch('rtbuild', { NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem' }, 'sh');
    assert.deepEqual(bare.start, { NODE_EXTRA_CA_CERTS: null, [HANDED_OVER]: '/etc/corp/ca.pem' });
  });

  test('with another CA store in NODE_OPTIONS (--use-openssl-ca) or no variable, nothing changes', async () => {
    const other = await launch('rtbuild', { NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem', NODE_OPTIONS: '--use-openssl-ca' });
    assert.deepEqual(other.start, { NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem', [HANDED_OVER]: null });
    const none = await launch('rtbuild', {});
    assert.deepEqual(none.start, { NODE_EXTRA_CA_CERTS: null, [HANDED_OVER]: null });
  });

  test('child processes of a tool get NODE_EXTRA_CA_CERTS back', () => {
    const env: NodeJS.ProcessEnv = { [HANDED_OVER]: '/etc/corp/ca.pem' };
    restoreExtraCaCertsForChildren(env);
    assert.equal(env.NODE_EXTRA_CA_CERTS, '/etc/corp/ca.pem');
    const own: NodeJS.ProcessEnv = { [HANDED_OVER]: '/etc/corp/ca.pem', NODE_EXTRA_CA_CERTS: '/mine.pem' };
    restoreExtraCaCertsForChildren(own);
    assert.equal(own.NODE_EXTRA_CA_CERTS, '/mine.pem');
  });
});
