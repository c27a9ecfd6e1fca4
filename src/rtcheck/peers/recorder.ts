// A tiny HTTP server on 127.0.0.1 that records every request it gets. The peers rtcheck runs for the
// subject (publisher sink, OTLP receiver, echo server) are recorders with their own answers.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  at: number;
}

export interface Answer {
  status: number;
  body?: string;
  contentType?: string;
}

export interface Recorder {
  readonly url: string;
  readonly requests: Recorded[];
  /** Resolves with the first recorded request that `match` accepts, or undefined after `timeoutMs`. */
  waitFor(match: (request: Recorded) => boolean, timeoutMs: number): Promise<Recorded | undefined>;
  close(): Promise<void>;
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export async function startRecorder(answer: (request: Recorded) => Answer): Promise<Recorder> {
  const requests: Recorded[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: Recorded = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: flatHeaders(request),
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      requests.push(recorded);
      for (const wake of waiters) wake();
      const { status, body, contentType } = answer(recorded);
      response.writeHead(status, { 'content-type': contentType ?? 'text/plain' });
      response.end(body ?? '');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(match, timeoutMs) {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const done = (value: Recorded | undefined): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(value);
        };
        const check = (): void => {
          const hit = requests.find(match);
          if (hit) done(hit);
        };
        const timer = setTimeout(() => done(undefined), timeoutMs);
        waiters.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
