// Registry credentials from the user's Docker config, resolved the way the docker CLI does:
// credHelpers[registry] > credsStore > auths[registry]. Credentials are returned to the caller only;
// they are never logged and never written anywhere.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from '../zod.js';
import { RegistryAuthError } from '../errors.js';
import type { RegistryAuth } from '../engine/index.js';
import { DOCKER_HUB, DOCKER_HUB_AUTH_KEY } from '../image/reference.js';

const dockerConfigSchema = z.looseObject({
  auths: z.optional(
    z.record(
      z.string(),
      z.looseObject({
        auth: z.optional(z.string()),
        username: z.optional(z.string()),
        password: z.optional(z.string()),
        identitytoken: z.optional(z.string()),
      }),
    ),
  ),
  credHelpers: z.optional(z.record(z.string(), z.string())),
  credsStore: z.optional(z.string()),
});

export type DockerConfig = z.infer<typeof dockerConfigSchema>;

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

export async function readDockerConfig(env: NodeJS.ProcessEnv): Promise<DockerConfig> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new RegistryAuthError(`cannot read the Docker config ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RegistryAuthError(`the Docker config ${path} is not valid JSON`, {
      cause,
      hint: 'fix or remove the file (docker login rewrites it)',
    });
  }
  const parsed = dockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new RegistryAuthError(`the Docker config ${path} has an unexpected shape: ${parsed.error.issues[0]?.message}`, {
      hint: 'fix or remove the file (docker login rewrites it)',
    });
  }
  return parsed.data;
}

/** Keys a registry host may be stored under in `auths` (Docker Hub has a legacy URL). */
function authKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return [DOCKER_HUB_AUTH_KEY, 'index.docker.io', 'docker.io', 'https://index.docker.io/v1'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<string>;

/** Runs `docker-credential-NAME get` with the server URL on stdin and returns its stdout. */
export const runCredentialHelper: CredentialHelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    const program = `docker-credential-${helper}`;
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (cause) =>
      reject(
        new RegistryAuthError(`the credential helper ${program} could not be run`, {
          cause,
          hint: `install ${program} or remove it from your Docker config`,
        }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      // Helpers print "credentials not found in native keychain" when they have nothing: no auth.
      else if (/not found/i.test(stdout + stderr)) resolve('');
      else reject(new RegistryAuthError(`the credential helper ${program} failed (exit ${code}): ${stderr.trim()}`));
    });
    child.stdin.end(serverUrl);
  });

export interface ResolveAuthOptions {
  env?: NodeJS.ProcessEnv;
  runHelper?: CredentialHelperRunner;
}

/** Credentials for `registry`, or undefined when the config has none (anonymous access). */
export async function resolveRegistryAuth(
  registry: string,
  options: ResolveAuthOptions = {},
): Promise<RegistryAuth | undefined> {
  const config = await readDockerConfig(options.env ?? process.env);
  return authFromConfig(config, registry, options.runHelper ?? runCredentialHelper);
}

export async function authFromConfig(
  config: DockerConfig,
  registry: string,
  runHelper: CredentialHelperRunner,
): Promise<RegistryAuth | undefined> {
  const serveraddress = registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const output = await runHelper(helper, serveraddress);
    if (output.trim() !== '') {
      const parsed = z.looseObject({ Username: z.string(), Secret: z.string() }).safeParse(safeJson(output));
      if (!parsed.success) {
        throw new RegistryAuthError(`the credential helper docker-credential-${helper} answered in an unknown format`);
      }
      const { Username, Secret } = parsed.data;
      // By convention a helper returns identity tokens with the user name "<token>".
      return Username === '<token>'
        ? { serveraddress, identitytoken: Secret }
        : { serveraddress, username: Username, password: Secret };
    }
    if (config.credHelpers?.[registry]) return undefined;
  }
  for (const key of authKeys(registry)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { serveraddress, identitytoken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new RegistryAuthError(`the Docker config entry for ${key} has an "auth" value that is not user:password`, {
          hint: `run docker login ${registry} again`,
        });
      }
      return { serveraddress, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) {
      return { serveraddress, username: entry.username, password: entry.password };
    }
  }
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
