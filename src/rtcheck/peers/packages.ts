// The packages rtcheck's registries serve for KB-DEPS, made from the probe folders at run time: npm
// tarballs (gzip'd tar, files under package/) and Python wheels (zip with a .dist-info), reproducible
// (fixed times, sorted entries), so that a user needs nothing but rtcheck.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ArchiveEntry, packEntries, readDirectoryEntries } from '../../image/archive.js';

export interface BuiltPackage {
  /** npm name ("@opentelemetry/api") or Python distribution name ("opentelemetry-api"). */
  name: string;
  version: string;
  /** The file name clients download. */
  file: string;
  bytes: Buffer;
}

async function streamToBuffer(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every package folder under `dir` (one folder each). */
async function folders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)).sort();
}

/** An npm tarball of a folder holding package.json: what `npm pack` would serve. */
export async function npmTarball(dir: string): Promise<BuiltPackage> {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  const entries = await readDirectoryEntries(dir);
  const tar = await streamToBuffer(packEntries(entries, { prefix: 'package', mtime: 0 }));
  const base = manifest.name.split('/').pop() as string;
  return { name: manifest.name, version: manifest.version, file: `${base}-${manifest.version}.tgz`, bytes: gzipSync(tar, { level: 9 }) };
}

export async function npmTarballs(dir: string): Promise<BuiltPackage[]> {
  return Promise.all((await folders(dir)).map(npmTarball));
}

// --- wheels -------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip archive of stored (uncompressed) files: what a wheel is. DOS time 1980-01-01 00:00. */
export function zip(files: readonly { path: string; content: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.path, 'utf8');
    const crc = crc32(file.content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.content.length, 18);
    local.writeUInt32LE(file.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.content.length, 20);
    central.writeUInt32LE(file.content.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a 0644 file
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.content);
    centrals.push(central, name);
    offset += local.length + name.length + file.content.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function recordHash(content: Buffer): string {
  return `sha256=${createHash('sha256').update(content).digest('base64url')}`;
}

/**
 * A pure-Python wheel of a folder holding PKG-INFO (Name, Version) and the importable files: the
 * .dist-info (METADATA, WHEEL, RECORD) is written here.
 */
export async function wheel(dir: string): Promise<BuiltPackage> {
  const info = await readFile(join(dir, 'PKG-INFO'), 'utf8');
  const field = (key: string): string => new RegExp(`^${key}: (.+)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const name = field('Name');
  const version = field('Version');
  const normalized = name.replace(/[-_.]+/g, '_');
  const distInfo = `${normalized}-${version}.dist-info`;
  const entries: ArchiveEntry[] = (await readDirectoryEntries(dir)).filter((e) => e.type === 'file' && e.path !== 'PKG-INFO');
  const files = entries.map((e) => ({ path: e.path, content: e.content ?? Buffer.alloc(0) }));
  files.push({ path: `${distInfo}/METADATA`, content: Buffer.from(info) });
  files.push({ path: `${distInfo}/WHEEL`, content: Buffer.from('Wheel-Version: 1.0\nGenerator: rtcheck\nRoot-Is-Purelib: true\nTag: py3-none-any\n') });
  const record = [...files.map((f) => `${f.path},${recordHash(f.content)},${f.content.length}`), `${distInfo}/RECORD,,`].join('\n');
  files.push({ path: `${distInfo}/RECORD`, content: Buffer.from(`${record}\n`) });
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { name, version, file: `${normalized}-${version}-py3-none-any.whl`, bytes: zip(files) };
}

export async function wheels(dir: string): Promise<BuiltPackage[]> {
  return Promise.all((await folders(dir)).map(wheel));
}
