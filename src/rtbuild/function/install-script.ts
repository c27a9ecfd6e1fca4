// What the deps stage runs (rtbuild/tools/ in the build context): install.sh and two small helpers in
// the runtime's own language (a Node or Python base has node or python3; nothing else is assumed).
// FIN-SECRETS, whatever a package's scripts do (issue 15, item 7):
//   1. npm fetches with the credential and `--ignore-scripts`: no package code runs while it is there;
//      the secret mount is root's, mode 0400;
//   2. install scripts (`npm rebuild`, the root package's `prepare`) run as the base image's
//      unprivileged user, who cannot read it; pip runs as that user too (pip reads the credential, so a
//      package's setup.py could; step 3 is the guard);
//   3. scan.js / scan.py look for every secret value of the credential in the installed files (and
//      their names, and symlink targets) and fail the build with exit code SCAN_EXIT, naming the files.
import { posix } from 'node:path';
import type { RuntimeFamily } from '../../platform/runtimes.js';
import { type DepsLayout, SECRET_FILES, STAGE_SECRETS, STAGE_TOOLS } from './dockerfile.js';

/** install.sh's exit code when the scan found a credential: the build failed for that reason. */
export const SCAN_EXIT = 86;
/** install.sh announces each command it runs with this prefix; a failure names the last one. */
export const INSTALL_MARKER = 'rtbuild: ';
/** The scan's output lines: "rtbuild-scan: found in <path>". */
export const SCAN_LINE = 'rtbuild-scan: a registry credential is in ';

export interface InstallPlan {
  family: RuntimeFamily;
  layout: DepsLayout;
  lockfile: string | undefined;
  /** A credential file is at STAGE_SECRETS/credential (and the values to scan for at …/scan). */
  credential: boolean;
  /** "copy": the files were copied in and must be removed (classic builder); "mount": secret mounts. */
  secrets: 'mount' | 'copy';
  /** uid:gid the install scripts run as. */
  user: { uid: string; gid: string };
  /**
   * Node: the Function's own package.json has install scripts (preinstall, install, postinstall) / a
   * prepare script. Undefined: not known, both steps run.
   */
  rootScripts?: { install: boolean; prepare: boolean };
}

/** Which lifecycle scripts of a package.json's "scripts" npm runs on install, and prepare. */
export function rootScriptsOf(manifest: unknown): { install: boolean; prepare: boolean } {
  const scripts = (manifest as { scripts?: Record<string, unknown> } | null)?.scripts ?? {};
  const has = (name: string): boolean => typeof scripts[name] === 'string' && scripts[name] !== '';
  return { install: ['preinstall', 'install', 'postinstall'].some(has), prepare: has('prepare') };
}

const NODE_DROP = `// rtbuild: runs a command as another user (install scripts without root, without the credential).
const [uid, gid, command, ...args] = process.argv.slice(2);
process.setgroups([Number(gid)]);
process.setgid(Number(gid));
process.setuid(Number(uid));
const run = require('child_process').spawnSync(command, args, { stdio: 'inherit' });
process.exit(run.status === null ? 1 : run.status);
`;

const NODE_SCAN = `// rtbuild: fails when a value of the registry credential is in the installed dependencies (FIN-SECRETS).
const fs = require('fs');
const path = require('path');
const [dir, valuesFile] = process.argv.slice(2);
const values = fs.readFileSync(valuesFile, 'utf8').split('\\n').filter(Boolean).map((line) => Buffer.from(line, 'base64'));
const hits = [];
const has = (bytes) => values.some((value) => bytes.includes(value));
const walk = (folder) => {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const file = path.join(folder, entry.name);
    if (has(Buffer.from(file))) hits.push(file);
    else if (entry.isSymbolicLink()) { if (has(Buffer.from(fs.readlinkSync(file)))) hits.push(file); }
    else if (entry.isDirectory()) walk(file);
    else if (entry.isFile() && has(fs.readFileSync(file))) hits.push(file);
  }
};
if (values.length > 0 && fs.existsSync(dir)) walk(dir);
for (const hit of hits) console.log(${JSON.stringify(SCAN_LINE)} + hit);
process.exit(hits.length > 0 ? ${SCAN_EXIT} : 0);
`;

const PYTHON_DROP = `# rtbuild: runs a command as another user (install scripts without root).
import os, sys
uid, gid = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([gid]); os.setgid(gid); os.setuid(uid)
os.execvp(sys.argv[3], sys.argv[3:])
`;

