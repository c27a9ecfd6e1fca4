// An image layer made without a build: the tar of a `COPY --chown=0:0 function/ /` step, byte for byte
// as dockerd's differ writes it for BuildKit (moby pkg/archive over Go's archive/tar), so that the layer
// has the same diff id either way (FIN-LAYERS: the fast path in src/rtbuild/function/fast-path.ts).
// What the differ writes for such a step, as read from real layers (dockerd 20.10, overlay2):
//   - every entry the step wrote, parents first, the names of a folder in byte order (filepath.Walk),
//     folders with a trailing "/", no "./" entry;
//   - USTAR headers (magic "ustar\0", version "00"): numbers in octal with leading zeros and a NUL,
//     the checksum as six digits, NUL, space; the mode with the file type bits (040755, 0100644,
//     0120777); owner 0:0 named root:root; mtime in whole seconds; a name over 100 bytes split into
//     prefix and name; no padding after the two zero blocks that end it.
// A name that is not ASCII, a longer link target or a file of 8 GiB would need PAX records: such sources
// are not written here (`layerProblem` says why) and take the build instead.
import { createHash } from 'node:crypto';
import { type ArchiveEntry, entryContent, entrySize } from './archive.js';

const BLOCK = 512;
const MODE_TYPE = { directory: 0o40000, file: 0o100000, symlink: 0o120000 } as const;
/** The largest number an 11-digit octal field holds. */
const OCTAL_11 = 8 ** 11 - 1;

/** Go's splitUSTARPath: a name over 100 bytes as prefix (≤ 155) and name (≤ 100), split at a "/". */
export function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= 100) return { prefix: '', name };
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === '/') length--;
  const slash = name.lastIndexOf('/', length - 1);
  const suffix = name.length - slash - 1;
  if (slash <= 0 || suffix > 100 || suffix === 0 || slash > 155) return undefined;
  return { prefix: name.slice(0, slash), name: name.slice(slash + 1) };
}

/** Printable and control ASCII without NUL: what a USTAR name field holds. */
const isAscii = (text: string): boolean => [...text].every((c) => c.charCodeAt(0) > 0 && c.charCodeAt(0) < 0x80);

/** The name of an entry in the layer: folders end with "/". */
function layerName(entry: ArchiveEntry): string {
  return entry.type === 'directory' ? `${entry.path}/` : entry.path;
}

/** Why these entries cannot be written as a USTAR layer (the build then makes it), or undefined. */
export function layerProblem(entries: readonly ArchiveEntry[], mtime: number): string | undefined {
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > OCTAL_11) return `the time ${mtime} does not fit a tar header`;
  for (const entry of entries) {
    const name = layerName(entry);
    if (!isAscii(name) || splitUstarName(name) === undefined) return `the name "${entry.path}" needs a PAX header`;
    if (entry.type === 'symlink' && (!isAscii(entry.linkTarget ?? '') || (entry.linkTarget ?? '').length > 100)) return `the link target of "${entry.path}" needs a PAX header`;
    if (entry.type === 'file' && entrySize(entry) > OCTAL_11) return `"${entry.path}" is larger than a tar header holds`;
  }
  return undefined;
}

/** Path components compared in byte order, a folder before what is in it: filepath.Walk's order. */
export function walkOrder(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const compared = Buffer.compare(Buffer.from(left[i] as string), Buffer.from(right[i] as string));
    if (compared !== 0) return compared;
  }
  return left.length - right.length;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  // Go's formatOctal: leading zeros, one byte left for the NUL.
  block.write(value.toString(8).padStart(width - 1, '0'), offset, 'ascii');
}

/** One USTAR header as Go's archive/tar writes it. */
export function ustarHeader(entry: { name: string; type: ArchiveEntry['type']; mode: number; size: number; mtime: number; linkTarget?: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  const split = splitUstarName(entry.name);
  if (!split) throw new Error(`"${entry.name}" does not fit a USTAR header`);
  block.write(split.name, 0, 'ascii');
  octal(block, 100, 8, entry.mode | MODE_TYPE[entry.type]);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, entry.size);
  octal(block, 136, 12, entry.mtime);
  block.write(entry.type === 'directory' ? '5' : entry.type === 'symlink' ? '2' : '0', 156, 'ascii');
  if (entry.linkTarget) block.write(entry.linkTarget, 157, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  octal(block, 329, 8, 0);
  octal(block, 337, 8, 0);
  block.write(split.prefix, 345, 'ascii');
  // The checksum counts its own field as spaces; it is written as six digits, NUL, space.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

export interface Layer {
  /** The uncompressed tar. */
  tar: Buffer;
  /** "sha256:…" of `tar`: the layer's id in the image config's rootfs. */
  diffId: string;
  /** Bytes the engine reports for the layer: files and link targets, folders not counted. */
  size: number;
}

/**
 * The layer of these entries (paths relative to the image root, every parent folder among them),
 * root-owned, every entry at `mtime`: the same bytes the differ writes for a COPY of them.
 */
export async function makeLayer(entries: readonly ArchiveEntry[], mtime: number): Promise<Layer> {
  const problem = layerProblem(entries, mtime);
  if (problem) throw new Error(problem);
  const sorted = [...entries].sort((a, b) => walkOrder(a.path, b.path));
  const parts: Buffer[] = [];
  let size = 0;
  for (const entry of sorted) {
    const name = layerName(entry);
    if (entry.type === 'directory') {
      parts.push(ustarHeader({ name, type: 'directory', mode: 0o755, size: 0, mtime }));
    } else if (entry.type === 'symlink') {
      const target = entry.linkTarget ?? '';
      parts.push(ustarHeader({ name, type: 'symlink', mode: 0o777, size: 0, mtime, linkTarget: target }));
      size += Buffer.byteLength(target);
    } else {
      const content = await entryContent(entry);
      parts.push(ustarHeader({ name, type: 'file', mode: entry.executable ? 0o755 : 0o644, size: content.length, mtime }), content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) parts.push(Buffer.alloc(padding));
      size += content.length;
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  const tar = Buffer.concat(parts);
  return { tar, diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`, size };
}
