// `rtbuild base`: build a runtime base image, then publish it under its version tag and a tag with the
// git revision, through the contract gate: rtcheck runs once, before the first name is given, and an
// image that fails it is published nowhere (and named nowhere: it stays an untagged image, found by the
// id the error gives). Without --push the destination is the local engine.
import type { Engine } from '../../engine/index.js';
import { type RtError, isRtError } from '../../errors.js';
import { formatReference, withTag } from '../../image/reference.js';
import { type ContractVerdict, contractGate } from '../publish/contract-gate.js';
import { enginePublisher } from '../publish/engine.js';
import { gatedPublisher } from '../publish/gated.js';
import { type Publisher, publishAll, publishedEntry } from '../publish/publisher.js';
import { registryPublisher } from '../publish/registry.js';
import { buildBaseImage } from './builder.js';
import type { BaseImageRequest } from './request.js';

type Reporter = (line: string) => void;

/** What `rtbuild base --json` prints, also when the gate refused the image (with `error`). */
export interface BaseImageResult {
  imageId: string;
  tags: string[];
  /** Undefined when rtcheck did not get to run (the publishing failed before). */
  conformance: ContractVerdict | undefined;
  pushed: { reference: string; digest: string }[];
  timingsMs: { prepare: number; build: number; check: number; push: number };
}

/** The result, and the failure that ended the run after the build (the gate's refusal, a failed push). */
export interface BaseImageOutcome {
  result: BaseImageResult;
  failure: RtError | undefined;
}

export async function releaseBaseImage(engine: Engine, request: BaseImageRequest, report: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<BaseImageOutcome> {
  const image = await buildBaseImage(engine, request, report, env);
  const references = [request.tag, ...(image.revision ? [withTag(request.tag, image.revision.slice(0, 12))] : [])];
  const contract = contractGate({ engine, runtime: request.runtime?.id, strict: request.strict, report });
  const registry = registryPublisher(engine, { env });
  const destination: Publisher = request.push
    ? {
        publish(built, reference) {
          report(`rtbuild base: pushing ${formatReference(reference)}`);
          return registry.publish(built, reference);
        },
      }
    : enginePublisher(engine);
  const publisher = gatedPublisher(destination, contract.gate);

  const started = Date.now();
  let failure: RtError | undefined;
  const published = await publishAll(publisher, image, references).catch((error: unknown) => {
    if (!isRtError(error)) throw error;
    failure = error;
    return [];
  });
  const verdict = contract.verdict();
  const pushed = request.push ? published.map(publishedEntry) : [];
  for (const entry of pushed) report(`rtbuild base: pushed ${entry.reference}@${entry.digest}`);
  const check = verdict?.ms ?? 0;
  return {
    result: {
      imageId: image.id,
      tags: references.map(formatReference),
      conformance: verdict,
      pushed,
      timingsMs: { ...image.timingsMs, check, push: request.push && !failure ? Date.now() - started - check : 0 },
    },
    failure,
  };
}
