// Kyma's Function resource as a value (src/platform/function-resource.ts): parsed from YAML with
// several documents, rendered back, and turned into the KymaFunction the buildless launch runs
// (OVR-INPUT, OVR-MANIFEST).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { type FunctionResource, functionNameFrom, kymaFunctionOf, parseFunctionResources, renderFunctionResource } from '../../src/platform/function-resource.js';
import { functionManifest } from '../../src/rtbuild/function/kyma-function.js';

const FN: FunctionResource = {
  apiVersion: 'serverless.kyma-project.io/v1alpha2',
  kind: 'Function',
  metadata: { name: 'my-fn', namespace: 'team' },
  spec: {
    runtime: 'nodejs22',
    runtimeImageOverride: '127.0.0.1:5000/team/my-fn:1@sha256:' + 'a'.repeat(64),
    source: { inline: { source: "const x = require('x');\nmodule.exports = { main: () => `${x}` };\n" } },
    env: [{ name: 'FUNC_TIMEOUT', value: '30' }],
  },
};

describe('the Function resource', () => {
  test('renders as YAML (sources as a literal block) and parses back to the same value; other kinds and empty documents are skipped', () => {
    const text = renderFunctionResource(FN);
    assert.match(text, /^ {6}source: \|\n {8}const x = require\('x'\);$/m);
    const stream = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n${text}---\n`;
    assert.deepEqual(parseFunctionResources(stream, 'fn.yaml'), [FN]);
    assert.deepEqual(parseFunctionResources(`apiVersion: v1\nkind: List\nitems:\n${text.replace(/^/gm, '  ').replace(/^ {2}apiVersion/, '- apiVersion')}`, 'list.yaml'), [FN]);
  });

  test('a broken Function is refused naming the document and every field', () => {
    const bad = 'apiVersion: v1\nkind: Service\n---\napiVersion: serverless.kyma-project.io/v1alpha2\nkind: Function\nmetadata: {name: Bad_Name}\nspec: {runtime: nodejs22, source: {}, env: [{name: FUNC_PORT, value: "1"}]}\n';
    assert.throws(
      () => parseFunctionResources(bad, 'f.yaml'),
      (error: unknown) =>
        error instanceof InvalidInputError &&
        /f\.yaml \(document 2, metadata\.name\): is not a lower-case RFC 1123 name/.test(error.message) &&
        /f\.yaml \(document 2, spec\.source\): has both or neither of inline and gitRepository/.test(error.message) &&
        /f\.yaml \(document 2, spec\.env\): names a variable Kyma reserves/.test(error.message),
    );
    assert.throws(() => parseFunctionResources('a: [1\n', 'broken.yaml'), /broken\.yaml is not valid YAML/);
  });

  test('the KymaFunction Kyma’s launch runs: inline source, dependencies "" when none, the env; valueFrom needs a resolver', () => {
    assert.deepEqual(kymaFunctionOf(FN), {
      name: 'my-fn',
      namespace: 'team',
      runtimeId: 'nodejs22',
      source: { kind: 'inline', source: FN.spec.source.inline?.source, dependencies: '' },
      env: [['FUNC_TIMEOUT', '30']],
    });
    const fromSecret = { ...FN, spec: { ...FN.spec, env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } };
    assert.throws(() => kymaFunctionOf(fromSecret), /takes TOKEN from a ConfigMap or Secret/);
    assert.deepEqual(kymaFunctionOf(fromSecret, { resolve: () => 'resolved' }).env, [['TOKEN', 'resolved']]);
  });

  test('OVR-MANIFEST: the manifest of an override image keeps the input’s fields, pins the image, drops inline dependencies, and merges env', () => {
    const input: FunctionResource = { ...FN, spec: { ...FN.spec, source: { inline: { source: 'old', dependencies: '{"dependencies":{}}' } }, replicas: 2 } };
    const manifest = functionManifest({ name: 'my-fn', runtimeId: 'nodejs22', image: 'r/x:1@sha256:b', handler: 'new', env: { FUNC_TIMEOUT: '60', A: '1' }, resource: input });
    assert.deepEqual(manifest.spec.source, { inline: { source: 'new' } });
    assert.equal(manifest.spec.runtimeImageOverride, 'r/x:1@sha256:b');
    assert.equal((manifest.spec as { replicas?: number }).replicas, 2);
    assert.deepEqual(manifest.spec.env, [{ name: 'FUNC_TIMEOUT', value: '60' }, { name: 'A', value: '1' }]);
    assert.equal(manifest.metadata.namespace, 'team');
  });

  test('a folder name becomes a Function name', () => {
    assert.equal(functionNameFrom('My_Function.v2'), 'my-function-v2');
    assert.equal(functionNameFrom('---'), undefined);
  });
});
