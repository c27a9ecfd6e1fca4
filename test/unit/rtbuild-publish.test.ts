// rtbuild as builders and publishers: a publisher names a built image at its destination and returns a
// digest reference; the contract gate wraps one, runs once per image and lets nothing through when it
// refuses. `rtbuild base` takes its runtimes from the runtime table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContractFailedError } from '../../src/errors.js';
import { type Reference, formatReference, parseReference, withDigest } from '../../src/image/reference.js';
import { parseBaseRequest } from '../../src/rtbuild/base-image/request.js';
import { gatedPublisher } from '../../src/rtbuild/publish/gated.js';
import { type Publisher, publishAll, publishedEntry } from '../../src/rtbuild/publish/publisher.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

/** A destination that remembers what it was asked to publish. */
function recordingPublisher(): Publisher & { published: string[] } {
  const published: string[] = [];
  return {
    published,
    publish(_image, reference: Reference) {
      published.push(formatReference(reference));
      return Promise.resolve(withDigest(reference, DIGEST));
    },
  };
}

const versionTags = ['127.0.0.1:5000/rt/nodejs22:1.0.0', '127.0.0.1:5000/rt/nodejs22:0123456789ab'].map(parseReference);

test('a publisher returns each reference pinned to a digest, in order; --json shows name and digest apart', async () => {
  const destination = recordingPublisher();
  const published = await publishAll(destination, { id: 'sha256:image' }, versionTags);
  assert.deepEqual(destination.published, versionTags.map(formatReference));
  assert.deepEqual(published.map(publishedEntry), versionTags.map((ref) => ({ reference: formatReference(ref), digest: DIGEST })));
});

test('the gate runs once per image, before the first reference is published', async () => {
  const destination = recordingPublisher();
  const gated: string[] = [];
  const publisher = gatedPublisher(destination, (image, reference) => {
    gated.push(`${image.id} ${formatReference(reference)}`);
    assert.deepEqual(destination.published, [], 'nothing is published before the gate passes');
    return Promise.resolve();
  });
  await publishAll(publisher, { id: 'sha256:image' }, versionTags);
  assert.deepEqual(gated, ['sha256:image 127.0.0.1:5000/rt/nodejs22:1.0.0']);
  assert.equal(destination.published.length, 2);
});

test('an image the gate refuses is published under no reference, and the refusal is the error', async () => {
  const destination = recordingPublisher();
  const publisher = gatedPublisher(destination, () => Promise.reject(new ContractFailedError('does not keep the runtime contract (failed: IMG-USER)')));
  await assert.rejects(publishAll(publisher, { id: 'sha256:image' }, versionTags), ContractFailedError);
  assert.deepEqual(destination.published, []);
});

test('rtbuild base takes any runtime of the table: folder, build arguments and upstream variable come from its row', () => {
  const options = { tag: '127.0.0.1:5000/rt/nodejs22:1.0.0', context: undefined, upstream: undefined, push: false, strict: false };
  const request = parseBaseRequest('nodejs22', options, { NODE22_BASE_IMAGE: 'rt-standin/node:22-bookworm', NODE_BASE_IMAGE: 'not/this:1' });
  assert.equal(request.runtime?.project.folder, 'base-images/nodejs');
  assert.deepEqual(request.runtime?.project.buildArgs, { NODE_MAJOR: '22' });
  assert.equal(request.upstream && formatReference(request.upstream), 'rt-standin/node:22-bookworm');
  assert.equal(formatReference(request.tag), options.tag);
  assert.equal(parseBaseRequest('python312', options, { PYTHON_BASE_IMAGE: 'py:1' }).runtime?.family.name, 'python');
  assert.equal(parseBaseRequest('nodejs24', { ...options, upstream: 'mine/node:24' }, { NODE24_BASE_IMAGE: 'x/y:1' }).upstream?.path, 'mine/node', '--base-image wins');
  assert.throws(() => parseBaseRequest('cobol85', options, {}), (error: unknown) => /unknown runtime "cobol85"/.test((error as Error).message));
  assert.throws(() => parseBaseRequest('nodejs26', options, {}), /this project has no base image "nodejs26"/);
  assert.throws(() => parseBaseRequest(undefined, options, {}), /exactly one of a runtime \(nodejs20, nodejs22, nodejs24, python312\) or --context DIR/);
});
