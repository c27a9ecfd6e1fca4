// rtcheck reads some answers as raw bytes off one connection (RES-TIMEOUT's late result): framing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseResponse } from '../../conformance/raw-http.js';

const twoResponses = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'raw-http', 'two-responses.bin'));

test('RES-TIMEOUT: responses one after another on a connection are told apart (Content-Length, then chunked)', () => {
  const first = parseResponse(twoResponses);
  assert.ok(first);
  assert.equal(first.status, 408);
  assert.equal(first.body.toString(), 'Request Timeout');
  assert.equal(first.headers['connection'], 'keep-alive');
  const second = parseResponse(twoResponses, first.end);
  assert.ok(second);
  assert.equal(second.status, 200);
  assert.equal(second.body.toString(), 'hello');
  assert.equal(second.end, twoResponses.length);
});

test('an incomplete response is undefined until its last byte arrives', () => {
  const first = parseResponse(twoResponses)!;
  for (const cut of [10, first.end - 1]) assert.equal(parseResponse(twoResponses.subarray(0, cut)), undefined, `cut at ${cut}`);
  assert.equal(parseResponse(twoResponses.subarray(0, twoResponses.length - 1), first.end), undefined, 'chunked without its final CRLF');
});

test('bytes that are not a status line parse as status 0', () => {
  assert.equal(parseResponse(Buffer.from('garbage\r\n\r\n'))?.status, 0);
});
