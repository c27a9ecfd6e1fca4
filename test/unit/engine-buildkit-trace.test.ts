// BuildKit progress: decoding the engine's base64 protobuf trace messages into the lines a person reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TraceDecodeError, TraceRenderer, decodeTrace } from '../../src/engine/buildkit-trace.js';
import type { EngineMessage } from '../../src/engine/json-stream.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'engine', 'buildkit-trace');

function traces(name: string): string[] {
  return readFileSync(join(fixtures, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EngineMessage)
    .flatMap((message) => (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string' ? [message.aux] : []));
}

function render(name: string): { lines: string[]; renderer: TraceRenderer } {
  const lines: string[] = [];
  const renderer = new TraceRenderer((line) => lines.push(line));
  for (const aux of traces(name)) renderer.push(decodeTrace(aux));
  return { lines, renderer };
}

test('a trace message decodes into vertexes with digest, name and state', () => {
  const vertexes = traces('two-stages.jsonl').flatMap((aux) => decodeTrace(aux).vertexes);
  const run = vertexes.filter((v) => v.name.includes('RUN echo fixture-output-1'));
  assert.ok(run.length > 0, 'the RUN step is reported');
  assert.match(run[0]!.digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(run.some((v) => v.started) && run.some((v) => v.completed), 'started and completed are both reported');
  assert.ok(run.every((v) => v.error === undefined));
});

test('steps are announced once each, in order, with their output indented under them; internal steps are left out', () => {
  const { lines } = render('two-stages.jsonl');
  const runAt = lines.findIndex((line) => /^\[deps \d\/\d\] RUN echo fixture-output-1/.test(line));
  assert.ok(runAt >= 0, lines.join('\n'));
  assert.ok(lines.includes('  fixture-output-1'), 'stdout of the step');
  assert.ok(lines.includes('  fixture-output-2'), 'stderr of the step');
  assert.ok(lines.indexOf('  fixture-output-1') > runAt, 'output comes after its step');
  assert.equal(lines.filter((line) => line.includes('RUN echo fixture-output-1')).length, 1);
  assert.ok(lines.some((line) => /^\[stage-1 \d\/\d\] COPY --from=deps \/f \/g$/.test(line)));
  assert.ok(!lines.some((line) => line.includes('[internal]') || line.includes('copy /context')), lines.join('\n'));
});

test('a failing step is reported as ERROR, and its output is the failure evidence', () => {
  const { lines, renderer } = render('failing-run.jsonl');
  assert.ok(lines.includes('ERROR [2/2] RUN echo before-failing && exit 3'), lines.join('\n'));
  assert.deepEqual(renderer.failedStepOutput(30), ['[2/2] RUN echo before-failing && exit 3', 'before-failing']);
});

test('output split across messages in the middle of a line is joined into one line', () => {
  const lines: string[] = [];
  const renderer = new TraceRenderer((line) => lines.push(line));
  renderer.push({ vertexes: [{ digest: 'd', name: '[1/1] RUN x', cached: false, started: true, completed: false, error: undefined }], logs: [] });
  renderer.push({ vertexes: [], logs: [{ vertex: 'd', data: Buffer.from('hel') }] });
  renderer.push({ vertexes: [], logs: [{ vertex: 'd', data: Buffer.from('lo\nwor') }] });
  renderer.push({ vertexes: [{ digest: 'd', name: '[1/1] RUN x', cached: false, started: true, completed: true, error: undefined }], logs: [] });
  assert.deepEqual(lines, ['[1/1] RUN x', '  hello', '  wor']);
});

test('a cached step is announced as CACHED', () => {
  const lines: string[] = [];
  new TraceRenderer((line) => lines.push(line)).push({
    vertexes: [{ digest: 'd', name: '[2/3] COPY a /a', cached: true, started: true, completed: true, error: undefined }],
    logs: [],
  });
  assert.deepEqual(lines, ['CACHED [2/3] COPY a /a']);
});

test('a truncated trace message is a TraceDecodeError, not a crash elsewhere', () => {
  const whole = Buffer.from(traces('failing-run.jsonl').at(-1)!, 'base64');
  assert.throws(() => decodeTrace(whole.subarray(0, whole.length - 5).toString('base64')), TraceDecodeError);
});
