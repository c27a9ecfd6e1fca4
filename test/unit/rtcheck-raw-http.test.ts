// rtcheck reads some answers as raw bytes off one connection (RES-TIMEOUT's late result): framing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { RawConnection, parseResponse } from '../../src/rtcheck/raw-http.js';

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

test('waiting on a silent connection ends at the deadline, also when the clock lags the timer', async (t) => {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const conn = await RawConnection.open((server.address() as AddressInfo).port);
  try {
    // The wall clock stays 5 ms before the deadline: only the timer can end the wait.
    const now = Date.now();
    t.mock.method(Date, 'now', () => now);
    const guard = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('the wait did not end at its deadline')), 2000).unref());
    assert.equal(await Promise.race([conn.waitFor((data) => (data.length > 0 ? true : undefined), now + 5), guard]), undefined);
  } finally {
    conn.close();
    server.close();
  }
});
