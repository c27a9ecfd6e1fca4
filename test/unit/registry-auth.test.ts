import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryAuthError } from '../../src/errors.js';
import { authFromConfig, type CredentialHelperRunner } from '../../src/registry/auth.js';

const basic = (user: string, pass: string): string => Buffer.from(`${user}:${pass}`).toString('base64');

function helper(answers: Record<string, string>): CredentialHelperRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (name: string, url: string): Promise<string> => {
    calls.push(`${name} ${url}`);
    return Promise.resolve(answers[name] ?? '');
  };
  return Object.assign(run, { calls });
}

test('auths: the base64 user:password of the registry', async () => {
  const run = helper({});
  const auth = await authFromConfig({ auths: { 'reg.example:5000': { auth: basic('ann', 'p:w') } } }, 'reg.example:5000', run);
  assert.deepEqual(auth, { serveraddress: 'reg.example:5000', username: 'ann', password: 'p:w' });
  assert.deepEqual(run.calls, []);
});

test('auths: Docker Hub credentials are found under the legacy index URL', async () => {
  const auth = await authFromConfig({ auths: { 'https://index.docker.io/v1/': { auth: basic('hub', 'x') } } }, 'docker.io', helper({}));
  assert.deepEqual(auth, { serveraddress: 'https://index.docker.io/v1/', username: 'hub', password: 'x' });
});

test('credHelpers win over credsStore and auths, and identity tokens are passed as such', async () => {
  const run = helper({ ecr: JSON.stringify({ ServerURL: 'r', Username: '<token>', Secret: 'tok' }), desktop: '{}' });
  const config = { credHelpers: { 'r.io': 'ecr' }, credsStore: 'desktop', auths: { 'r.io': { auth: basic('a', 'b') } } };
  assert.deepEqual(await authFromConfig(config, 'r.io', run), { serveraddress: 'r.io', identitytoken: 'tok' });
  assert.deepEqual(run.calls, ['ecr r.io']);
});

test('credsStore is asked for registries without a helper of their own', async () => {
  const run = helper({ pass: JSON.stringify({ Username: 'u', Secret: 's' }) });
  assert.deepEqual(await authFromConfig({ credsStore: 'pass' }, 'other.io', run), { serveraddress: 'other.io', username: 'u', password: 's' });
});

test('no entry means anonymous access', async () => {
  assert.equal(await authFromConfig({ auths: { 'a.io': { auth: basic('a', 'b') } } }, 'b.io', helper({})), undefined);
});

test('an auth value that is not user:password is a clear error', async () => {
  await assert.rejects(
    authFromConfig({ auths: { 'a.io': { auth: Buffer.from('nocolon').toString('base64') } } }, 'a.io', helper({})),
    (error: unknown) => error instanceof RegistryAuthError && /docker login a\.io/.test(error.hint ?? ''),
  );
});

// The registry client (fast-path pushes) answers the registry's challenge once: a token from the realm a
// Bearer challenge names, fetched with the Docker config's credentials for the repository's scope.
test('a Bearer challenge: a token from its realm for the repository, then the request again with it', async () => {
  const { createServer } = await import('node:http');
  const { RegistryClient, parseChallenge, isLoopbackRegistry } = await import('../../src/registry/client.js');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    const address = server.address() as { port: number };
    if (req.url?.startsWith('/token')) {
      res.writeHead(req.headers.authorization === `Basic ${basic('ann', 'pw')}` ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'tok' }));
    } else if (req.headers.authorization !== 'Bearer tok') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${address.port}/token",service="reg"` });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
      res.end('{"schemaVersion":2}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const { port } = server.address() as { port: number };
    const client = new RegistryClient(`127.0.0.1:${port}`, { serveraddress: `127.0.0.1:${port}`, username: 'ann', password: 'pw' });
    const manifest = await client.manifest('team/fn', '1');
    assert.equal(manifest?.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.deepEqual(seen, [
      'GET /v2/team/fn/manifests/1 -',
      `GET /token?service=reg&scope=repository%3Ateam%2Ffn%3Apull%2Cpush Basic ${basic('ann', 'pw')}`,
      'GET /v2/team/fn/manifests/1 Bearer tok',
    ]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.deepEqual(parseChallenge('Basic realm="rt-test"'), { scheme: 'basic', params: { realm: 'rt-test' } });
  assert.equal(isLoopbackRegistry('127.0.0.1:5000'), true);
  assert.equal(isLoopbackRegistry('localhost'), true);
  assert.equal(isLoopbackRegistry('registry.example:5000'), false);
});
