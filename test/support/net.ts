// Ports and HTTP polling on 127.0.0.1 only, against deadlines (never fixed sleeps).

// The same helper the product uses, so tests and rtcheck pick ports alike.
export { freeLoopbackPort as freePort } from '../../src/platform/ports.js';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/** Calls `probe` until it returns a value other than undefined, or throws when the deadline passes. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`${what} did not happen within ${options.timeoutMs} ms${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** GETs the URL until it answers (any status); returns status and body. */
export function waitForHttp(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return pollUntil(
    `an answer from ${url}`,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: response.status, body: await response.text() };
    },
    { timeoutMs },
  );
}
