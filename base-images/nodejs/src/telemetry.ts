// OpenTelemetry set-up (TR-*) with @opentelemetry/sdk-node: the provider, context manager, propagators
// and the outgoing instrumentation. Call setupTelemetry() before the user's function is loaded, so that
// the http/https modules the function requires are already instrumented for outgoing propagation.
//
// The runtime makes each SERVER span itself (server-span.ts), not through instrumentation-http's
// incoming hook, and exports with its own OTLP/JSON writer (otlp-json.ts): both cost far less CPU per
// request (issue 16, profiled). instrumentation-http (outgoing only) and instrumentation-undici (fetch)
// inject the trace context into the calls user code makes.
import { trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator, setGlobalErrorHandler } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Log } from './log';
import { NODE_RUNTIME_ID, type Options } from './options';
import { OtlpJsonExporter } from './otlp-json';
import { serverSpans, type ServerSpans } from './server-span';

/** The instrumentation scope of the runtime's SERVER spans. */
const RUNTIME_SCOPE = { name: '@rt/nodejs-runtime' };

export interface Telemetry {
  /** The runtime's own SERVER spans (server-span.ts). */
  readonly serverSpans: ServerSpans;
  /** The tracer handed to user code as event.tracer (TR-TRACER). */
  readonly functionTracer: Tracer;
  readonly serviceName: string;
  /** Whether spans are exported (TRACE_COLLECTOR_ENDPOINT set). */
  readonly exporting: boolean;
  forceFlush(): Promise<void>;
  /** Flushes and stops, giving up after timeoutMs (LC-TERM). */
  shutdown(timeoutMs: number): Promise<void>;
}

export type TelemetryOptions = Pick<
  Options,
  | 'FUNC_NAME'
  | 'TRACE_COLLECTOR_ENDPOINT'
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_RESOURCE_ATTRIBUTES'
  | 'OTEL_BSP_SCHEDULE_DELAY'
  | 'OTEL_EXPORTER_OTLP_TIMEOUT'
>;

/** OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, values percent-encoded. */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (key !== '') out[key] = value;
  }
  return out;
}

/** service.name: OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES' service.name, else FUNC_NAME. */
export function serviceName(options: TelemetryOptions): string {
  return (
    options.OTEL_SERVICE_NAME ??
    parseResourceAttributes(options.OTEL_RESOURCE_ATTRIBUTES)['service.name'] ??
    (options.FUNC_NAME !== '' ? options.FUNC_NAME : `unknown_service:${NODE_RUNTIME_ID}-function`)
  );
}

/** W3C trace context and baggage, and B3 (multi-header on injection, both forms on extraction). */
export function createPropagator(): CompositePropagator {
  // Extraction runs in order and a later propagator's span context wins: traceparent beats B3.
  return new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

export function setupTelemetry(options: TelemetryOptions, log: Log): Telemetry {
  // A dead or slow collector must not log per request (TR-NOBLOCK): report the first export
  // failure once, then stay quiet.
  let reported = false;
  setGlobalErrorHandler((err) => {
    if (reported) return;
    reported = true;
    const reason = err instanceof Error ? err.message : String(err);
    log.error(`trace export to ${options.TRACE_COLLECTOR_ENDPOINT ?? '(none)'} failed: ${reason.split('\n')[0]} (further export errors are not logged)`);
  });

  const name = serviceName(options);
  const resource = defaultResource().merge(
    resourceFromAttributes({ ...parseResourceAttributes(options.OTEL_RESOURCE_ATTRIBUTES), 'service.name': name }),
  );

  const spanProcessors: SpanProcessor[] = [];
  const endpoint = options.TRACE_COLLECTOR_ENDPOINT;
  if (endpoint !== undefined) {
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter: new OtlpJsonExporter(endpoint, options.OTEL_EXPORTER_OTLP_TIMEOUT),
        scheduledDelayMillis: options.OTEL_BSP_SCHEDULE_DELAY,
        exportTimeoutMillis: options.OTEL_EXPORTER_OTLP_TIMEOUT,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
      }),
    );
  }
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false, // the resource is decided above; host/process detectors cost start-up time
    // Without an endpoint spans are still recorded (ids for propagation and for event.tracer users),
    // just not exported: an empty list would make NodeSDK register no provider at all.
    spanProcessors: spanProcessors.length > 0 ? spanProcessors : [new NoopSpanProcessor()],
    // Empty, not absent: absent would make NodeSDK start an OTLP log exporter from env defaults.
    logRecordProcessors: [],
    // Empty, not absent, for the same reason: absent starts an OTLP metrics exporter to 127.0.0.1:4318
    // that nobody asked for, and its flush held every shutdown for the full FLUSH_TIMEOUT (LC-TERM).
    metricReaders: [],
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: createPropagator(),
    instrumentations: [new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }), new UndiciInstrumentation()],
  });
  sdk.start();
  // NodeSDK registers its provider globally; keep it for flushing.
  const provider = (trace.getTracerProvider() as unknown as { getDelegate(): { forceFlush(): Promise<void> } }).getDelegate();

  // Builtins are patched when they are next required; do it now, so that ES modules importing
  // node:http see the instrumented functions too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:https');

  const bounded = (work: Promise<void>, ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => {
          clearTimeout(timer);
          resolve();
        },
      );
    });

  return {
    serverSpans: serverSpans(resource, RUNTIME_SCOPE, spanProcessors),
    functionTracer: trace.getTracer(name),
    serviceName: name,
    exporting: endpoint !== undefined,
    forceFlush: () => bounded(provider.forceFlush(), options.OTEL_EXPORTER_OTLP_TIMEOUT),
    shutdown: (timeoutMs) => bounded(sdk.shutdown(), timeoutMs),
  };
}
