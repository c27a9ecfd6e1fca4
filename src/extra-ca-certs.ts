// NODE_EXTRA_CA_CERTS without its cost at start (issue 16). Node 20 reads and parses the whole file it
// names before the first line of JavaScript runs, at every start, TLS or not: 60 ms on these machines
// (`node -e 0` 94 against 35 ms; `rtbuild --help` 134 against 78 ms), a fifth of a fast rebuild, which
// opens no TLS connection at all. Node 22 and later read it when TLS first needs it.
// So the commands (bin/rtbuild, bin/rtcheck: shell launchers) start node without it and hand the path
// over in HANDED_OVER. Then this process adds those certificates itself to the TLS connections it opens
// (the registry client; an engine over TLS without its own CA), on top of Node's bundled roots, as Node
// would have; and child processes (npm in a base image build, credential helpers) get
// NODE_EXTRA_CA_CERTS back. The launcher leaves the variable alone when NODE_OPTIONS picks another CA
// store (--use-openssl-ca, --use-system-ca): then the defaults are not Node's bundled roots.
// node:tls is imported only when a TLS connection is opened: this module is loaded at every start.
import { readFileSync } from 'node:fs';
import type { SecureContext } from 'node:tls';

/** Where the launchers put NODE_EXTRA_CA_CERTS's path for this process to load when TLS needs it. */
export const HANDED_OVER = 'RT_EXTRA_CA_CERTS';

/** At a command's start: child processes get NODE_EXTRA_CA_CERTS as the user set it. */
export function restoreExtraCaCertsForChildren(env: NodeJS.ProcessEnv = process.env): void {
  const path = env[HANDED_OVER];
  if (path && !env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = path;
}

let loaded: { path: string; context: SecureContext | undefined } | undefined;

/**
 * TLS options for a connection this process opens with the default trust: Node's bundled roots and
 * the handed-over certificates, as one secure context made once. Empty when nothing was handed over.
 * A file that cannot be read is reported once and ignored, as Node does with NODE_EXTRA_CA_CERTS.
 */
export async function extraCaTrust(env: NodeJS.ProcessEnv = process.env): Promise<{ secureContext?: SecureContext }> {
  const path = env[HANDED_OVER];
  if (!path) return {};
  if (loaded?.path !== path) {
    const { createSecureContext, rootCertificates } = await import('node:tls');
    let context: SecureContext | undefined;
    try {
      context = createSecureContext({ ca: [...rootCertificates, readFileSync(path, 'utf8')] });
    } catch (error) {
      process.emitWarning(`Ignoring extra certs from \`${path}\`, load failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    loaded = { path, context };
  }
  return loaded.context ? { secureContext: loaded.context } : {};
}
