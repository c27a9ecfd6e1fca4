// Kyma's buildless launch (contract section 11): how Kyma Serverless's controller runs a Function's
// pod today, written down once, so that rtcheck, the tests and the benchmarks start an image exactly as
// Kyma would. The reference is the controller's deployment.go at the revision below; every value here
// (command, script, working directory, volumes, user, environment and its order) follows it.
import { posix } from 'node:path';
import type { Family } from './runtimes.js';

/** The controller revision this emulation follows (the report names it). */
export const KYMA_CONTROLLER = Object.freeze({
  repository: 'kyma-project/serverless',
  path: 'components/buildless-serverless/internal/controller/resources/deployment.go',
  revision: '779485d',
  date: '2026-08-21',
});

export function kymaControllerName(): string {
  return `${KYMA_CONTROLLER.repository} ${KYMA_CONTROLLER.path} @ ${KYMA_CONTROLLER.revision} (${KYMA_CONTROLLER.date})`;
}

/** The pod's user, group and supplementary group (podSecurityContext). */
export const KYMA_USER = '1000:1000';
export const KYMA_GROUPS: readonly string[] = ['1000'];
/** Where the init container leaves a Git Function's sources (KB-GIT). */
export const GIT_SOURCES = '/git-repository';
/** The Secret with the package registry credentials, mounted into the working directory (KB-DEPS). */
export const REGISTRY_CONFIG_DIR = 'package-registry-config';

/** Where the Function's sources come from. */
export type KymaSource =
  | { readonly kind: 'inline'; readonly source: string; readonly dependencies: string }
  | { readonly kind: 'git' };

/**
 * SCRIPT of `sh -c SCRIPT`, line for line as runtimeCommand() builds it: the sources, the dependency
 * install, the start. (`set -e;` first; lines joined with newlines.)
 */
export function kymaScript(family: Family, source: KymaSource): string {
  const lines = ['set -e;'];
  const node = family.name === 'nodejs';
  if (source.kind === 'git') {
    const copy: string[] = [];
    if (node) copy.push('echo "{}" > package.json;');
    copy.push(`cp -r ${GIT_SOURCES}/src/* .;`);
    lines.push(copy.join('\n'));
  } else {
    const write = [node ? 'echo "{}" > package.json;' : 'echo "" > requirements.txt;', `echo "\${FUNC_HANDLER_SOURCE}" > ${family.kyma.handlerFile};`];
    if (source.dependencies !== '') write.push(`echo "\${FUNC_HANDLER_DEPENDENCIES}" > ${node ? 'package.json' : 'requirements.txt'};`);
    lines.push(write.join('\n'));
  }
  if (node) {
    lines.push(`NPM_CONFIG_USERCONFIG=${REGISTRY_CONFIG_DIR}/.npmrc npm install --prefer-offline --no-audit --progress=false;`);
    lines.push('cd ..;\nnpm start;');
  } else {
    lines.push(
      'export PYTHONPATH="/kubeless/.local:${PYTHONPATH}"\n' +
        `PIP_CONFIG_FILE=${REGISTRY_CONFIG_DIR}/pip.conf pip install --target=/kubeless/.local --no-cache-dir -r requirements.txt;`,
    );
    lines.push('cd ..;\nif [ -f "./kubeless.py" ]; then\n  # old file location support\n  python kubeless.py;\nelse\n  python server.py;\nfi');
  }
  return lines.join('\n');
}

export interface KymaFunction {
  /** metadata.name: FUNC_NAME. */
  readonly name: string;
  /** metadata.namespace: SERVICE_NAMESPACE. */
  readonly namespace: string;
  readonly runtimeId: string;
  readonly source: KymaSource;
  /** spec.env, in order. */
  readonly env: readonly (readonly [string, string])[];
}

/** The controller's configuration that reaches every pod. */
export interface KymaConfig {
  readonly traceCollectorEndpoint: string;
  readonly publisherProxyAddress: string;
}

/**
 * The pod's environment in the controller's order: generalEnvs (with the Function's spec.env at its
 * end), then sourceEnvs. Later entries win where names repeat, as in a pod.
 */
export function kymaEnv(family: Family, fn: KymaFunction, config: KymaConfig): [string, string][] {
  const env: [string, string][] = [
    ['FUNC_NAME', fn.name],
    ['FUNC_RUNTIME', fn.runtimeId],
    ['SERVICE_NAMESPACE', fn.namespace],
    ['TRACE_COLLECTOR_ENDPOINT', config.traceCollectorEndpoint],
    ['PUBLISHER_PROXY_ADDRESS', config.publisherProxyAddress],
  ];
  if (family.name === 'python') env.push(['PYTHONUNBUFFERED', 'TRUE'], ['MOD_NAME', 'handler'], ['FUNC_HANDLER', 'main']);
  env.push(...fn.env.map(([name, value]): [string, string] => [name, value]));
  if (fn.source.kind === 'inline') env.push(['FUNC_HANDLER_SOURCE', fn.source.source], ['FUNC_HANDLER_DEPENDENCIES', fn.source.dependencies]);
  if (family.name === 'nodejs') env.push(['HANDLER_PATH', './function/handler.js']);
  else env.push(['FUNCTION_PATH', '/kubeless']);
  return env;
}

/** Where the registry credential file is mounted: package-registry-config/.npmrc or …/pip.conf in the working directory. */
export function registryConfigPath(family: Family): string {
  return posix.join(family.kyma.workingDir, REGISTRY_CONFIG_DIR, family.registryConfigFile);
}
