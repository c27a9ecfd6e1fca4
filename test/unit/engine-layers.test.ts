// Layer sizes from the engine: pairing the layers a build added with the history entries that made
// them, for both builders' ways of writing history (entries taken from images built here).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instructionOf, pairLayersWithHistory } from '../../src/engine/layers.js';

const entry = (createdBy: string, size: number) => ({ createdBy, size, comment: '' });

test('the instruction of a history entry, as either builder records it', () => {
  assert.equal(instructionOf('/bin/sh -c #(nop)  ENV A=1'), 'ENV');
  assert.equal(instructionOf('/bin/sh -c #(nop) COPY dir:e898f363 in /opt/runtime/ '), 'COPY');
  assert.equal(instructionOf('/bin/sh -c #(nop) WORKDIR /kubeless'), 'WORKDIR');
  assert.equal(instructionOf('/bin/sh -c npm ci --omit=dev'), 'RUN');
  assert.equal(instructionOf('|2 base_image=x npm_config_registry=y /bin/sh -c npm ci'), 'RUN', 'classic RUN with build arguments');
  assert.equal(instructionOf('RUN /bin/sh -c npm ci # buildkit'), 'RUN');
  assert.equal(instructionOf('COPY --chown=0:0 function/ / # buildkit'), 'COPY');
  assert.equal(instructionOf('USER 1000'), 'USER');
});

test('BuildKit function image: the dependency and source COPY steps are the two layers; LABEL and USER add none', () => {
  const added = [
    entry('COPY --from=deps --chown=0:0 /kubeless/node_modules /kubeless/node_modules # buildkit', 5120),
    entry('COPY --chown=0:0 function/ / # buildkit', 310),
    entry('USER 1000', 0),
  ];
  assert.deepEqual(pairLayersWithHistory(['sha256:a', 'sha256:b'], added), [
    { diffId: 'sha256:a', size: 5120, createdBy: added[0]!.createdBy },
    { diffId: 'sha256:b', size: 310, createdBy: added[1]!.createdBy },
  ]);
});

test('classic: a WORKDIR that made a layer of 0 bytes is paired by instruction', () => {
  const added = [
    entry('/bin/sh -c #(nop)  LABEL a=b', 0),
    entry('/bin/sh -c #(nop) COPY dir:e898f363 in /opt/runtime/ ', 4380032),
    entry('/bin/sh -c #(nop)  ENV KUBELESS_INSTALL_VOLUME=/kubeless', 0),
    entry('/bin/sh -c #(nop) WORKDIR /kubeless', 0),
    entry('/bin/sh -c #(nop)  USER 1000', 0),
  ];
  assert.deepEqual(pairLayersWithHistory(['sha256:a', 'sha256:b'], added).map((layer) => layer.size), [4380032, 0]);
});

test('classic: a WORKDIR that made no layer is left out by the bytes the others added', () => {
  const added = [
    entry('/bin/sh -c #(nop) COPY multi:c445 in /tmp/runtime-deps/ ', 10003498),
    entry('/bin/sh -c set -eu; pip install -r /tmp/runtime-deps/requirements.txt', 18926416),
    entry('/bin/sh -c #(nop) WORKDIR /kubeless', 0),
    entry('/bin/sh -c #(nop)  USER 1000', 0),
  ];
  assert.deepEqual(pairLayersWithHistory(['sha256:a', 'sha256:b'], added).map((layer) => layer.createdBy), [added[0]!.createdBy, added[1]!.createdBy]);
});

test('when no pairing fits, the sizes are unknown, not wrong', () => {
  const added = [entry('RUN /bin/sh -c true # buildkit', 0), entry('RUN /bin/sh -c true # buildkit', 0), entry('COPY a /a # buildkit', 0)];
  assert.deepEqual(pairLayersWithHistory(['sha256:a'], added), [{ diffId: 'sha256:a', size: undefined, createdBy: undefined }]);
});
