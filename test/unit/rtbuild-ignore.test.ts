// The .dockerignore matcher: the same answers the Docker engine gives for the same patterns.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createIgnoreMatcher } from '../../src/rtbuild/function/ignore.js';

function ignored(lines: string[], paths: string[]): string[] {
  const matcher = createIgnoreMatcher(lines);
  return paths.filter((path) => matcher.ignores(path));
}

describe('.dockerignore syntax', () => {
  test('comments and blank lines are skipped; leading "/" and "./" and trailing "/" do not matter', () => {
    assert.deepEqual(ignored(['# a comment', '', '  ', '/build/', './dist'], ['build', 'build/x.js', 'dist/y', '# a comment', 'src/build']), ['build', 'build/x.js', 'dist/y']);
  });

  test('"*" and "?" stay within one path segment', () => {
    assert.deepEqual(ignored(['*.log', 'tmp?'], ['a.log', 'dir/a.log', 'tmp1', 'tmp12', 'tmp']), ['a.log', 'tmp1']);
    assert.deepEqual(ignored(['*/*.log'], ['a.log', 'dir/a.log', 'dir/sub/a.log']), ['dir/a.log']);
  });

  test('"**" matches any number of folders, including none', () => {
    const paths = ['a.log', 'x/a.log', 'x/y/z/a.log', 'logs', 'logs/deep/file', 'src/logs/file'];
    assert.deepEqual(ignored(['**/*.log'], paths), ['a.log', 'x/a.log', 'x/y/z/a.log']);
    assert.deepEqual(ignored(['**/logs'], paths), ['logs', 'logs/deep/file', 'src/logs/file']);
    assert.deepEqual(ignored(['logs/**'], paths), ['logs/deep/file']);
    assert.deepEqual(ignored(['x/**/a.log'], paths), ['x/a.log', 'x/y/z/a.log']);
  });

  test('a pattern that names a folder covers everything inside it', () => {
    assert.deepEqual(ignored(['docs'], ['docs', 'docs/a.md', 'docs/x/y.md', 'docsy.md', 'src/docs']), ['docs', 'docs/a.md', 'docs/x/y.md']);
  });

  test('"!" re-includes, and the last matching line wins', () => {
    const paths = ['a.md', 'README.md', 'docs/keep.md', 'docs/drop.md'];
    assert.deepEqual(ignored(['*.md', '!README.md'], paths), ['a.md']);
    assert.deepEqual(ignored(['!README.md', '*.md'], paths), ['a.md', 'README.md']);
    assert.deepEqual(ignored(['docs', '!docs/keep.md'], paths), ['docs/drop.md']);
  });

  test('character classes and escapes', () => {
    assert.deepEqual(ignored(['file[0-9].txt', 'x[!a].js', 'lit\\*.txt'], ['file1.txt', 'filea.txt', 'xb.js', 'xa.js', 'lit*.txt', 'litx.txt']), [
      'file1.txt',
      'xb.js',
      'lit*.txt',
    ]);
  });

  test('mayReinclude tells which ignored folders must still be walked', () => {
    const matcher = createIgnoreMatcher(['tmp', 'cache', '!tmp/keep.log']);
    assert.equal(matcher.mayReinclude('tmp'), true);
    assert.equal(matcher.mayReinclude('cache'), false);
  });
});
