import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { StreamFailure, auxObject, messageText, readEngineStream } from '../../src/engine/json-stream.js';
import { demuxLogs } from '../../src/engine/logs.js';

test('an error message inside a 200 build stream rejects with the engine text', async () => {
  const lines = [
    '{"stream":"Step 1/2 : FROM x\\n"}\n',
    '{"stream":"boom output\\n"}\n',
    '{"errorDetail":{"code":3,"message":"The command \'/bin/sh -c exit 3\' returned a non-zero code: 3"},"error":"ignored when errorDetail has a message"}\n',
  ];
  const seen: string[] = [];
  await assert.rejects(
    readEngineStream(Readable.from(lines), (m) => {
      const text = messageText(m);
      if (text) seen.push(text);
    }),
    (error: unknown) => error instanceof StreamFailure && /returned a non-zero code: 3/.test(error.engineMessage),
  );
  assert.deepEqual(seen, ['Step 1/2 : FROM x', 'boom output'], 'every message before the error is still delivered');
});

test('messages split across chunks, and several in one chunk, are each read once', async () => {
  const chunks = ['{"status":"Pus', 'hing","id":"abc"}\n{"aux":{"Digest":"sha256:1","Size":5}}\n{"str', 'eam":"done"}'];
  const messages = await readEngineStream(Readable.from(chunks));
  assert.equal(messages.length, 3);
  assert.equal(auxObject(messages[1]!)?.Digest, 'sha256:1');
  assert.equal(messageText(messages[0]!), 'abc Pushing');
  assert.equal(messageText(messages[2]!), 'done');
});

test('a bare "error" field without errorDetail also rejects', async () => {
  await assert.rejects(readEngineStream(Readable.from(['{"error":"denied: requested access to the resource is denied"}\n'])), /denied/);
});

test('multiplexed container logs are split into stdout and stderr', () => {
  const frame = (type: number, text: string): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt8(type, 0);
    header.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([header, Buffer.from(text)]);
  };
  const logs = demuxLogs(Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]));
  assert.equal(logs.stdout, 'out 1\nout 2\n');
  assert.equal(logs.stderr, 'err 1\n');
});

test('logs of a TTY container (not multiplexed) come back as stdout', () => {
  assert.deepEqual(demuxLogs(Buffer.from('plain text output\n')), { stdout: 'plain text output\n', stderr: '' });
});
