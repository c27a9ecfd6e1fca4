// What `rtbuild base` reads of a runtime image's Dockerfile before building it: whether it takes its base
// from the BASE_IMAGE argument (so that --base-image changes what it builds FROM), and which image its
// final stage is built FROM (the upstream, whose labels must not pass for the new image's: issue 12).
// Only the forms runtime Dockerfiles use are understood: global `ARG NAME[=default]` before the first
// FROM, `FROM image [AS name]` with $NAME / ${NAME} in the image, stages named by AS.

/** Instruction lines: comments dropped, continuation lines joined. */
function instructions(dockerfile: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of dockerfile.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending.trim() !== '') lines.push(pending.trim());
  return lines;
}

export interface DockerfileBase {
  /** A global `ARG BASE_IMAGE` is declared and some FROM uses it. */
  takesBaseImage: boolean;
  /** The final stage's base image with the given arguments and the defaults; undefined when it cannot be told. */
  finalFrom: string | undefined;
}

export function dockerfileBase(dockerfile: string, buildArgs: Readonly<Record<string, string>>): DockerfileBase {
  const globals: Record<string, string | undefined> = {};
  const stages = new Map<string, string | undefined>();
  let seenFrom = false;
  let usesBaseImage = false;
  let finalFrom: string | undefined;
  const expand = (text: string): string | undefined => {
    let unknown = false;
    const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_match, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const found = buildArgs[name] ?? globals[name];
      if (found === undefined) unknown = true;
      return found ?? '';
    });
    return unknown || value === '' ? undefined : value;
  };
  for (const line of instructions(dockerfile)) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    if (/^ARG$/i.test(instruction) && !seenFrom) {
      for (const declaration of rest) {
        const eq = declaration.indexOf('=');
        const name = eq < 0 ? declaration : declaration.slice(0, eq);
        globals[name] = eq < 0 ? undefined : declaration.slice(eq + 1).replace(/^"(.*)"$/, '$1');
      }
    } else if (/^FROM$/i.test(instruction)) {
      seenFrom = true;
      const args = rest.filter((arg) => !arg.startsWith('--'));
      const image = args[0] ?? '';
      if (/\$\{?BASE_IMAGE\}?/.test(image)) usesBaseImage = true;
      const expanded = expand(image);
      // FROM an earlier stage: its base.
      const resolved = expanded !== undefined && stages.has(expanded.toLowerCase()) ? stages.get(expanded.toLowerCase()) : expanded;
      if (args.length >= 3 && /^AS$/i.test(args[1] as string)) stages.set((args[2] as string).toLowerCase(), resolved);
      finalFrom = resolved;
    }
  }
  return { takesBaseImage: usesBaseImage && 'BASE_IMAGE' in globals, finalFrom };
}
