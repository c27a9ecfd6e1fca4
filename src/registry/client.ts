// The registry's own API (distribution spec v2), for what the fast path sends without the engine: read
// a manifest and a blob, check, mount and upload blobs, put a manifest. Credentials come from the
// Docker config (auth.ts): sent as Basic when the registry asks for Basic, exchanged for a token at the
// realm it names when it asks for Bearer. Loopback registries are spoken to over plain HTTP, as the
// engine does by default; every other one over HTTPS. node:http, not fetch: undici's first load costs
// more than the requests here.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { RegistryAuth } from '../engine/index.js';
import { extraCaTrust } from '../extra-ca-certs.js';

export interface RegistryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class RegistryRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Whether the engine would speak plain HTTP to this registry by default: a loopback address. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

async function send(url: URL, method: string, headers: Record<string, string>, body?: Buffer): Promise<RegistryAnswer> {
  const https = url.protocol === 'https:';
  const request = https ? (await import('node:https')).request : httpRequest;
  // The certificates of NODE_EXTRA_CA_CERTS, when the launcher handed them over (extra-ca-certs.ts).
  const trust = https ? await extraCaTrust() : {};
  return new Promise((resolve, reject) => {
    const req = request(url, { ...trust, method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The parameters of a WWW-Authenticate challenge: Bearer realm="…",service="…",scope="…". */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  const match = /^(\w+)\s*(.*)$/s.exec(header ?? '');
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, value] of (match[2] as string).matchAll(/(\w+)="([^"]*)"/g)) params[key as string] = value as string;
  return { scheme: (match[1] as string).toLowerCase(), params };
}

export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    readonly registry: string,
    private readonly auth: RegistryAuth | undefined,
  ) {}

  private url(path: string): URL {
    return new URL(`${isLoopbackRegistry(this.registry) ? 'http' : 'https'}://${this.registry}/v2/${path}`);
  }

  private basic(): string | undefined {
    if (this.auth?.username === undefined || this.auth.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
  }

  /** Answers a 401 once: Basic with the credentials, or a token from the realm the challenge names. */
  private async authorize(answer: RegistryAnswer, repository: string): Promise<boolean> {
    const challenge = parseChallenge(answer.headers['www-authenticate']);
    if (challenge?.scheme === 'basic') {
      this.authorization = this.basic();
      return this.authorization !== undefined;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return false;
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', `repository:${repository}:pull,push`);
    const basic = this.basic();
    const token = await send(realm, 'GET', basic ? { authorization: basic } : {});
    if (token.status !== 200) return false;
    const parsed = JSON.parse(token.body.toString('utf8')) as { token?: string; access_token?: string };
    const value = parsed.token ?? parsed.access_token;
    this.authorization = value ? `Bearer ${value}` : undefined;
    return value !== undefined;
  }

  /** One request, authorized on the registry's first 401; rejects for answers other than `ok`. */
  async request(method: string, repository: string, path: string, options: { headers?: Record<string, string>; body?: Buffer; ok?: readonly number[] } = {}): Promise<RegistryAnswer> {
    const url = path.startsWith('http') ? new URL(path) : this.url(`${repository}/${path}`);
    const attempt = (): Promise<RegistryAnswer> => send(url, method, { ...options.headers, ...(this.authorization ? { authorization: this.authorization } : {}) }, options.body);
    let answer = await attempt();
    if (answer.status === 401 && (await this.authorize(answer, repository))) answer = await attempt();
    const ok = options.ok ?? [200, 201, 202];
    if (!ok.includes(answer.status)) {
      throw new RegistryRequestError(answer.status, `${method} ${url.pathname}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300).trim()}`);
    }
    return answer;
  }

  /** The manifest `reference` (a tag or digest) names, its bytes and media type; undefined when there is none. */
  async manifest(repository: string, reference: string): Promise<{ mediaType: string; bytes: Buffer; digest: string } | undefined> {
    const answer = await this.request('GET', repository, `manifests/${reference}`, { headers: { accept: MANIFEST_TYPES.join(', ') }, ok: [200, 404] });
    if (answer.status === 404) return undefined;
    return { mediaType: String(answer.headers['content-type'] ?? '').split(';')[0] as string, bytes: answer.body, digest: digestOf(answer.body) };
  }

  async blob(repository: string, digest: string): Promise<Buffer> {
    // Registries may answer with a redirect to a blob store: followed once, without our credentials.
    const answer = await this.request('GET', repository, `blobs/${digest}`, { ok: [200, 307, 302] });
    if (answer.status === 200) return answer.body;
    const moved = await send(new URL(String(answer.headers.location)), 'GET', {});
    if (moved.status !== 200) throw new RegistryRequestError(moved.status, `GET blob ${digest}: HTTP ${moved.status}`);
    return moved.body;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return (await this.request('HEAD', repository, `blobs/${digest}`, { ok: [200, 404] })).status === 200;
  }

  /** Mounts a blob from another repository of the same registry; false when the registry did not. */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const answer = await this.request('POST', repository, `blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { ok: [201, 202] });
    if (answer.status === 201) return true;
    // 202: the registry started an upload instead; it is left to expire.
    return false;
  }

  /** Uploads a blob in one PUT after the upload's POST; nothing when the registry has it. */
  async putBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    if (await this.hasBlob(repository, digest)) return digest;
    const started = await this.request('POST', repository, 'blobs/uploads/', { ok: [202] });
    const location = new URL(String(started.headers.location), this.url(''));
    location.searchParams.set('digest', digest);
    await this.request('PUT', repository, location.toString(), { headers: { 'content-type': 'application/octet-stream' }, body: bytes, ok: [201] });
    return digest;
  }

  /** Puts a manifest under a tag; returns its digest. */
  async putManifest(repository: string, tag: string, mediaType: string, bytes: Buffer): Promise<string> {
    const answer = await this.request('PUT', repository, `manifests/${tag}`, { headers: { 'content-type': mediaType }, body: bytes, ok: [201] });
    return String(answer.headers['docker-content-digest'] ?? digestOf(bytes));
  }
}
