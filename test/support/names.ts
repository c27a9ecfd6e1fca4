// Names the tests and benchmarks share; no node:test here, so benchmarks can import it.

/**
 * The upstream base images, as decided by scripts/base-images.sh (the Makefile exports them): "node" is
 * the Node 20 one the fixtures build on, "node22" and so on name a major.
 */
export function baseImage(runtime: 'node' | `node${number}` | 'python'): string {
  const name = runtime === 'python' ? 'PYTHON_BASE_IMAGE' : `NODE${runtime === 'node' ? '20' : runtime.slice(4)}_BASE_IMAGE`;
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
