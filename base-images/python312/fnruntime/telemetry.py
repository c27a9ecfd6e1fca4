"""OpenTelemetry set-up (TR-TRACER, TR-EXPORT, TR-PROPAGATE, TR-NOBLOCK).

- one SDK TracerProvider (global), service.name = OTEL_SERVICE_NAME, else service.name from
  OTEL_RESOURCE_ATTRIBUTES, else FUNC_NAME;
- a BatchSpanProcessor with the OTLP/JSON exporter only when TRACE_COLLECTOR_ENDPOINT is set;
- W3C tracecontext + W3C baggage + B3 multi-header, extracted from requests and injected into every
  outgoing `http.client` request (which is what `urllib`, `requests`/`urllib3` use underneath).
"""

from __future__ import annotations

import http.client
import logging
import sys
import threading
from typing import Dict, Optional
from urllib.parse import unquote

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.b3 import B3MultiFormat
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .options import Options
from .otlp import OTLPJsonSpanExporter
from .server_span import ServerSpans

TRACER_NAME = "fnruntime"
#: the headers the propagators read (W3C trace context and baggage, B3 single and multi)
_TRACE_HEADERS = ("traceparent", "baggage", "b3", "x-b3-traceid")
_NO_CONTEXT = otel_context.Context()
_SUPPRESS = getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", None)


def parse_resource_attributes(text: Optional[str]) -> Dict[str, str]:
    """OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, values percent-encoded."""
    attributes = {}
    for item in (text or "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            attributes[key.strip()] = unquote(value.strip())
    return attributes


def service_name(options: Options) -> str:
    from_attributes = parse_resource_attributes(options.otel_resource_attributes).get("service.name")
    return options.otel_service_name or from_attributes or options.function_name or "unknown_service"


class Telemetry:
    def __init__(self, provider: TracerProvider, processor: Optional[BatchSpanProcessor]):
        self.provider = provider
        self.processor = processor
        self.tracer = provider.get_tracer(TRACER_NAME)
        # The runtime's own SERVER spans (server_span.py), in the tracer's scope and resource.
        self.server_spans = ServerSpans(provider.resource, InstrumentationScope(TRACER_NAME), processor)
        self.propagator = CompositePropagator(
            [TraceContextTextMapPropagator(), W3CBaggagePropagator(), B3MultiFormat()])

    def extract(self, headers) -> otel_context.Context:
        # Most requests carry no trace context: skip the three propagators for them (issue 16).
        if not any(name in headers for name in _TRACE_HEADERS):
            return _NO_CONTEXT
        return self.propagator.extract(headers)

    def flush(self, timeout: float) -> bool:
        """Export what is queued, waiting at most `timeout` seconds (LC-TERM)."""
        if self.processor is None:
            return True
        worker = threading.Thread(target=self.processor.force_flush, daemon=True)
        worker.start()
        worker.join(timeout)
        return not worker.is_alive()


def setup_telemetry(options: Options, make_global: bool = False, log=None) -> Telemetry:
    """`make_global` also installs the provider for `trace.get_tracer()` (once per process)."""
    attributes = parse_resource_attributes(options.otel_resource_attributes)
    attributes["service.name"] = service_name(options)
    if options.namespace and "k8s.namespace.name" not in attributes:
        attributes["k8s.namespace.name"] = options.namespace
    provider = TracerProvider(resource=Resource.create(attributes))
    processor = None
    exporter = None
    if options.trace_endpoint:
        try:
            exporter = OTLPJsonSpanExporter(options.trace_endpoint, log=log)
        except ValueError as exc:  # a bad URL disables export; it never stops the function
            (log or sys.stderr.write)(f"fnruntime: {exc}; traces are not exported\n")
    if exporter is not None:
        # The SDK warns once per span when its queue is full (slow collector): not per request.
        logging.getLogger("opentelemetry.sdk._shared_internal").setLevel(logging.ERROR)
        # Small batches: encoding holds the GIL, and 128 spans take about 1 ms (bench/).
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=1000,
                                       max_export_batch_size=128)
        provider.add_span_processor(processor)
    telemetry = Telemetry(provider, processor)
    if make_global:
        trace.set_tracer_provider(provider)
    propagate.set_global_textmap(telemetry.propagator)
    install_http_injection()
    return telemetry


_installed = False


def install_http_injection() -> None:
    """Inject the current trace context into every outgoing http.client request (TR-PROPAGATE).

    Headers the caller sets itself win. Requests made while instrumentation is suppressed (the span
    exporter) or on connections marked `fnruntime_no_inject` get nothing.
    """
    global _installed
    if _installed:
        return
    _installed = True
    cls = http.client.HTTPConnection
    original_putrequest = cls.putrequest
    original_putheader = cls.putheader
    original_endheaders = cls.endheaders

    def putrequest(self, method, url, *args, **kwargs):
        self._fnruntime_pending = None
        result = original_putrequest(self, method, url, *args, **kwargs)
        if getattr(self, "fnruntime_no_inject", False) or (
                _SUPPRESS is not None and otel_context.get_value(_SUPPRESS)):
            return result
        carrier: Dict[str, str] = {}
        try:
            propagate.inject(carrier)
        except Exception:  # propagation must never break the user's call
            carrier = {}
        self._fnruntime_pending = {key.lower(): (key, value) for key, value in carrier.items()}
        return result

    def putheader(self, header, *values):
        pending = getattr(self, "_fnruntime_pending", None)
        if pending:
            name = header.decode("latin-1") if isinstance(header, bytes) else str(header)
            pending.pop(name.lower(), None)
        return original_putheader(self, header, *values)

    def endheaders(self, *args, **kwargs):
        pending = getattr(self, "_fnruntime_pending", None)
        if pending:
            self._fnruntime_pending = None
            for key, value in pending.values():
                original_putheader(self, key, value)
        return original_endheaders(self, *args, **kwargs)

    cls.putrequest = putrequest
    cls.putheader = putheader
    cls.endheaders = endheaders
