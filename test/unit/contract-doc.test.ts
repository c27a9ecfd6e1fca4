// The project's user-facing contract (docs/CONTRACT.md) must keep every clause of the spec
// (../shared/CONTRACT.md) word for word: same ids, levels and text, in the same order.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const projectDoc = join(root, 'docs', 'CONTRACT.md');
const spec = join(root, '..', 'shared', 'CONTRACT.md');

interface Clause {
  id: string;
  level: string;
  text: string;
}

/** Clauses are list items that start with a bold id and a level: "- **HTTP-PORT** MUST: …". */
function clauses(markdown: string): Clause[] {
  const found: Clause[] = [];
  const items = markdown.split(/\n(?=- )/);
  for (const item of items) {
    const match = /^- \*\*([A-Z]+(?:-[A-Z0-9]+)+)\*\* (MUST|SHOULD): ([\s\S]*?)(?=\n\n|\n#|$)/.exec(item.trimStart());
    if (match) found.push({ id: match[1]!, level: match[2]!, text: match[3]!.replace(/\s+/g, ' ').trim() });
  }
  return found;
}

test('docs/CONTRACT.md lists each clause once, with a well-formed id and level', () => {
  const ours = clauses(readFileSync(projectDoc, 'utf8'));
  assert.ok(ours.length >= 50, `found only ${ours.length} clauses`);
  assert.equal(new Set(ours.map((c) => c.id)).size, ours.length, 'clause ids are unique');
});

test('docs/CONTRACT.md keeps every clause of the spec word for word', { skip: existsSync(spec) ? false : 'the spec ../shared/CONTRACT.md is not next to this clone' }, () => {
  assert.deepEqual(clauses(readFileSync(projectDoc, 'utf8')), clauses(readFileSync(spec, 'utf8')));
});
