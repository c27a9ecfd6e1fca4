// The bad-input catalogue (issue 15): raw bytes in, statuses out, the same for every project image.
// Each case of test/fixtures/bad-input/cases.json is sent on its own connection over raw TCP on
// 127.0.0.1 to the image running the probe function (test/fixtures/functions/<family>/probe), started
// as the platform starts it (restricted profile, image user). A case checks the statuses of the
// answers in order, that the runtime closes the connection when it must, and how often user code ran
// (function_calls_total of HTTP-METRICS), so "refused before user code" is proven, not assumed.
// The score per image is printed at the end (the issue's note asks for it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/index.js';
import { PROJECT_RUNTIMES } from '../../src/platform/runtimes.js';
import { RawConnection, type RawResponse, parseResponse } from '../../src/rtcheck/raw-http.js';
import { testEngine } from '../support/engine.js';
import { type FunctionContainer, startFunction } from '../support/function-container.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

type Part = string | { repeat: string | Part[]; times: number } | { utf16le: string };

interface Case {
  name: string;
  clause: string;
  why: string;
  ref?: string;
  send: Part[];
  statuses: number[];
  closed?: boolean;
  calls: number;
  json?: unknown;
}

const CATALOGUE = (JSON.parse(readFileSync(join(fixtures, 'bad-input', 'cases.json'), 'utf8')) as { cases: Case[] }).cases;

/** Upper bound for a runtime to answer or close; a passing case never waits for it. */
const ANSWER_DEADLINE_MS = 5000;

function bytes(parts: Part[]): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (typeof part === 'string') return Buffer.from(part, 'latin1');
      if ('utf16le' in part) return Buffer.from(part.utf16le, 'utf16le');
      const once = typeof part.repeat === 'string' ? Buffer.from(part.repeat, 'latin1') : bytes(part.repeat);
      return Buffer.alloc(once.length * part.times, once);
    }),
  );
}

/** Every complete response in `data`, in order (a 100 Continue counts as one). */
function responses(data: Buffer, method: string): RawResponse[] {
  const found: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const next = parseResponse(data, offset, method);
    if (next === undefined) return found;
    found.push(next);
    offset = next.end;
  }
}

interface Outcome {
  statuses: number[];
  closed: boolean;
  last: RawResponse | undefined;
}

/**
 * Sends the bytes on a new connection and collects answers until there are as many as expected (and,
 * when the case expects it, the connection is closed), the runtime closes it, or the deadline passes.
 */
async function exchange(port: number, request: Buffer, expected: Case): Promise<Outcome> {
  const method = /^\s*([A-Z]+) /.exec(request.toString('latin1', 0, 32))?.[1] ?? 'GET';
  const connection = await RawConnection.open(port);
  try {
    // A runtime may refuse and close before everything is written (431, 413): that is an answer too.
    connection.write(request);
    await connection.waitFor((data) => (responses(data, method).length >= expected.statuses.length && !expected.closed ? true : undefined), Date.now() + ANSWER_DEADLINE_MS);
    const found = responses(connection.received, method);
    return { statuses: found.map((r) => r.status), closed: connection.closed, last: found.at(-1) };
  } finally {
    connection.close();
  }
}

async function callsSoFar(subject: FunctionContainer): Promise<number> {
  const text = await (await fetch(`${subject.url}/metrics`)).text();
  const value = /^function_calls_total (\d+)/m.exec(text)?.[1];
  assert.ok(value !== undefined, `no function_calls_total in /metrics:\n${text}`);
  return Number(value);
}

/** `actual` has every key of `expected` with an equal value (recursively for objects). */
function assertSubset(actual: unknown, expected: unknown, where: string): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}

const scores: string[] = [];
after(() => {
  // The score per image, for the issue's note: one line each.
  for (const line of scores) console.log(line);
});

for (const runtime of PROJECT_RUNTIMES) {
  const image = runtime.project?.devTag as string;
  describe(`bad-input catalogue: ${image}`, () => {
    let engine: Engine;
    let subject: FunctionContainer;
    const failed: string[] = [];

    before(async () => {
      engine = await testEngine();
      subject = await startFunction(engine, image, join(fixtures, 'functions', runtime.family.probes, 'probe'), { env: { FUNC_TIMEOUT: '5' } });
    });
    after(async () => {
      scores.push(`bad-input catalogue: ${image} ${CATALOGUE.length - failed.length}/${CATALOGUE.length}${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`);
      await subject?.remove();
    });

    for (const c of CATALOGUE) {
      test(`${c.clause}: ${c.name}`, async () => {
        try {
          const callsBefore = await callsSoFar(subject);
          const outcome = await exchange(subject.port, bytes(c.send), c);
          const evidence = `${c.name} (${c.why || c.clause}): answers ${JSON.stringify(outcome.statuses)}, closed ${outcome.closed}\n${await subject.logTail(10)}`;
          assert.deepEqual(outcome.statuses, c.statuses, evidence);
          if (c.closed) assert.ok(outcome.closed, `the connection stayed open: ${evidence}`);
          if (c.json !== undefined) assertSubset(JSON.parse(outcome.last?.body.toString('utf8') ?? 'null') as unknown, c.json, 'body');
          assert.equal((await callsSoFar(subject)) - callsBefore, c.calls, `user code calls: ${evidence}`);
        } catch (error) {
          failed.push(c.name);
          throw error;
        }
      });
    }
  });
}