const PYTHON_SCAN = `# rtbuild: fails when a value of the registry credential is in the installed dependencies (FIN-SECRETS).
import base64, os, sys
folder, values_file = sys.argv[1], sys.argv[2]
with open(values_file, 'rb') as f:
    values = [base64.b64decode(line) for line in f.read().split(b'\\n') if line]
hits = []
def has(data):
    return any(value in data for value in values)
if values and os.path.isdir(folder):
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            if has(os.fsencode(path)):
                hits.append(path)
            elif os.path.islink(path):
                if has(os.fsencode(os.readlink(path))):
                    hits.append(path)
            elif name in files and os.path.isfile(path):
                with open(path, 'rb') as f:
                    if has(f.read()):
                        hits.append(path)
for hit in hits:
    print(${JSON.stringify(SCAN_LINE)} + hit, flush=True)
sys.exit(${SCAN_EXIT} if hits else 0)
`;

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** install.sh for the plan. */
export function installScript(plan: InstallPlan): string {
  const { workDir, target } = plan.layout;
  const { uid, gid } = plan.user;
  const credential = posix.join(STAGE_SECRETS, SECRET_FILES.credential);
  const scan = posix.join(STAGE_SECRETS, SECRET_FILES.scan);
  const node = plan.family === 'nodejs';
  const lines = ['# Generated by rtbuild: installs the Function\'s dependencies (see install-script.ts).', 'set -eu', `cd ${quote(workDir)}`];
  if (plan.credential && plan.secrets === 'copy') {
    // Copied files: readable only by root (npm's fetch) or by the install user (pip), as the mounts are.
    lines.push(`chmod 0400 ${credential} ${scan}`, node ? `chown 0:0 ${credential}` : `chown ${uid}:${gid} ${credential}`);
  }
  const asUser = (command: string): string =>
    node ? `HOME=/tmp npm_config_cache=/tmp/rtbuild-npm-cache node ${STAGE_TOOLS}/drop.js ${uid} ${gid} ${command}` : `HOME=/tmp python3 ${STAGE_TOOLS}/drop.py ${uid} ${gid} ${command}`;
  if (node) {
    const verb = plan.lockfile ? 'ci' : 'install';
    const fetch = `npm ${verb} --omit=dev --ignore-scripts --install-links --no-audit --no-fund --no-update-notifier${plan.credential ? ` --userconfig ${credential}` : ''}`;
    lines.push(
      `echo ${quote(`rtbuild: ${fetch}`)}`,
      fetch,
      `mkdir -p ${quote(target)}`,
      `chown -R ${uid}:${gid} ${quote(workDir)}`,
    );
    // Each npm run costs the build a Node and npm start (~0.3 s here: issue 16), so each runs only when
    // it has something to do: npm rebuild when the Function or an installed package has install scripts
    // (npm marks such packages "hasInstallScript" in node_modules/.package-lock.json; without grep it
    // runs), the Function's prepare when it has one. What runs, runs as before: as the user, no credential.
    const rebuild = [`echo ${quote(`rtbuild: npm rebuild (install scripts) as user ${uid}, without the credential`)}`, asUser('npm rebuild --foreground-scripts')];
    if (plan.rootScripts?.install === false) {
      lines.push(`if ! command -v grep >/dev/null 2>&1 || grep -qs '"hasInstallScript": true' node_modules/.package-lock.json; then`, ...rebuild.map((line) => `  ${line}`), 'fi');
    } else {
      lines.push(...rebuild);
    }
    if (plan.rootScripts?.prepare !== false) {
      lines.push(`echo ${quote(`rtbuild: npm run prepare as user ${uid}, without the credential`)}`, asUser('npm run --if-present --foreground-scripts prepare'));
    }
  } else {
    const config = plan.credential ? `PIP_CONFIG_FILE=${credential} ` : '';
    const pip = `python3 -m pip install --no-cache-dir --disable-pip-version-check --no-warn-script-location --target ${quote(target)} -r requirements.txt`;
    lines.push(
      `mkdir -p ${quote(target)}`,
      `chown -R ${uid}:${gid} ${quote(workDir)} ${quote(target)}`,
      `echo ${quote(`rtbuild: ${pip} (as user ${uid})`)}`,
      `${config}${asUser(pip)}`,
    );
  }
  if (plan.credential) lines.push(`${node ? 'node' : 'python3'} ${STAGE_TOOLS}/scan.${node ? 'js' : 'py'} ${quote(target)} ${scan}`);
  if (plan.credential && plan.secrets === 'copy') lines.push(`rm -rf ${STAGE_SECRETS}`);
  lines.push(`chmod -R u=rwX,go=rX ${quote(target)}`);
  return `${lines.join('\n')}\n`;
}

/** The files of rtbuild/tools/ for the plan: install.sh, drop and scan. */
export function installTools(plan: InstallPlan): { name: string; content: string }[] {
  const node = plan.family === 'nodejs';
  return [
    { name: 'install.sh', content: installScript(plan) },
    { name: node ? 'drop.js' : 'drop.py', content: node ? NODE_DROP : PYTHON_DROP },
    { name: node ? 'scan.js' : 'scan.py', content: node ? NODE_SCAN : PYTHON_SCAN },
  ];
}

/** The scan file: each secret value, base64, one a line. */
export function scanValues(secrets: readonly string[]): Buffer {
  return Buffer.from(secrets.map((value) => `${Buffer.from(value).toString('base64')}\n`).join(''));
}
