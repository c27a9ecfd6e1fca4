// The runtime table (src/platform/runtimes.ts) for the shell scripts, so that they never list runtime
// ids of their own. One line per base image the project ships:
//   ID FAMILY VERSION FOLDER DEV_TAG UPSTREAM_ENV [KEY=VALUE build arguments...]
// Usage: node --import tsx scripts/runtime-table.ts
import { PROJECT_RUNTIMES } from '../src/platform/runtimes.js';

for (const runtime of PROJECT_RUNTIMES) {
  const project = runtime.project;
  if (!project) continue;
  const args = Object.entries(project.buildArgs).map(([key, value]) => `${key}=${value}`);
  process.stdout.write(`${[runtime.id, runtime.family.name, runtime.version, project.folder, project.devTag, project.upstreamEnv, ...args].join(' ')}\n`);
}
