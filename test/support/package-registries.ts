// Real package registries on 127.0.0.1 for rtbuild's tests and its benchmark (npm protocol, a PEP 503
// pip index), serving the packages in test/fixtures/rtbuild. Apart from the test helpers, so that the
// benchmark can use them without loading node:test (whose TAP output would go to its stdout).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'rtbuild');

export interface Served {
  url: string;
  /** Request lines seen, e.g. "GET /rt-fixture-greeter 200". */
  requests: string[];
  stop(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Promise<Served> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    res.on('finish', () => requests.push(`${req.method} ${req.url} ${res.statusCode}`));
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd }, (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
  });
}

/**
 * A real npm registry, as far as npm install/ci need one: packuments and tarballs of the packages
 * in test/fixtures/rtbuild/*-pkg, packed with `npm pack`. With `token`, every request must carry it.
 */
export async function startNpmRegistry(options: { token?: string } = {}): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'rt-npm-registry-'));
  const packages = new Map<string, { version: string; file: string; tarball: Buffer }>();
  for (const pkgDir of (await readdir(FIXTURES)).filter((name) => name.endsWith('-pkg'))) {
    const manifest = JSON.parse(await readFile(join(FIXTURES, pkgDir, 'package.json'), 'utf8')) as { name: string; version: string };
    const file = (await run('npm', ['pack', '--silent', '--pack-destination', dir], join(FIXTURES, pkgDir))).trim().split('\n').pop() as string;
    packages.set(manifest.name, { version: manifest.version, file, tarball: await readFile(join(dir, file)) });
  }
  let base = '';
  const served = await serve((req, res) => {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end('{"error":"authentication required"}');
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', base).pathname).slice(1);
    const [name, dash, file] = path.split('/');
    const pkg = packages.get(name ?? '');
    if (pkg && dash === undefined) {
      const version = {
        name,
        version: pkg.version,
        dist: {
          tarball: `${base}${name}/-/${pkg.file}`,
          shasum: createHash('sha1').update(pkg.tarball).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(pkg.tarball).digest('base64')}`,
        },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, 'dist-tags': { latest: pkg.version }, versions: { [pkg.version]: version } }));
    } else if (pkg && dash === '-' && file === pkg.file) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(pkg.tarball);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    }
  });
  base = served.url;
  return {
    ...served,
    stop: async () => {
      await served.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A PEP 503 simple index of the wheels in test/fixtures/rtbuild/wheels; with credentials, basic auth. */
export async function startPipIndex(options: { credentials?: { username: string; password: string } } = {}): Promise<Served> {
  const wheelDir = join(FIXTURES, 'wheels');
  const wheels = await readdir(wheelDir);
  const expected = options.credentials ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}` : undefined;
  return serve(async (req, res) => {
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="rt-test"' });
      res.end();
      return;
    }
    const url = req.url ?? '/';
    const project = /^\/simple\/([^/]+)\/?$/.exec(url)?.[1];
    if (project) {
      const links = wheels.filter((w) => w.split('-')[0]?.toLowerCase() === project.toLowerCase().replace(/-/g, '_'));
      res.writeHead(links.length ? 200 : 404, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><html><body>${links.map((w) => `<a href="/files/${w}">${w}</a>`).join('\n')}</body></html>`);
    } else if (url.startsWith('/files/') && wheels.includes(url.slice('/files/'.length))) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(await readFile(join(wheelDir, url.slice('/files/'.length))));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
}
