// The SERVER span of each invocation (TR-EXPORT), made without the SDK's Tracer: the runtime knows
// its span's shape (kind, the three attributes, a status, maybe an exception), so it skips the SDK's
// sampler call, attribute sanitising, span limits and metrics hooks, which cost more CPU per request
// than the rest of the span's life (issue 16, profiled). It is a full Span (user spans started with
// event.tracer are its children, propagation reads its context) and a ReadableSpan (the batch processor
// and the exporter take it as they take SDK spans). Sampling as the SDK's default: parent-based,
// always on for a new trace; an unsampled parent gives a non-recording span, which is not exported.
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { randomBytes } from 'node:crypto';

type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];

const NO_LINKS: Link[] = [];

/**
 * Random ids as hex, cut from a pool of random bytes hex-encoded 4 KiB at a time: one crypto call and
 * one hex encoding per ~80 spans instead of a Math.random() loop and a Buffer per id (issue 16).
 */
let pool = '';
let poolAt = 0;
function randomHex(chars: number): string {
  if (poolAt + chars > pool.length) {
    pool = randomBytes(4096).toString('hex');
    poolAt = 0;
  }
  const id = pool.slice(poolAt, poolAt + chars);
  poolAt += chars;
  return /[^0]/.test(id) ? id : randomHex(chars); // all zeros is not a valid id
}
const ids = { generateSpanId: (): string => randomHex(16), generateTraceId: (): string => randomHex(32) };

/** Milliseconds since the epoch, as precise as performance.now() is. */
function nowMillis(): number {
  return performance.timeOrigin + performance.now();
}

/** Whole milliseconds and the nanoseconds after them: both encodings of a time start from these. */
function split(millis: number): [whole: number, nanos: number] {
  const whole = Math.floor(millis);
  return [whole, Math.min(999_999, Math.round((millis - whole) * 1e6))];
}

function toHrTime(millis: number): HrTime {
  const [whole, nanos] = split(millis);
  return [Math.floor(whole / 1000), (whole % 1000) * 1e6 + nanos];
}

/** The last whole second nanosOf() wrote, and its digits: spans of one second share them. */
let cachedSecond = -1;
let cachedSecondText = '';

/**
 * Milliseconds since the epoch as the decimal string of nanoseconds (a double holds them to about
 * 0.2 µs). The seconds' digits are cached and the rest is a small integer: turning a 13-digit double
 * into text twice per span was a tenth of the encoder's time (issue 16, profiled).
 */
function nanosOf(millis: number): string {
  const [whole, nanos] = split(millis);
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedSecondText = String(second);
  }
  const fraction = String((whole - second * 1000) * 1e6 + nanos); // below 1e9: a small integer
  if (second === 0) return fraction;
  return `${cachedSecondText}${'000000000'.slice(fraction.length)}${fraction}`;
}

function millisOf(input: TimeInput | undefined): number {
  if (input === undefined) return nowMillis();
  if (Array.isArray(input)) return (input as HrTime)[0] * 1000 + (input as HrTime)[1] / 1e6;
  return input instanceof Date ? input.getTime() : input;
}

function timeOf(input: TimeInput | undefined): HrTime {
  return Array.isArray(input) ? (input as HrTime) : toHrTime(millisOf(input));
}

/** Shared until the span gets an event or a status of its own (most never do): two objects less per span. */
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

export class ServerSpan implements Span, ReadableSpan {
  readonly kind = SpanKind.SERVER;
  readonly links = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  private endMillis = 0;
  status: SpanStatus = UNSET;
  ended = false;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly startMillis: number;

  constructor(
    public name: string,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly attributes: Attributes,
    readonly resource: Resource,
    readonly instrumentationScope: Scope,
    private readonly processors: readonly SpanProcessor[],
  ) {
    this.startMillis = nowMillis();
  }

  /** HrTimes are made when asked for: the runtime's exporter reads startNanos and endNanos instead. */
  get startTime(): HrTime {
    return toHrTime(this.startMillis);
  }

  get endTime(): HrTime {
    return this.ended ? toHrTime(this.endMillis) : [0, 0];
  }

  /** Start and end in nanoseconds since the epoch, as the decimal strings OTLP JSON wants. */
  get startNanos(): string {
    return nanosOf(this.startMillis);
  }

  get endNanos(): string {
    return nanosOf(this.endMillis);
  }

  get duration(): HrTime {
    return toHrTime(this.ended ? this.endMillis - this.startMillis : 0);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.ended && value !== undefined && value !== null) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    if (this.events === NO_EVENTS) this.events = [];
    const isTime = typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    this.events.push({ name, attributes: isTime ? {} : (attributesOrTime as Attributes | undefined) ?? {}, time: timeOf(isTime ? (attributesOrTime as TimeInput) : time), droppedAttributesCount: 0 });
    return this;
  }

  addLink(): this {
    return this; // links are given at start; the runtime's own span has none
  }

  addLinks(): this {
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status;
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.endMillis = millisOf(endTime);
    this.ended = true;
    for (const processor of this.processors) processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code ?? exception.name;
      if (type !== undefined) attributes['exception.type'] = String(type);
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) this.addEvent('exception', attributes, time);
  }
}

export interface ServerSpans {
  /** Starts the SERVER span of one invocation, child of the span context in `parent` if any. */
  start(name: string, attributes: Attributes, parent: Context): Span;
}

export function serverSpans(resource: Resource, scope: Scope, processors: readonly SpanProcessor[]): ServerSpans {
  return {
    start(name, attributes, parent) {
      const parentContext = trace.getSpanContext(parent);
      const valid = parentContext !== undefined && trace.isSpanContextValid(parentContext);
      const spanId = ids.generateSpanId();
      if (valid && (parentContext.traceFlags & TraceFlags.SAMPLED) === 0) {
        return trace.wrapSpanContext({ traceId: parentContext.traceId, spanId, traceFlags: TraceFlags.NONE, traceState: parentContext.traceState });
      }
      const context: SpanContext = valid
        ? { traceId: parentContext.traceId, spanId, traceFlags: TraceFlags.SAMPLED, traceState: parentContext.traceState }
        : { traceId: ids.generateTraceId(), spanId, traceFlags: TraceFlags.SAMPLED };
      const span = new ServerSpan(name, context, valid ? parentContext : undefined, attributes, resource, scope, processors);
      for (const processor of processors) processor.onStart(span, parent);
      return span;
    },
  };
}
