// Which history entries made which layers. The engine's history API lists every entry of the image
// config's history with the size of the layer it made, but not whether it made one (its "empty_layer"
// flag stays inside the engine): ENV, LABEL, USER and the like never do; COPY, ADD and RUN usually do,
// and BuildKit records a RUN that changed nothing as empty. So the layers are paired with the entries
// that can make one, or else with the entries that added bytes; when neither count fits, sizes stay
// unknown rather than wrong.
import type { AddedLayer, HistoryEntry } from './types.js';

/** Instructions that change only the image config. */
const CONFIG_ONLY = new Set(['ARG', 'CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME']);

/**
 * The Dockerfile instruction of a history entry:
 *   classic:  "/bin/sh -c #(nop)  ENV A=1", "/bin/sh -c #(nop) COPY dir:… in / ", "/bin/sh -c npm ci", "|2 a=1 b=2 /bin/sh -c …"
 *   BuildKit: "ENV A=1", "COPY --chown=0:0 function/ / # buildkit", "RUN /bin/sh -c npm ci # buildkit"
 */
export function instructionOf(createdBy: string): string {
  const text = createdBy.trim();
  const nop = /^\/bin\/sh -c #\(nop\)\s+(\S+)/.exec(text);
  if (nop) return (nop[1] as string).toUpperCase();
  if (text.startsWith('/bin/sh -c') || text.startsWith('|')) return 'RUN';
  return (/^(\S+)/.exec(text)?.[1] ?? '').toUpperCase();
}

/** Pairs the added layers (bottom first) with the history entries the build added (oldest first). */
export function pairLayersWithHistory(diffIds: readonly string[], added: readonly HistoryEntry[]): AddedLayer[] {
  const layerMaking = added.filter((entry) => !CONFIG_ONLY.has(instructionOf(entry.createdBy)));
  const withBytes = added.filter((entry) => entry.size > 0);
  const makers = layerMaking.length === diffIds.length ? layerMaking : withBytes.length === diffIds.length ? withBytes : undefined;
  return diffIds.map((diffId, index) => {
    const entry = makers?.[index];
    return { diffId, size: entry?.size, createdBy: entry?.createdBy };
  });
}
