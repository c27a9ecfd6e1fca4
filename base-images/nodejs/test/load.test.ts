// Section 2: loading the function (LOAD-PATH, LOAD-DEPS, LOAD-FAIL, LOAD-READY).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LoadError, loadFunction } from '../src/load';
import { parseOptions } from '../src/options';
import { fixture, spawnMain, startFixture, type Child, type Started } from './helpers';

async function invokeText(name: string, env: Record<string, string> = {}): Promise<string> {
  const s = await startFixture(name, env);
  try {
    const res = await fetch(s.url + '/');
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await s.close();
  }
}

describe('LOAD-PATH', () => {
  test('LOAD-PATH: module.exports = { main: async arrow } is found (the style Kyma misses)', async () => {
    assert.equal(await invokeText('cjs-module-exports'), 'cjs-module-exports');
  });
  test('LOAD-PATH: exports.main works', async () => {
    assert.equal(await invokeText('cjs-exports-main'), 'cjs-exports-main');
  });
  test('LOAD-PATH: handler.cjs is found when there is no handler.js', async () => {
    assert.equal(await invokeText('cjs-ext'), 'cjs-ext');
  });
  test('LOAD-PATH: handler.mjs with export async function main', async () => {
    assert.equal(await invokeText('esm-mjs'), 'esm-mjs');
  });
  test('LOAD-PATH: handler.js with "type": "module" in the function package.json', async () => {
    assert.equal(await invokeText('esm-type-module'), 'esm-type-module function');
  });
  test('LOAD-PATH: export default { main }', async () => {
    assert.equal(await invokeText('export-default'), 'export-default');
  });
  test('LOAD-PATH: module.exports = function is taken as the handler', async () => {
    assert.equal(await invokeText('module-function'), 'module-function');
  });
  test('LOAD-PATH: ESM syntax in a .js without "type": "module" still loads', async () => {
    assert.equal(await invokeText('esm-syntax-no-type'), 'esm-syntax-no-type');
  });
  test('LOAD-PATH: ESM syntax in a .js under a package.json without "type" (Kyma\'s launch writes {}) loads', async () => {
    assert.equal(await invokeText('esm-syntax-typeless'), 'esm-syntax-typeless function');
  });
  test('LOAD-PATH: ESM syntax with a top-level await in a .js without "type" loads (require() refuses it on Node 20.19+, 22, 24)', async () => {
    assert.equal(await invokeText('esm-syntax-top-level-await'), 'esm-syntax-top-level-await');
  });
  test('LOAD-PATH: a CommonJS function can require() an ES module where Node supports it', { skip: !process.features.require_module && 'this Node has no require(esm)' }, async () => {
    assert.equal(await invokeText('require-esm'), 'require-esm');
  });
  test('LOAD-PATH: MOD_NAME and FUNC_HANDLER choose the file and the export', async () => {
    assert.equal(await invokeText('custom-names', { MOD_NAME: 'greeter', FUNC_HANDLER: 'hello' }), 'custom-names');
  });
  test('LOAD-PATH: HANDLER_PATH (relative to KUBELESS_INSTALL_VOLUME, extension optional) wins', async () => {
    assert.equal(await invokeText('handler-path', { HANDLER_PATH: 'src/fn' }), 'handler-path');
    assert.equal(await invokeText('cjs-exports-main', { HANDLER_PATH: fixture('handler-path') + '/src/fn.js' }), 'handler-path');
  });
});

describe('LOAD-DEPS', () => {
  test('LOAD-DEPS: a package in $KUBELESS_INSTALL_VOLUME/node_modules resolves for user code, and a user copy of a runtime library does not replace the runtime’s', async () => {
    const s = await startFixture('with-node-modules');
    try {
      const res = await fetch(s.url + '/');
      assert.equal(res.status, 200);
      const body = (await res.json()) as { greeting: string; userOtel: boolean; tracerWorks: boolean };
      assert.equal(body.greeting, 'hello kyma from tiny-greeter');
      assert.equal(body.userOtel, true, 'the function sees its own @opentelemetry/api');
      assert.equal(body.tracerWorks, true, 'the runtime still uses its own @opentelemetry/api');
    } finally {
      await s.close();
    }
  });
});

describe('LOAD-FAIL (typed errors)', () => {
  const cases: [string, string, RegExp][] = [
    ['missing-module', 'LOAD_NOT_FOUND', /module not found/],
    ['syntax-error', 'LOAD_IMPORT', /SyntaxError/],
    ['import-error', 'LOAD_IMPORT', /Cannot find module 'package-that-is-not-installed'/],
    ['missing-handler', 'LOAD_NO_HANDLER', /no handler 'main' is exported \(exports: notMain\)/],
    ['not-callable', 'LOAD_NOT_CALLABLE', /export 'main' is not a function \(it is string\)/],
  ];
  for (const [name, code, reason] of cases) {
    test(`LOAD-FAIL: ${name} rejects with ${code} naming the path and the reason on one line`, async () => {
      const options = parseOptions({ KUBELESS_INSTALL_VOLUME: fixture(name) });
      await assert.rejects(loadFunction(options), (err: unknown) => {
        assert.ok(err instanceof LoadError);
        assert.equal(err.code, code);
        assert.match(err.message, reason);
        assert.ok(err.message.includes(fixture(name)), err.message);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});

describe('LOAD-FAIL (process)', () => {
  const children: Child[] = [];
  after(() => children.forEach((c) => c.kill()));
  for (const name of ['missing-module', 'syntax-error', 'import-error', 'esm-syntax-error', 'missing-handler', 'not-callable']) {
    test(`LOAD-FAIL: ${name}: one stderr line with the path and reason, non-zero exit within 5 s, never a healthy /healthz`, async () => {
      const child = await spawnMain({ KUBELESS_INSTALL_VOLUME: fixture(name) });
      children.push(child);
      const { code, afterMs } = await child.exited;
      assert.notEqual(code, 0);
      assert.ok(afterMs < 5000, `exited after ${afterMs} ms`);
      const lines = child.stderr().trim().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${child.stderr()}`);
      assert.match(lines[0]!, /^cannot load function \/.+: .+/);
      assert.ok(lines[0]!.includes(fixture(name)), lines[0]);
      assert.doesNotMatch(child.stdout(), /listening/);
    });
  }
});

describe('LOAD-READY', () => {
  test('LOAD-READY: /healthz answers only once the function is loaded, and the first invocation after it succeeds', async () => {
    const child = await spawnMain({ KUBELESS_INSTALL_VOLUME: fixture('cjs-module-exports') });
    try {
      // Before the function is loaded the port is not open: every probe either fails to connect or is 200.
      await child.ready();
      const res = await fetch(child.url + '/');
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'cjs-module-exports');
    } finally {
      child.kill();
    }
  });
  test('LOAD-READY: a server is built only from a loaded function (loadFunction resolves before createRuntime can be called)', async () => {
    const s: Started = await startFixture('async-handler');
    try {
      const health = await fetch(s.url + '/healthz');
      assert.equal(health.status, 200);
      const res = await fetch(s.url + '/');
      assert.deepEqual(await res.json(), { async: true });
    } finally {
      await s.close();
    }
  });
});
