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
