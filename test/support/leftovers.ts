// Run by `make test` before and after the test files.
//   --reap:  remove containers of earlier runs whose owner process is gone (a killed run).
//   --check: the same, but any such container is a leak by the run that just ended: list it, fail.
import { LABEL_OWNER, LABEL_PURPOSE, connectEngine, reapOrphans } from '../../src/engine/index.js';
import { ownerIsGone } from '../../src/engine/labels.js';
import { LABEL_MANAGED } from '../../src/engine/index.js';

const mode = process.argv[2];
const engine = await connectEngine();
const orphans = (await engine.listContainers({ [LABEL_MANAGED]: 'true' })).filter((c) => ownerIsGone(c.labels[LABEL_OWNER]));
await reapOrphans(engine);
if (orphans.length === 0) {
  console.log(`leftovers: none (${mode === '--check' ? 'every container the tests created is gone' : 'nothing to reap'})`);
} else if (mode === '--check') {
  for (const c of orphans) console.error(`leftover container ${c.id.slice(0, 12)} (purpose ${c.labels[LABEL_PURPOSE]}, owner ${c.labels[LABEL_OWNER]}, ${c.state})`);
  console.error(`leftovers: ${orphans.length} container(s) outlived the test process that created them (now removed)`);
  process.exitCode = 1;
} else {
  console.log(`leftovers: reaped ${orphans.length} container(s) of earlier runs`);
}
