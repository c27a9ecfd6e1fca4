// Section 12, override images for Kyma's buildless launch, judged from the Function resource that runs
// the image (`rtcheck IMAGE --function function.yaml`): the resource names the image and carries no
// dependencies (OVR-MANIFEST), and the image runs that Function's inline source under the launch with
// no package registry reachable, its dependencies baked in (OVR-BAKED).
import { freeLoopbackPort } from '../../platform/ports.js';
import { type Check, type CheckContext, PROBE_READY_PATH, failure } from '../check.js';
import { fail, pass } from '../result.js';

function fnOf(ctx: CheckContext): NonNullable<CheckContext['fn']> {
  if (!ctx.fn) throw new Error('section 12 is checked with --function only');
  return ctx.fn;
}

/** "registry/repo:tag@sha256:…" → its digest, or undefined. */
function digestOf(reference: string): string | undefined {
  return /@(sha256:[0-9a-f]{64})$/.exec(reference)?.[1];
}

export const overrideChecks: Check[] = [
  {
    clause: 'OVR-MANIFEST',
    launch: 'kyma',
    placement: 'static',
    run: (ctx) => {
      const { resource } = fnOf(ctx);
      const spec = resource.spec;
      const name = `the Function ${resource.metadata.name}`;
      const problems: string[] = [];
      const declared = ctx.image.env.FUNC_RUNTIME;
      if (declared && spec.runtime !== declared) problems.push(`runtime is ${spec.runtime}, but the image declares FUNC_RUNTIME=${declared}`);
      const override = spec.runtimeImageOverride;
      if (!override) problems.push('it has no runtimeImageOverride, so Kyma would run its own image, not this one');
      else {
        const digest = digestOf(override);
        const ours = ctx.image.repoDigests.map((ref) => ref.slice(ref.indexOf('@') + 1));
        if (digest && !ours.includes(digest) && ctx.image.id !== digest) problems.push(`runtimeImageOverride is pinned to ${digest}, which is not this image (${ours.join(', ') || ctx.image.id})`);
        if (!digest && override !== ctx.imageRef && !ctx.image.repoTags.includes(override)) problems.push(`runtimeImageOverride names ${override}, not ${ctx.imageRef}`);
      }
      if (!spec.source.inline) problems.push('its sources are in Git, not inline');
      if (spec.source.inline?.dependencies?.trim()) problems.push('it still has source.inline.dependencies: every pod would install them at start (they belong in the image)');
      const hint = 'let rtbuild --for kyma --manifest FILE write the Function: it pins runtimeImageOverride by digest after --push and leaves the dependencies in the image';
      if (problems.length) return fail(`${name}: ${problems.join('; ')}`, {}, hint);
      return pass(`${name} runs ${override ?? ''} (${digestOf(override ?? '') ? 'pinned by digest' : 'by tag'}) with runtime ${spec.runtime}, inline sources and no dependencies to install`);
    },
  },
  {
    clause: 'OVR-BAKED',
    launch: 'kyma',
    placement: 'own',
    needs: ['OVR-MANIFEST'],
    run: async (ctx) => {
      const { kyma, resource } = fnOf(ctx);
      const tools = ctx.kyma;
      if (!tools) throw new Error("OVR-BAKED runs under Kyma's launch");
      // The registry Secret names a registry nothing listens on: an install that needs one fails.
      const dead = `http://127.0.0.1:${await freeLoopbackPort()}`;
      const content = ctx.runtime.family === 'nodejs' ? `registry=${dead}/\n` : `[global]\nindex-url = ${dead}/simple/\n`;
      const subject = await tools.start('ovr-baked', {
        source: { kind: 'inline', source: kyma.source.kind === 'inline' ? kyma.source.source : '', dependencies: '' },
        registryConfig: { kind: 'file', content },
        env: Object.fromEntries(kyma.env),
      });
      try {
        const hint = 'bake the Function\'s dependencies where the launch finds them (Node: /usr/src/app/node_modules; Python: a folder on PYTHONPATH outside /kubeless and /.local): rtbuild --for kyma does';
        const ready = await subject.waitReady(Math.min(tools.startupBudgetMs, ctx.remainingMs()), { fallbackPath: PROBE_READY_PATH });
        if (!ready.ready) return failure(`the Function ${resource.metadata.name} under Kyma's launch, without dependencies to install and no registry reachable: ${ready.reason}`, undefined, subject, hint);
        const answer = await subject.call({ path: '/' });
        if (answer.status === undefined || answer.status >= 500) return failure(`the Function ${resource.metadata.name} answered GET / with ${answer.status ?? 'nothing'}: a dependency it needs is not in the image?`, answer, subject, hint);
        return pass(`the Function ${resource.metadata.name} started ${ready.ms} ms after start with no registry reachable and answered GET / with ${answer.status}`);
      } finally {
        await subject.remove();
      }
    },
  },
];
