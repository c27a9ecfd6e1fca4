// What a failed engine request says: its HTTP status and its text. dockerode rejects with an Error
// carrying `statusCode` and the engine's JSON body; these two helpers are the only readers of that shape.

interface HttpError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** The HTTP status the engine answered with (404: no such object, 304: nothing to do, …). */
export function statusOf(error: unknown): number | undefined {
  return (error as HttpError | null)?.statusCode;
}

/** The engine's own message for a failed request, for the text of our errors. */
export function engineText(error: unknown): string {
  const e = error as HttpError | null;
  return (e?.json?.message ?? e?.message ?? String(error)).trim();
}
