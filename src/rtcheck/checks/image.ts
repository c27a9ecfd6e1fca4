// Section 1, the image: its config (user, volume, runtime id, signals, port) and how it runs under
// the restricted profile and under an arbitrary UID.
import { type Check, type LaunchOptions, failure, launcher } from '../check.js';
import { blocked, fail, pass } from '../result.js';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

/** "sh -c …" as the command line, unless the script execs the server (then the shell is gone). */
export function shellWrapper(commandLine: readonly string[]): string | undefined {
  const [program, flag, script] = commandLine;
  if (program === undefined) return undefined;
  const name = program.split('/').pop() ?? program;
  if (!SHELLS.has(name) || !flag?.startsWith('-') || !flag.includes('c')) return undefined;
  if (script !== undefined && /^\s*exec\s/.test(script)) return undefined;
  return commandLine.join(' ');
}

async function servesProbe(ctx: Parameters<Check['run']>[0], role: string, options: LaunchOptions, what: string) {
  const subject = await launcher(ctx)(role, options);
  const ready = await ctx.waitReady(subject);
  if (!ready.ready) return failure(`${what}: ${ready.reason}`, undefined, subject);
  const answer = await subject.call({ path: '/value/string' });
  if (answer.status !== 200 || answer.text !== 'hello') return failure(`${what}: the function did not answer 200 "hello"`, answer, subject);
  return pass(`${what}: ready in ${ready.ms} ms and the function answers`);
}

export const imageChecks: Check[] = [
  {
    clause: 'IMG-USER',
    placement: 'static',
    quick: true,
    run: (ctx) => {
      const user = ctx.image.user;
      const [name = '', group] = user.split(':');
      if (user === '') return fail('the image sets no USER, so it runs as root', {}, 'add `USER 1000` (numeric) to the Dockerfile');
      if (!/^\d+$/.test(name)) return fail(`the image user "${user}" is a name, which runAsNonRoot cannot verify`, {}, 'use the numeric uid, e.g. `USER 1000` or `USER 1000:1000`');
      if (Number(name) === 0) return fail(`the image user "${user}" is root`, {}, 'use a non-root numeric uid, e.g. `USER 1000`');
      return pass(`user ${name}${group === undefined ? '' : `:${group}`} is numeric and not root`);
    },
  },
  {
    clause: 'IMG-VOLUME',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: async (ctx) => {
      const volume = ctx.image.env.KUBELESS_INSTALL_VOLUME;
      if (!volume) return fail('the image config does not set KUBELESS_INSTALL_VOLUME', {}, 'add `ENV KUBELESS_INSTALL_VOLUME=/kubeless`');
      if (!volume.startsWith('/')) return fail(`KUBELESS_INSTALL_VOLUME="${volume}" is not an absolute path`);
      // The platform may mount the sources elsewhere: the runtime must follow the variable.
      const relocated = '/rtcheck-relocated';
      const result = await servesProbe(ctx, 'volume', { volume: relocated, env: { KUBELESS_INSTALL_VOLUME: relocated } }, `with the sources in ${relocated} (KUBELESS_INSTALL_VOLUME=${relocated})`);
      if (result.status !== 'pass') result.hint = 'read the function from $KUBELESS_INSTALL_VOLUME at start-up, not from a fixed path';
      return result.status === 'pass' ? pass(`KUBELESS_INSTALL_VOLUME=${volume}; ${result.message}`) : result;
    },
  },
  {
    clause: 'IMG-RUNTIME',
    placement: 'static',
    quick: true,
    run: (ctx) => {
      const declared = ctx.image.env.FUNC_RUNTIME;
      if (!declared) return fail('the image config does not set FUNC_RUNTIME', {}, `add \`ENV FUNC_RUNTIME=${ctx.runtime.id}\``);
      if (declared !== ctx.runtime.id) return fail(`FUNC_RUNTIME="${declared}" but the image was checked as ${ctx.runtime.id}`);
      return pass(`FUNC_RUNTIME=${declared}`);
    },
  },
  {
    clause: 'IMG-SIGNALS',
    placement: 'static',
    quick: true,
    run: (ctx) => {
      const entrypoint = ctx.image.entrypoint ?? [];
      const cmd = ctx.image.cmd ?? [];
      const wrapped = shellWrapper(entrypoint.length > 0 ? entrypoint : cmd);
      if (wrapped) {
        return fail(`the server starts under a shell: ${JSON.stringify(wrapped)}; the shell as PID 1 does not forward SIGTERM`, {}, 'use exec form: CMD ["node", "server.js"] (or `exec` the server from the script)');
      }
      if (entrypoint.length === 0 && cmd.length === 0) return fail('the image has neither ENTRYPOINT nor CMD');
      return pass(`exec form: ${JSON.stringify([...entrypoint, ...cmd])}`);
    },
  },
  {
    clause: 'IMG-PORT-EXPOSE',
    placement: 'static',
    quick: true,
    run: (ctx) =>
      ctx.image.exposedPorts.includes('8080/tcp')
        ? pass('exposes 8080/tcp')
        : fail(`exposes ${ctx.image.exposedPorts.join(', ') || 'no port'}, not 8080/tcp`, {}, 'add `EXPOSE 8080`'),
  },
  {
    clause: 'IMG-RESTRICTED',
    placement: 'startup',
    quick: true,
    run: (ctx) => {
      const { startup } = ctx;
      if (startup.ready && startup.restricted) return pass('serves under read-only root, tmpfs /tmp, no capabilities, no-new-privileges');
      if (startup.ready && startup.restrictedFailure) {
        return fail(`fails under the restricted profile (${startup.restrictedFailure.reason}) but works without it`, { logTail: startup.restrictedFailure.logTail }, 'write only to /tmp; do not need a writable HOME or root filesystem, nor capabilities');
      }
      return blocked(['LOAD-READY']);
    },
  },
  {
    clause: 'IMG-ANYUID',
    placement: 'own',
    // A runtime that does not come up at all (LOAD-READY) would fail this for the same reason.
    needsRunning: true,
    run: (ctx) => servesProbe(ctx, 'anyuid', { user: '123456:0' }, 'as user 123456:0'),
  },
];
