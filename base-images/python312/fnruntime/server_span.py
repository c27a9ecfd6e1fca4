"""The SERVER span of each invocation (TR-EXPORT), made without the SDK's Tracer.

The runtime knows its span's shape (kind, three attributes, a status, maybe an exception), so it skips
the SDK's sampler call, attribute cleaning and span limits, which cost more per request than the rest
of the span's life (issue 16, profiled with py-spy). It is a full `opentelemetry.trace.Span` (user
spans started with `event.tracer` are its children, propagation reads its context) and has what the
batch processor and `otlp.py` read of a finished span. Sampling as the SDK's default: parent-based,
always on for a new trace; an unsampled parent gives a non-recording span, which is not exported.
"""

from __future__ import annotations

import random
import time
from typing import Any, Dict, Optional

from opentelemetry import trace
from opentelemetry.sdk.trace import Event
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
_UNSET = Status(StatusCode.UNSET)
_random = random.Random()  # its own generator: user code seeding `random` cannot repeat ids


def _span_id() -> int:
    return _random.getrandbits(64) or 1


def _trace_id() -> int:
    return _random.getrandbits(128) or 1


class ServerSpan(trace.Span):
    """A recording SERVER span; `end()` hands it to the span processor (if any)."""

    __slots__ = ("name", "context", "parent", "attributes", "events", "status", "start_time",
                 "end_time", "resource", "instrumentation_scope", "_processor")

    kind = SpanKind.SERVER
    links = ()
    dropped_attributes = dropped_events = dropped_links = 0

    def __init__(self, name: str, context: SpanContext, parent: Optional[SpanContext],
                 attributes: Dict[str, Any], resource, scope, processor):
        self.name = name
        self.context = context
        self.parent = parent
        self.attributes = attributes
        self.events: list = []
        self.status = _UNSET
        self.start_time = time.time_ns()
        self.end_time: Optional[int] = None
        self.resource = resource
        self.instrumentation_scope = scope
        self._processor = processor

    def get_span_context(self) -> SpanContext:
        return self.context

    def set_attributes(self, attributes) -> None:
        if self.end_time is None:
            self.attributes.update(attributes)

    def set_attribute(self, key: str, value) -> None:
        if self.end_time is None and value is not None:
            self.attributes[key] = value

    def add_event(self, name: str, attributes=None, timestamp: Optional[int] = None) -> None:
        if self.end_time is None:
            self.events.append(Event(name, attributes or {}, timestamp or time.time_ns()))

    def add_link(self, context, attributes=None) -> None:  # links are given at start; ours has none
        pass

    def update_name(self, name: str) -> None:
        if self.end_time is None:
            self.name = name

    def is_recording(self) -> bool:
        return self.end_time is None

    def set_status(self, status, description: Optional[str] = None) -> None:
        if self.end_time is not None:
            return
        if isinstance(status, Status):
            self.status = status
        else:
            self.status = Status(status, description)

    def record_exception(self, exception: BaseException, attributes=None,
                         timestamp: Optional[int] = None, escaped: bool = False) -> None:
        import traceback  # only on failures

        module = type(exception).__module__
        qualname = type(exception).__qualname__
        event = {  # as the SDK records one
            "exception.type": f"{module}.{qualname}" if module and module != "builtins" else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(
                type(exception), exception, exception.__traceback__)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            event.update(attributes)
        self.add_event("exception", event, timestamp)

    def end(self, end_time: Optional[int] = None) -> None:
        if self.end_time is not None:
            return
        self.end_time = end_time or time.time_ns()
        if self._processor is not None:
            self._processor.on_end(self)

    def __repr__(self) -> str:
        return f"ServerSpan({self.name!r}, trace_id={self.context.trace_id:032x})"


class ServerSpans:
    """Starts the runtime's SERVER spans, children of the span context in `parent` if any."""

    def __init__(self, resource, scope, processor):
        self.resource = resource
        self.scope = scope
        self.processor = processor

    def start(self, name: str, attributes: Dict[str, Any], parent) -> trace.Span:
        parent_context = trace.get_current_span(parent).get_span_context() if parent else None
        valid = parent_context is not None and parent_context.is_valid
        if valid and not parent_context.trace_flags.sampled:
            return trace.NonRecordingSpan(SpanContext(
                parent_context.trace_id, _span_id(), False, _NOT_SAMPLED, parent_context.trace_state))
        if valid:
            context = SpanContext(parent_context.trace_id, _span_id(), False, _SAMPLED,
                                  parent_context.trace_state)
        else:
            context = SpanContext(_trace_id(), _span_id(), False, _SAMPLED)
        return ServerSpan(name, context, parent_context if valid else None, attributes,
                          self.resource, self.scope, self.processor)
