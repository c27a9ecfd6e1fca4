// KB-LAUNCH's root cause: when the image does not start under Kyma's launch, say which of the things
// the controller's script runs is missing, by looking with the image's own shell under the launch's
// user (a container that runs a few builtin tests and exits). No `sh` at all is itself the answer.
import { KYMA_GROUPS, KYMA_USER } from '../platform/kyma.js';
import { ROLE_LABEL, type Session } from './session.js';

const NODE_SCRIPT = `
for c in npm node; do command -v "$c" >/dev/null 2>&1 || echo "missing: $c (not on PATH)"; done
f=/usr/src/app/package.json
if [ -f "$f" ]; then
  s=; while IFS= read -r l || [ -n "$l" ]; do s="$s$l"; done < "$f"
  case "$s" in *'"start"'*) ;; *) echo "missing: a \\"start\\" script in $f (the launch runs npm start in /usr/src/app)";; esac
else
  echo "missing: $f (the launch runs npm start in /usr/src/app)"
fi
`;

const PYTHON_SCRIPT = `
for c in pip python; do command -v "$c" >/dev/null 2>&1 || echo "missing: $c (not on PATH)"; done
[ -f /server.py ] || [ -f /kubeless.py ] || echo "missing: /server.py (the launch runs python server.py in /, or kubeless.py when it exists)"
`;

/** What the launch needs and the image lacks, one phrase each; empty when all of it is there. */
export async function diagnoseKymaLaunch(session: Session): Promise<string[]> {
  const script = session.runtime.family === 'nodejs' ? NODE_SCRIPT : PYTHON_SCRIPT;
  const container = await session.engine.createContainer({
    image: session.imageRef,
    purpose: 'rtcheck',
    labels: { [ROLE_LABEL]: 'kb-diagnose' },
    network: 'none',
    entrypoint: ['sh'],
    cmd: ['-c', script],
    user: KYMA_USER,
    groupAdd: [...KYMA_GROUPS],
    readOnlyRootfs: true,
    capDrop: ['ALL'],
    securityOpt: ['no-new-privileges'],
  });
  session.track(container);
  try {
    try {
      await container.start();
    } catch (error) {
      return [`sh (the controller's command is \`sh -c SCRIPT\`; the engine said: ${error instanceof Error ? error.message : String(error)})`];
    }
    await container.wait({ signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    const { stdout } = await container.logs();
    return stdout
      .split('\n')
      .filter((line) => line.startsWith('missing: '))
      .map((line) => line.slice('missing: '.length));
  } finally {
    await container.remove();
  }
}
