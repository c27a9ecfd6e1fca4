// OCI labels rtbuild writes (issue 12): base.digest means one thing on every engine, `rtbuild base`
// never passes on the upstream's identity labels, --base-image is refused for a Dockerfile that does not
// take it, and the git facts are read from the repository's files without a git process (issue 16).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gitFacts, originUrl, registryDigestOf } from '../../src/image/labels.js';
import { parseReference } from '../../src/image/reference.js';
import { dockerfileBase } from '../../src/rtbuild/base-image/dockerfile.js';
import { freshLabels, inheritedLabels } from '../../src/rtbuild/base-image/labels.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

test("base.digest: the manifest digest in the registry base.name names; not Podman's local one, not an image id", () => {
  const node = parseReference('node:20');
  assert.equal(registryDigestOf([`node@${D('a')}`], node), D('a'), "Docker's familiar name");
  assert.equal(registryDigestOf([`docker.io/library/node@${D('a')}`], node), D('a'), "Podman's full name");
  const local = parseReference('rt/nodejs20:dev');
  assert.equal(registryDigestOf([`localhost/rt/nodejs20@${D('b')}`], local), undefined, "Podman's digest of its local storage");
  const pushed = parseReference('127.0.0.1:5000/team/base:1');
  assert.equal(registryDigestOf([`127.0.0.1:5000/other@${D('c')}`, `127.0.0.1:5000/team/base@${D('d')}`], pushed), D('d'), 'the repository of base.name');
  assert.equal(registryDigestOf([], pushed), undefined);
});

describe('rtbuild base: what the Dockerfile is built FROM', () => {
  test('ARG BASE_IMAGE before the first FROM and used by it: --base-image applies', () => {
    const text = '# syntax\nARG BASE_IMAGE=rt/nodejs20:dev\nFROM ${BASE_IMAGE}\nUSER 0\n';
    assert.deepEqual(dockerfileBase(text, {}), { takesBaseImage: true, finalFrom: 'rt/nodejs20:dev' });
    assert.deepEqual(dockerfileBase(text, { BASE_IMAGE: 'x/y:1' }), { takesBaseImage: true, finalFrom: 'x/y:1' });
  });

  test('a FROM of its own, or an argument declared but not used: --base-image would change nothing', () => {
    assert.deepEqual(dockerfileBase('FROM rt/nodejs20:dev\nUSER 0\n', { BASE_IMAGE: 'x' }), { takesBaseImage: false, finalFrom: 'rt/nodejs20:dev' });
    assert.equal(dockerfileBase('ARG BASE_IMAGE=a\nFROM b\n', {}).takesBaseImage, false);
    assert.equal(dockerfileBase('FROM a\nARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n', {}).takesBaseImage, false, 'not a global argument');
  });

  test('stages: the final FROM of an earlier stage is that stage’s base; continuation lines and comments', () => {
    const text = 'ARG BASE_IMAGE=up:1 \\\n  OTHER=x\nFROM $BASE_IMAGE AS build\n# comment\nRUN make\nFROM build\nCOPY a b\n';
    assert.deepEqual(dockerfileBase(text, {}), { takesBaseImage: true, finalFrom: 'up:1' });
    assert.equal(dockerfileBase('FROM ${UNKNOWN}\n', {}).finalFrom, undefined);
  });
});

test('rtbuild base labels: unknown ones are not set, and labels passed on unchanged from the upstream are found', () => {
  const fresh = freshLabels({ version: '1.0.0', created: '2026-01-01T00:00:00Z', title: undefined, revision: undefined, source: undefined, baseName: 'rt/nodejs20:dev', baseDigest: undefined });
  assert.deepEqual(Object.keys(fresh).sort(), ['org.opencontainers.image.base.name', 'org.opencontainers.image.created', 'org.opencontainers.image.version']);
  const upstream = { 'org.opencontainers.image.revision': 'abc', 'org.opencontainers.image.description': 'stand-in', 'org.opencontainers.image.title': 'up', 'team.label': 'x' };
  const candidate = { ...upstream, 'org.opencontainers.image.title': 'mine', ...fresh };
  assert.deepEqual(inheritedLabels(candidate, upstream, fresh), ['org.opencontainers.image.description', 'org.opencontainers.image.revision'], 'a title the Dockerfile set stays; labels outside OCI stay');
});

describe('git facts from the repository files', () => {
  let dir: string;
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rt-git-'));
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'remote', 'add', 'origin', 'https://user:token@git.example/team/fn.git');
    await writeFile(join(dir, 'a'), 'a');
    git(dir, 'add', 'a');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'a');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a branch (loose, then packed), a detached HEAD and a worktree give what git gives', async () => {
    const head = git(dir, 'rev-parse', 'HEAD');
    assert.deepEqual(await gitFacts(dir), { revision: head, remote: 'https://git.example/team/fn.git' }, 'loose ref; the remote without credentials');
    git(dir, 'pack-refs', '--all');
    assert.equal((await gitFacts(dir)).revision, head, 'packed-refs');
    git(dir, 'checkout', '-q', '--detach');
    assert.equal((await gitFacts(dir)).revision, head, 'detached');
    const worktree = join(dir, 'wt');
    git(dir, 'worktree', 'add', '-q', worktree, 'HEAD');
    assert.deepEqual(await gitFacts(join(worktree)), { revision: head, remote: 'https://git.example/team/fn.git' }, 'a worktree: .git is a file, refs in the common folder');
    git(dir, 'worktree', 'remove', '--force', worktree);
    assert.deepEqual(await gitFacts(tmpdir()), { revision: undefined, remote: undefined }, 'not a checkout');
  });

  test('remote.origin.url of a config file', () => {
    assert.equal(originUrl('[core]\n\tbare = false\n[remote "upstream"]\n\turl = a\n[remote "origin"]\n\turl = https://x/y.git\n\tfetch = +refs/*\n'), 'https://x/y.git');
    assert.equal(originUrl('[remote "origin"]\n\tfetch = x\n'), undefined);
  });
});
