// The engine reports builds, pulls and pushes as a stream of JSON objects, one per line, and reports
// failure *inside* that stream (`error` / `errorDetail`) with HTTP status 200 — dockerode's
// followProgress calls that success. This reader is the one place that decides.
import type { Readable } from 'node:stream';
import type { ProgressEvent, ProgressListener } from './types.js';

export interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  /** An object for image ids and push results; base64 protobuf for "moby.buildkit.trace". */
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number } | string;
}

/** The object form of `aux` (image id, push digest); undefined for BuildKit traces. */
export function auxObject(message: EngineMessage): Exclude<EngineMessage['aux'], string> {
  return typeof message.aux === 'object' ? message.aux : undefined;
}

export class StreamFailure extends Error {
  constructor(readonly engineMessage: string) {
    super(engineMessage);
  }
}

/**
 * Reads every message; resolves with them all when the stream ends, rejects with StreamFailure
 * on the first error message (after draining, so the connection is released).
 */
export async function readEngineStream(
  stream: Readable,
  onMessage: (message: EngineMessage) => void = () => {},
): Promise<EngineMessage[]> {
  const messages: EngineMessage[] = [];
  let failure: string | undefined;
  let pending = '';

  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    let message: EngineMessage;
    try {
      message = JSON.parse(line) as EngineMessage;
    } catch {
      message = { stream: line };
    }
    messages.push(message);
    const error = message.errorDetail?.message ?? message.error;
    if (error !== undefined && failure === undefined) failure = error;
    onMessage(message);
  };

  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      handleLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  }
  handleLine(pending);
  if (failure !== undefined) throw new StreamFailure(failure.trim());
  return messages;
}

/** Terminal colour codes the classic builder wraps around a step's stderr. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The text of a message as a person would read it in `docker build` output, without colour codes. */
export function messageText(message: EngineMessage): string | undefined {
  if (message.stream !== undefined) return message.stream.replace(ANSI, '').replace(/\n+$/, '');
  if (message.status !== undefined) {
    return [message.id, message.status, message.progress].filter(Boolean).join(' ');
  }
  return undefined;
}

/** Hands one non-blank line of progress to the listener, if there is one. */
export function emitProgress(listener: ProgressListener | undefined, kind: ProgressEvent['kind'], text: string): void {
  if (listener && text.trim() !== '') listener({ kind, text });
}

export function emitMessage(listener: ProgressListener | undefined, kind: ProgressEvent['kind'], message: EngineMessage): void {
  const text = messageText(message);
  if (text !== undefined) emitProgress(listener, kind, text);
}
