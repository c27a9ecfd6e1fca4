// Credential files for the dependency stage (.npmrc, pip.conf) and the redaction of their secrets
// from every line rtbuild prints. The files go into the build context under rtbuild/secrets/ and
// exist only in the deps stage (FIN-SECRETS).
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';

export interface CredentialFile {
  /** Name inside the deps stage's secrets folder: "npmrc" or "pip.conf". */
  name: 'npmrc' | 'pip.conf';
  content: Buffer;
  /** Values that must never be printed. */
  secrets: string[];
}

const SECRET_KEY = /(_auth(token)?|_password|password|token|secret|client-key|cert(file)?|keyfile)\s*$/i;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+)(?::([^/\s@]+))?@/gi;

/** The values of "key = value" lines whose key names a secret, and passwords inside URLs. */
export function secretValues(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0 && !/^\s*[#;]/.test(line) && SECRET_KEY.test(line.slice(0, eq))) {
      const value = line.slice(eq + 1).trim().replace(/^["']|["']$/g, '');
      if (value !== '') found.add(value);
    }
    for (const match of line.matchAll(URL_USERINFO)) {
      if (match[3]) found.add(match[3]);
    }
  }
  // npm's _auth is base64 of user:password; its decoded form must not leak either.
  for (const value of [...found]) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (/^[A-Za-z0-9+/]+=*$/.test(value) && colon > 0 && /^[\x20-\x7e]+$/.test(decoded)) found.add(decoded.slice(colon + 1));
  }
  return [...found].filter((value) => value.length >= 4);
}

export async function readCredentialFile(path: string, name: CredentialFile['name']): Promise<CredentialFile> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (cause) {
    throw new InvalidInputError(`cannot read the credential file ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      cause,
      hint: name === 'npmrc' ? 'pass an existing .npmrc with --npmrc' : 'pass an existing pip.conf with --pip-conf',
    });
  }
  return { name, content, secrets: secretValues(content.toString('utf8')) };
}

export type Redactor = (text: string) => string;

/** Replaces the given secrets and any password inside a URL with "***". */
export function createRedactor(secrets: readonly string[]): Redactor {
  const sorted = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(URL_USERINFO, (_all, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
    );
    for (const secret of sorted) out = out.split(secret).join('***');
    return out;
  };
}
