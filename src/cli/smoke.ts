#!/usr/bin/env node
// rt-smoke: proves that the engine works for this toolchain. Starts a container from a Node image with
// host networking and the restricted settings, copies a tiny server in before start, asks it over
// 127.0.0.1, removes it. Exit 0 when it answered, 1 when the container did not serve, 2 when the
// tool could not run (no engine, image missing).
import { Command, InvalidArgumentError } from 'commander';
import { ContainerError, EXIT_OK } from '../errors.js';
import { FunctionContainer } from '../platform/function-container.js';
import { runtimeById } from '../platform/runtimes.js';
import { runCli, withEngine } from './run.js';

const SERVER = `require('node:http').createServer((req, res) => res.end('smoke ok')).listen(Number(process.env.PORT), '127.0.0.1');`;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return n;
}

async function main(): Promise<number> {
  const program = new Command('rt-smoke')
    .description('Check that a Docker engine can run containers the way rtbuild and rtcheck need (host networking, read-only root, copy-in before start).')
    .option('--image <ref>', 'a Node.js image to run (env NODE20_BASE_IMAGE)', process.env.NODE20_BASE_IMAGE ?? 'node:20-bookworm-slim')
    .option('--port <n>', 'port the smoke server listens on, on 127.0.0.1', port, 18999)
    .option('--timeout <seconds>', 'how long to wait for the answer', port, 20)
    .option('--json', 'print one JSON result object on stdout')
    .option('-v, --verbose', 'show stack traces of errors')
    .showHelpAfterError()
    .exitOverride();
  program.parse();
  const options = program.opts<{ image: string; port: number; timeout: number; json?: boolean }>();

  const log = (text: string): void => {
    process.stderr.write(`${text}\n`);
  };
  const started = Date.now();
  return withEngine(async (engine) => {
    const version = await engine.version();
    log(`engine: ${engine.endpoint} (Docker ${version.version}, API ${version.apiVersion})`);
    const container = await FunctionContainer.start(engine, {
      image: options.image,
      family: runtimeById('nodejs20').family,
      purpose: 'smoke',
      port: { port: options.port, viaEnv: false },
      launch: {
        kind: 'entrypoint',
        volume: '/kubeless',
        sources: [{ path: 'server.js', type: 'file', content: Buffer.from(SERVER) }],
        env: { PORT: String(options.port) },
        user: '1000',
        command: ['node', '/kubeless/server.js'],
      },
    });
    try {
      log(`container ${container.container.id.slice(0, 12)} started from ${options.image}; waiting for ${container.url}/`);
      const deadline = Date.now() + options.timeout * 1000;
      let body: string | undefined;
      while (body === undefined && Date.now() < deadline) {
        const answer = await container.call({ path: '/', timeoutMs: 1000 });
        if (answer.status !== undefined) body = answer.text;
        else if (!(await container.container.inspect()).running) break;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (body === undefined) {
        throw new ContainerError(`the smoke container did not answer on 127.0.0.1:${options.port} within ${options.timeout} s`, {
          details: await container.logTail(),
          hint: 'is the port free? is the image a Node.js image with node on PATH?',
        });
      }
      const result = { ok: body === 'smoke ok', image: options.image, engine: engine.endpoint, apiVersion: version.apiVersion, body, ms: Date.now() - started };
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else log(`answer: "${body}" in ${result.ms} ms — the engine can run function containers`);
      return result.ok ? EXIT_OK : 1;
    } finally {
      await container.remove();
    }
  }, log);
}

runCli(main);
