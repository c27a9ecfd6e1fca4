// Shared set-up for tests that use the real engine: connect (a missing engine fails the run, it
// never skips), remove everything this test process created when it ends or is interrupted.
import { after } from 'node:test';
import { type Engine, connectEngine, onInterrupt, removeOwnContainers } from '../../src/engine/index.js';

let connected: Promise<Engine> | undefined;
let connectedEngine: Engine | undefined;
let uninstallInterrupt: (() => void) | undefined;

// Registered when this module loads, so it belongs to the whole test file. (An `after` registered
// inside a hook would belong to that hook and run as soon as the hook ends.)
after(async () => {
  uninstallInterrupt?.();
  if (connectedEngine) await removeOwnContainers(connectedEngine);
});

export function testEngine(): Promise<Engine> {
  connected ??= connectEngine().then((engine) => {
    connectedEngine = engine;
    uninstallInterrupt = onInterrupt(() => removeOwnContainers(engine));
    return engine;
  });
  return connected;
}

export { REGISTRY, baseImage, uniqueTag } from './names.js';
