import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReference, parseReference, repositoryName, withDigest, withTag } from '../../src/image/reference.js';
import { InvalidInputError } from '../../src/errors.js';

test('references name registry, path, tag and digest', () => {
  assert.deepEqual(parseReference('127.0.0.1:5000/team/fn:1.0'), { registry: '127.0.0.1:5000', path: 'team/fn', tag: '1.0', digest: undefined });
  assert.deepEqual(parseReference('node:20-bookworm-slim'), { registry: 'docker.io', path: 'library/node', tag: '20-bookworm-slim', digest: undefined });
  assert.deepEqual(parseReference('localhost/x'), { registry: 'localhost', path: 'x', tag: undefined, digest: undefined });
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseReference(`reg.io:443/a/b@${digest}`).digest, digest);
  assert.equal(parseReference('rt/nodejs20:dev').registry, 'docker.io', 'a first part without a dot or port is a Hub namespace');
});

test('repository names drop the implicit Docker Hub parts and round-trip', () => {
  assert.equal(repositoryName(parseReference('node:20')), 'node');
  assert.equal(repositoryName(parseReference('docker.io/library/node')), 'node');
  for (const text of ['127.0.0.1:5000/team/fn:1.0', 'rt/nodejs20:dev', `x@sha256:${'b'.repeat(64)}`]) {
    assert.equal(formatReference(parseReference(text)), text);
  }
});

test('malformed references are refused with the expected form', () => {
  for (const bad of ['', ' x', 'UPPER/case', 'a//b', 'x:bad tag', 'x@sha256:short']) {
    assert.throws(() => parseReference(bad), (error: unknown) => error instanceof InvalidInputError && /registry\/\]repository/.test(error.hint ?? ''), bad);
  }
});

test('references are frozen values; another tag or a digest makes a new one', () => {
  const version = parseReference('127.0.0.1:5000/rt/nodejs20:1.0.0');
  assert.ok(Object.isFrozen(version));
  const digest = `sha256:${'c'.repeat(64)}`;
  assert.equal(formatReference(withTag(withDigest(version, digest), '0123abcd')), '127.0.0.1:5000/rt/nodejs20:0123abcd', 'another tag drops the digest');
  assert.equal(formatReference(withDigest(version, digest)), `127.0.0.1:5000/rt/nodejs20:1.0.0@${digest}`);
  assert.equal(formatReference(version), '127.0.0.1:5000/rt/nodejs20:1.0.0', 'the original is unchanged');
});
