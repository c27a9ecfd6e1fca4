// Folders the tools read at run time (the probe functions, the base image folders) are found by
// walking up from the running code: the same search works from the TypeScript sources, from tsc
// output and from the bundled CLIs in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest `relativePath` at or above `from`; undefined when no ancestor has it. */
export function findUpward(from: string, relativePath: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
