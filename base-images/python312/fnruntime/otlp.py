"""OTLP/HTTP JSON span exporter (TR-EXPORT, TR-NOBLOCK).

OTLP/HTTP with `Content-Type: application/json` is what the Node runtime's default exporter sends,
so one collector configuration and one test receiver serve both runtimes. It needs only the
standard library: no `requests`/`protobuf` in the runtime that user code could collide with.
Failures never raise and are logged at most once a minute (plus one line when export recovers).
"""

from __future__ import annotations

import base64
import http.client
import json
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

EXPORT_TIMEOUT_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0


def _value(value: Any) -> Dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_value(item) for item in value]}}
    return {"stringValue": str(value)}


def _attributes(attributes) -> List[Dict[str, Any]]:
    if not attributes:
        return []
    return [{"key": key, "value": _value(value)} for key, value in attributes.items()]


_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_FRAGMENTS: Dict[Any, str] = {}  # (key, value, type) → encoded attribute; spans repeat them a lot
_MAX_FRAGMENTS = 4096


def _attribute(key: str, value: Any) -> str:
    try:
        cache_key = (key, value, type(value))
        fragment = _FRAGMENTS.get(cache_key)
    except TypeError:  # unhashable (a list value)
        return _DUMPS({"key": key, "value": _value(value)})
    if fragment is None:
        fragment = _DUMPS({"key": key, "value": _value(value)})
        if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
            _FRAGMENTS.clear()
        _FRAGMENTS[cache_key] = fragment
    return fragment


def _attribute_list(attributes) -> str:
    if not attributes:
        return "[]"
    return "[" + ",".join([_attribute(key, value) for key, value in attributes.items()]) + "]"


def _span(span: ReadableSpan) -> str:
    """One span as OTLP JSON text (built as text: several times faster than nested dicts)."""
    ctx = span.context
    parent = span.parent
    flags = int(ctx.trace_flags) | 0x100
    extra = ""
    if parent is not None:
        extra += f'"parentSpanId":"{parent.span_id:016x}",'
        if parent.is_remote:
            flags |= 0x200
    if ctx.trace_state:
        extra += f'"traceState":{_DUMPS(ctx.trace_state.to_header())},'
    status = span.status
    if status.description:
        status_text = f'{{"code":{status.status_code.value},"message":{_DUMPS(status.description)}}}'
    else:
        status_text = f'{{"code":{status.status_code.value}}}'
    if span.events:
        extra += '"events":' + _DUMPS([
            {"timeUnixNano": str(event.timestamp), "name": event.name,
             "attributes": _attributes(event.attributes)} for event in span.events]) + ","
    if span.links:
        extra += '"links":' + _DUMPS([
            {"traceId": format(link.context.trace_id, "032x"),
             "spanId": format(link.context.span_id, "016x"),
             "attributes": _attributes(link.attributes)} for link in span.links]) + ","
    return (f'{{"traceId":"{ctx.trace_id:032x}","spanId":"{ctx.span_id:016x}",{extra}'
            f'"name":{_DUMPS(span.name)},"kind":{span.kind.value + 1},'
            f'"startTimeUnixNano":"{span.start_time or 0}","endTimeUnixNano":"{span.end_time or 0}",'
            f'"attributes":{_attribute_list(span.attributes)},"status":{status_text},"flags":{flags}}}')


def encode(spans: Sequence[ReadableSpan]) -> bytes:
    """ExportTraceServiceRequest in the OTLP JSON encoding (hex ids, enums as numbers)."""
    by_resource: Dict[int, Any] = {}
    for span in spans:
        resource = span.resource
        entry = by_resource.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name, scope.version) if scope else ("", None)
        entry[1].setdefault(key, []).append(_span(span))
    resource_spans = []
    for resource, scopes in by_resource.values():
        scope_spans = []
        for (name, version), items in scopes.items():
            scope = _DUMPS({"name": name, **({"version": version} if version else {})})
            scope_spans.append(f'{{"scope":{scope},"spans":[{",".join(items)}]}}')
        resource_spans.append(f'{{"resource":{{"attributes":{_attribute_list(resource.attributes)}}},'
                              f'"scopeSpans":[{",".join(scope_spans)}]}}')
    return f'{{"resourceSpans":[{",".join(resource_spans)}]}}'.encode("utf-8")


class OTLPJsonSpanExporter(SpanExporter):
    """POSTs batches to one OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces)."""

    def __init__(self, endpoint: str, timeout: float = EXPORT_TIMEOUT_SECONDS,
                 headers: Optional[Dict[str, str]] = None, log: Optional[Callable[[str], None]] = None):
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"TRACE_COLLECTOR_ENDPOINT is not an http(s) URL: {endpoint!r}")
        self.endpoint = endpoint
        self._url = url
        self._target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._lock = threading.Lock()
        self._conn = None
        self._failing_since = 0.0
        self._last_log = 0.0
        self._shutdown = False
        self._write = log or sys.stderr.write

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._url.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._url.hostname, self._url.port, timeout=self._timeout)
            self._conn.fnruntime_no_inject = True  # never propagate trace context to the collector
        return self._conn

    def _post(self, body: bytes) -> int:
        conn = self._connection()
        try:
            conn.request("POST", self._target, body=body, headers=self._headers)
            answer = conn.getresponse()
            answer.read()
            return answer.status
        except BaseException:
            conn.close()
            self._conn = None
            raise

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown or not spans:
            return SpanExportResult.SUCCESS
        with self._lock:
            try:
                body = encode(spans)
                try:
                    status = self._post(body)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    status = self._post(body)  # a kept-alive connection closed by the collector
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except Exception as exc:  # never let export problems reach the request path
                error = f"{type(exc).__name__}: {exc}"
            return self._outcome(error, len(spans))

    def _outcome(self, error, count: int) -> SpanExportResult:
        now = time.monotonic()
        if error is None:
            if self._failing_since:
                self._log(f"trace export to {self.endpoint} recovered")
                self._failing_since = 0.0
            return SpanExportResult.SUCCESS
        if not self._failing_since:
            self._failing_since = now
        if now - self._last_log >= LOG_EVERY_SECONDS or not self._last_log:
            self._last_log = now
            self._log(f"trace export to {self.endpoint} failed ({error}); dropped {count} span(s); "
                      f"next report in {int(LOG_EVERY_SECONDS)}s at most")
        return SpanExportResult.FAILURE

    def _log(self, line: str) -> None:
        self._write(f"fnruntime: {line}\n")

    def shutdown(self) -> None:
        self._shutdown = True
        if self._conn is not None:
            self._conn.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
