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

/** The upstream base images, as decided by scripts/base-images.sh (the Makefile exports them). */
export function baseImage(runtime: 'node' | 'python'): string {
  const name = runtime === 'node' ? 'NODE_BASE_IMAGE' : 'PYTHON_BASE_IMAGE';
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests through "make test", which prepares the base images`);
  }
  return value;
}

export const REGISTRY = process.env.RT_REGISTRY_ADDR ?? '127.0.0.1:5000';

/** A tag no other test run uses. */
export function uniqueTag(): string {
  return `t${process.pid}-${Date.now().toString(36)}`;
}
