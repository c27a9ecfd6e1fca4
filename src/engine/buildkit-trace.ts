// BuildKit builds report progress as "moby.buildkit.trace" messages: base64 protobuf of BuildKit's
// StatusResponse (moby/buildkit api/services/control/control.proto). Only the fields a person reads
// are decoded: step names, cached/started/completed/error, and the steps' output.
//   StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2; repeated VertexLog logs = 3; }
//   Vertex         { string digest = 1; string name = 3; bool cached = 4; Timestamp started = 5; Timestamp completed = 6; string error = 7; }
//   VertexLog      { string vertex = 1; int64 stream = 3; bytes msg = 4; }

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error: string | undefined;
}

export interface TraceLog {
  vertex: string;
  data: Buffer;
}

export interface TraceStatus {
  vertexes: TraceVertex[];
  logs: TraceLog[];
}

interface Field {
  number: number;
  /** Varint fields as a number (enough for bools and small ints); length-delimited as bytes. */
  value: number | Buffer;
}

export class TraceDecodeError extends Error {}

function readVarint(buffer: Buffer, offset: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  for (let position = offset; position < buffer.length && position < offset + 10; position++) {
    const byte = buffer[position] as number;
    result += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return [result, position + 1];
  }
  throw new TraceDecodeError('truncated varint');
}

/** The fields of one protobuf message, in wire order. */
function readFields(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const [key, afterKey] = readVarint(buffer, offset);
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) {
      const [value, next] = readVarint(buffer, afterKey);
      fields.push({ number, value });
      offset = next;
    } else if (wireType === 2) {
      const [length, start] = readVarint(buffer, afterKey);
      if (start + length > buffer.length) throw new TraceDecodeError('truncated field');
      fields.push({ number, value: buffer.subarray(start, start + length) });
      offset = start + length;
    } else if (wireType === 1 || wireType === 5) {
      offset = afterKey + (wireType === 1 ? 8 : 4);
    } else {
      throw new TraceDecodeError(`unsupported wire type ${wireType}`);
    }
  }
  if (offset !== buffer.length) throw new TraceDecodeError('truncated message');
  return fields;
}

const text = (value: number | Buffer | undefined): string => (Buffer.isBuffer(value) ? value.toString('utf8') : '');

function decodeVertex(bytes: Buffer): TraceVertex {
  const vertex: TraceVertex = { digest: '', name: '', cached: false, started: false, completed: false, error: undefined };
  for (const field of readFields(bytes)) {
    if (field.number === 1) vertex.digest = text(field.value);
    else if (field.number === 3) vertex.name = text(field.value);
    else if (field.number === 4) vertex.cached = field.value === 1;
    else if (field.number === 5) vertex.started = true;
    else if (field.number === 6) vertex.completed = true;
    else if (field.number === 7) vertex.error = text(field.value) || undefined;
  }
  return vertex;
}

function decodeLog(bytes: Buffer): TraceLog {
  const log: TraceLog = { vertex: '', data: Buffer.alloc(0) };
  for (const field of readFields(bytes)) {
    if (field.number === 1) log.vertex = text(field.value);
    else if (field.number === 4 && Buffer.isBuffer(field.value)) log.data = field.value;
  }
  return log;
}

/** Decodes the `aux` of one "moby.buildkit.trace" message. */
export function decodeTrace(base64: string): TraceStatus {
  const status: TraceStatus = { vertexes: [], logs: [] };
  for (const field of readFields(Buffer.from(base64, 'base64'))) {
    if (!Buffer.isBuffer(field.value)) continue;
    if (field.number === 1) status.vertexes.push(decodeVertex(field.value));
    else if (field.number === 3) status.logs.push(decodeLog(field.value));
  }
  return status;
}

interface VertexState {
  name: string;
  announced: boolean;
  finished: boolean;
  pending: string;
  lines: string[];
}

function outputOf(state: VertexState): string[] {
  return state.pending ? [...state.lines, state.pending] : state.lines;
}

/**
 * Turns trace messages into the lines a person reads, in the order things happen:
 *   "[deps 3/4] RUN npm ci …", its output lines indented, "CACHED [2/3] COPY …", "ERROR …".
 * BuildKit's internal steps (loading the context, metadata) are left out. Keeps each step's output,
 * so that a failure can carry the output of the step that failed.
 */
export class TraceRenderer {
  private readonly vertexes = new Map<string, VertexState>();
  private failedVertex: string | undefined;

  constructor(private readonly emit: (line: string) => void) {}

  push(status: TraceStatus): void {
    for (const vertex of status.vertexes) this.onVertex(vertex);
    for (const log of status.logs) this.onLog(log);
  }

  /** The output of the step that failed (or of the last step with output), named first, last `count` lines. */
  failedStepOutput(count: number): string[] {
    const states = [...this.vertexes.values()];
    const state = (this.failedVertex && this.vertexes.get(this.failedVertex)) || states.findLast((s) => s.lines.length > 0 || s.pending !== '');
    if (!state) return [];
    return [state.name, ...outputOf(state).slice(-count)];
  }

  /** The vertex that failed, when BuildKit said which: its name and its last `count` output lines. */
  failedVertexOutput(count: number): { name: string; output: string[] } | undefined {
    const state = this.failedVertex === undefined ? undefined : this.vertexes.get(this.failedVertex);
    return state && { name: state.name, output: outputOf(state).slice(-count) };
  }

  private state(digest: string, name = ''): VertexState {
    let state = this.vertexes.get(digest);
    if (!state) {
      state = { name, announced: false, finished: false, pending: '', lines: [] };
      this.vertexes.set(digest, state);
    }
    if (name) state.name = name;
    return state;
  }

  private visible(state: VertexState): boolean {
    // "[internal] load …" and "copy /context /" (unpacking the uploaded context) are BuildKit's own.
    return state.name !== '' && !state.name.startsWith('[internal]') && !state.name.startsWith('copy /context');
  }

  private onVertex(vertex: TraceVertex): void {
    const state = this.state(vertex.digest, vertex.name);
    if (vertex.cached && !state.announced) {
      state.announced = true;
      if (this.visible(state)) this.emit(`CACHED ${state.name}`);
      return;
    }
    if ((vertex.started || vertex.completed) && !state.announced) {
      state.announced = true;
      if (this.visible(state)) this.emit(state.name);
    }
    if (vertex.completed && !state.finished) {
      state.finished = true;
      this.flush(state);
      if (vertex.error !== undefined) {
        this.failedVertex ??= vertex.digest;
        // The error text itself ends the build stream; it is not repeated here.
        this.emit(`ERROR ${state.name}`);
      }
    }
  }

  private onLog(log: TraceLog): void {
    const state = this.state(log.vertex);
    const chunk = state.pending + log.data.toString('utf8');
    const lines = chunk.split(/\r?\n/);
    state.pending = lines.pop() ?? '';
    for (const line of lines) this.line(state, line);
  }

  private flush(state: VertexState): void {
    if (state.pending === '') return;
    const line = state.pending;
    state.pending = '';
    this.line(state, line);
  }

  private line(state: VertexState, line: string): void {
    state.lines.push(line);
    if (state.lines.length > 1000) state.lines.splice(0, state.lines.length - 1000);
    this.emit(`  ${line}`);
  }
}
