// Package registries for KB-DEPS, on 127.0.0.1, that answer only with credentials: an npm-protocol
// registry (packuments and tarballs, bearer token) and a PEP 503 simple index (wheels, basic auth).
// Kyma's launch installs the Function's dependencies from them with the credentials in the mounted
// package-registry-config/.npmrc or pip.conf, which is what KB-DEPS proves.
import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Family } from '../../platform/runtimes.js';
import { type BuiltPackage, npmTarballs, wheels } from './packages.js';

export interface RegistryRequest {
  path: string;
  status: number;
  /** Whether the request carried the registry's credentials. */
  authorized: boolean;
}

export interface PackageRegistry {
  readonly url: string;
  /** What the Function's registry Secret holds: an .npmrc or a pip.conf naming this registry with its credentials. */
  readonly config: string;
  /** The secret in `config`, for redaction checks. */
  readonly secret: string;
  readonly requests: RegistryRequest[];
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** PEP 503 name normalization. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

type Route = (path: string) => { status: number; type: string; body: Buffer | string } | undefined;

function npmRoutes(packages: readonly BuiltPackage[], base: () => string): Route {
  return (path) => {
    const tarball = packages.find((p) => path === `/${p.name}/-/${p.file}`);
    if (tarball) return { status: 200, type: 'application/octet-stream', body: tarball.bytes };
    const name = decodeURIComponent(path.slice(1));
    const versions = packages.filter((p) => p.name === name);
    if (versions.length === 0) return undefined;
    const packument = {
      name,
      'dist-tags': { latest: versions[versions.length - 1]?.version },
      versions: Object.fromEntries(
        versions.map((p) => [
          p.version,
          {
            name,
            version: p.version,
            main: 'index.js',
            dist: {
              tarball: `${base()}/${p.name}/-/${p.file}`,
              shasum: createHash('sha1').update(p.bytes).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(p.bytes).digest('base64')}`,
            },
          },
        ]),
      ),
    };
    return { status: 200, type: 'application/json', body: JSON.stringify(packument) };
  };
}

function pipRoutes(packages: readonly BuiltPackage[]): Route {
  return (path) => {
    const file = packages.find((p) => path === `/files/${p.file}`);
    if (file) return { status: 200, type: 'application/octet-stream', body: file.bytes };
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (!project) return undefined;
    const found = packages.filter((p) => normalize(p.name) === normalize(project));
    if (found.length === 0) return undefined;
    const links = found.map((p) => `<a href="/files/${p.file}#sha256=${createHash('sha256').update(p.bytes).digest('hex')}">${escapeHtml(p.file)}</a>`);
    return { status: 200, type: 'text/html', body: `<!DOCTYPE html><html><body>${links.join('<br>')}</body></html>` };
  };
}

/** Starts the registry of the family's package manager with the packages built from `packagesDir`. */
export async function startPackageRegistry(family: Family, packagesDir: string): Promise<PackageRegistry> {
  const node = family.name === 'nodejs';
  const secret = randomBytes(12).toString('hex');
  const user = 'rtcheck';
  const expected = node ? `Bearer ${secret}` : `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  const packages = node ? await npmTarballs(packagesDir) : await wheels(packagesDir);
  const requests: RegistryRequest[] = [];
  let url = '';
  const route = node ? npmRoutes(packages, () => url) : pipRoutes(packages);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const authorized = request.headers.authorization === expected;
    const answer = authorized ? route(path) : undefined;
    const status = !authorized ? 401 : (answer?.status ?? 404);
    requests.push({ path, status, authorized });
    request.resume();
    if (status === 401) response.writeHead(401, { 'www-authenticate': node ? 'Bearer realm="rtcheck"' : 'Basic realm="rtcheck"', 'content-type': 'text/plain' });
    else response.writeHead(status, { 'content-type': answer?.type ?? 'text/plain' });
    response.end(answer?.body ?? (status === 401 ? 'credentials required' : 'not found'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  const config = node
    ? `registry=${url}/\n//127.0.0.1:${port}/:_authToken=${secret}\n`
    : `[global]\nindex-url = http://${user}:${secret}@127.0.0.1:${port}/simple/\n`;
  return {
    url,
    config,
    secret,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
