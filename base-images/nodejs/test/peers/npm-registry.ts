// A tiny npm registry on 127.0.0.1 (KB-DEPS): serves the packuments and tarballs of the packages it
// is given, only to requests carrying its token (as a private registry named in a Function's
// package-registry-config/.npmrc would), and records every request. Tarballs are made here (ustar +
// gzip), so the tests need neither the internet nor an npm registry program.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { listenLocal } from './local';

export interface NpmPackage {
  name: string;
  version: string;
  /** Files of the package, relative to its root; without a package.json one is written from name and version. */
  files: Record<string, string>;
}

export interface NpmRegistry {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** The .npmrc that points npm at this registry with the token. */
  npmrc: string;
  requests: { method: string; path: string; authorized: boolean }[];
  close(): Promise<void>;
}

/** One 512-byte ustar header for a regular file. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => void header.write(value, offset, length, 'ascii');
  const octal = (offset: number, length: number, value: number): void => field(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, ' '.repeat(8)); // counted as spaces while summing
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}

/** The .tgz npm expects: every file under package/. */
export function packTarball(pkg: NpmPackage): Buffer {
  const files = { 'package.json': JSON.stringify({ name: pkg.name, version: pkg.version, main: 'index.js' }), ...pkg.files };
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const body = Buffer.from(text);
    blocks.push(tarHeader(`package/${name}`, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export async function startNpmRegistry(packages: NpmPackage[], token: string): Promise<NpmRegistry> {
  const tarballs = new Map<string, Buffer>();
  const packuments = new Map<string, (base: string) => unknown>();
  for (const pkg of packages) {
    const tarball = packTarball(pkg);
    const file = `${pkg.name.split('/').pop() ?? pkg.name}-${pkg.version}.tgz`;
    const tarballPath = `/${pkg.name}/-/${file}`;
    tarballs.set(tarballPath, tarball);
    const dist = {
      shasum: createHash('sha1').update(tarball).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
    };
    packuments.set(`/${pkg.name}`, (base) => ({
      name: pkg.name,
      'dist-tags': { latest: pkg.version },
      versions: { [pkg.version]: { name: pkg.name, version: pkg.version, main: 'index.js', dist: { ...dist, tarball: base + tarballPath } } },
    }));
  }
  const registry: NpmRegistry = { url: '', npmrc: '', requests: [], close: async () => {} };
  const server = await listenLocal((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://registry').pathname);
    const authorized = req.headers.authorization === `Bearer ${token}`;
    registry.requests.push({ method: req.method ?? '', path, authorized });
    req.resume();
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authentication required"}');
      return;
    }
    const tarball = tarballs.get(path);
    const packument = packuments.get(path);
    if (tarball) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    else if (packument) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(registry.url.replace(/\/$/, ''))));
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  registry.url = `${server.base}/`;
  registry.npmrc = `registry=${registry.url}\n//127.0.0.1:${server.port}/:_authToken=${token}\n`;
  registry.close = server.close;
  return registry;
}
