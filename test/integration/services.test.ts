// The services the project's scripts start for the tests and the main job (scripts/engine.sh,
// registry.sh, podman.sh) outlive the folder that started them: a CI clone is deleted and cloned again
// while they run. Each must run from /, so that nothing it does later depends on that folder. Found
// with Podman: its conmon starts every container in the service's working directory, and once the clone
// that had started the service was gone every container start failed with "write child: broken pipe".
import assert from 'node:assert/strict';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/** Where the scripts keep their logs and pid files (scripts/lib.sh). */
const STATE_DIR = process.env.RT_STATE_DIR ?? '/var/tmp/rt-toolchain';

const SERVICES = [
  { name: 'the Docker engine (scripts/engine.sh)', pidFile: 'dockerd.pid' },
  { name: 'the registry (scripts/registry.sh)', pidFile: 'registry.pid' },
  { name: "Podman's API service (scripts/podman.sh)", pidFile: 'podman.pid' },
];

async function runningPid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(join(STATE_DIR, pidFile), 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return (await readlink(`/proc/${pid}/exe`).catch(() => undefined)) === undefined ? undefined : pid;
}

describe('services started by the project scripts', () => {
  for (const service of SERVICES) {
    test(`${service.name} runs from /, not from the folder that started it`, async (t) => {
      const pid = await runningPid(service.pidFile);
      if (pid === undefined) return t.skip(`${service.name} was not started by the project's script on this machine (no running process in ${join(STATE_DIR, service.pidFile)})`);
      assert.equal(await readlink(`/proc/${pid}/cwd`), '/', `the working directory of ${service.name} (pid ${pid})`);
    });
  }
});
