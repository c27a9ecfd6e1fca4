// The runtime's entry point: the only file that listens, prints start-up lines, handles signals and
// exits. Order matters: telemetry is set up before the user's function is loaded (TR-PROPAGATE), and
// the function is loaded before the port opens, so /healthz is 200 only for a loaded function
// (LOAD-READY, LOAD-FAIL).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHttpServer } from './http-server';
import { LoadError, loadFunction } from './load';
import { consoleLog, describeError, type Log } from './log';
import { OptionsError, parseOptions, type Options } from './options';
import { createRuntime } from './server';
import { setupTelemetry } from './telemetry';

/** Seconds given to the span flush on shutdown. */
const FLUSH_TIMEOUT_MS = 5000;

/** The package the runtime ships as, one for every Node major (the image is nodejs20, 22 or 24 by its base). */
const RUNTIME_PACKAGE = '@rt/nodejs-runtime';

/** The version in the runtime's package.json, found upwards from this file (dist/ or the bundle). */
function runtimeVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 3; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === RUNTIME_PACKAGE && pkg.version !== undefined) return pkg.version;
    } catch {
      // not here
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** Unhandled rejections and exceptions from user callbacks are logged and never kill the server (RES-CRASHSAFE). */
function installCrashGuards(log: Log): void {
  process.on('uncaughtException', (err) => log.error(`uncaught exception (server keeps running): ${describeError(err)}`));
  process.on('unhandledRejection', (reason) => log.error(`unhandled promise rejection (server keeps running): ${describeError(reason)}`));
}

async function main(log: Log): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.env);
  } catch (err) {
    if (err instanceof OptionsError) {
      log.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  installCrashGuards(log);
  const telemetry = setupTelemetry(options, log);

  let fn;
  try {
    fn = await loadFunction(options);
  } catch (err) {
    if (err instanceof LoadError) {
      log.error(err.message); // one line: path and reason (LOAD-FAIL)
      process.exit(1);
    }
    throw err;
  }

  const runtime = createRuntime({ options, fn, telemetry, log });
  const server = createHttpServer(runtime);
  server.on('error', (err) => {
    log.error(`cannot listen on port ${options.FUNC_PORT}: ${err.message}`);
    process.exit(1);
  });
  server.listen(options.FUNC_PORT, options.FUNC_HOST, () => {
    log.info(
      `${options.FUNC_RUNTIME} runtime ${runtimeVersion()} (node ${process.version}): loaded '${fn.exportName}' from ${fn.file} ` +
        `in ${fn.loadMs.toFixed(1)} ms; listening on port ${options.FUNC_PORT}; ready ${performance.now().toFixed(0)} ms after start; ` +
        `tracing ${telemetry.exporting ? `to ${options.TRACE_COLLECTOR_ENDPOINT}` : 'not exported'}`,
    );
  });

  // LC-TERM: stop accepting, let in-flight invocations finish (at most FUNC_TIMEOUT), flush spans, exit 0.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping; ${runtime.inFlight()} invocation(s) in flight`);
    runtime.beginShutdown();
    server.close();
    server.closeIdleConnections();
    void runtime
      .whenIdle(options.FUNC_TIMEOUT * 1000)
      .then(async (idle) => {
        if (!idle) log.error(`in-flight invocations still running after FUNC_TIMEOUT (${options.FUNC_TIMEOUT} s); exiting anyway`);
        server.closeAllConnections();
        await telemetry.shutdown(FLUSH_TIMEOUT_MS);
      })
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(consoleLog).catch((err: unknown) => {
  consoleLog.error(`runtime failed to start: ${describeError(err).split('\n')[0]}`);
  process.exit(1);
});
