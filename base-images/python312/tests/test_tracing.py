"""Section 8: tracing (TR-TRACER, TR-EXPORT, TR-PROPAGATE, TR-QUIET, TR-NOBLOCK)."""

import socket
import threading
import time

import opentelemetry.trace
from conftest import free_port, serve
from peers import Peer

from fnruntime.options import load_options
from fnruntime.telemetry import service_name

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
SERVER = 2


def test_TR_TRACER_event_tracer_is_an_opentelemetry_tracer_without_endpoint():
    with serve("echo") as srv:
        assert srv.app.telemetry.processor is None
        assert srv.request().json()["is_tracer"] is True
    assert isinstance(srv.app.tracer, opentelemetry.trace.Tracer)


def test_TR_EXPORT_one_server_span_child_of_incoming_context_and_user_spans_are_children(receiver):
    with serve("with-deps", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces",
                             "FUNC_NAME": "orders"}) as srv:
        assert srv.request("POST", "/path", headers={"traceparent": TRACEPARENT}).status == 200
        spans = receiver.wait_spans(lambda s: len(s) >= 2, flush=srv.flush)
    server = [s for s in spans if s["kind"] == SERVER]
    user = [s for s in spans if s["name"] == "user-work"]
    assert len(server) == 1 and len(user) == 1
    assert server[0]["traceId"] == TRACE_ID
    assert server[0]["parentSpanId"] == PARENT_ID
    assert user[0]["traceId"] == TRACE_ID
    assert user[0]["parentSpanId"] == server[0]["spanId"]
    assert server[0]["resource"]["service.name"] == "orders"
    assert server[0]["attrs"]["http.response.status_code"] in (200, "200")
    assert receiver.requests[0].path == "/v1/traces"
    assert receiver.requests[0].headers["content-type"] == "application/json"


def test_TR_EXPORT_every_invocation_exports_a_root_span_without_incoming_context(receiver):
    with serve("hello", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces"}) as srv:
        for _ in range(3):
            srv.request("GET", "/")
        spans = receiver.wait_spans(lambda s: len(s) >= 3, flush=srv.flush)
    assert len(spans) == 3
    assert all(s["kind"] == SERVER and "parentSpanId" not in s for s in spans)
    assert len({s["traceId"] for s in spans}) == 3


def test_TR_EXPORT_failed_invocation_span_is_marked_as_error(receiver):
    with serve("throws", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces"}) as srv:
        srv.request("GET", "/")
        (span,) = receiver.wait_spans(lambda s: len(s) == 1, flush=srv.flush)
    assert span["status"]["code"] == 2
    assert any(event["name"] == "exception" for event in span.get("events", []))


def test_TR_EXPORT_service_name_from_FUNC_NAME_unless_OTEL_settings_say_otherwise():
    def name(env):
        return service_name(load_options(env))

    assert name({"FUNC_NAME": "fn"}) == "fn"
    assert name({"FUNC_NAME": "fn", "OTEL_RESOURCE_ATTRIBUTES": "a=b,service.name=from-attrs"}) == \
        "from-attrs"
    assert name({"FUNC_NAME": "fn", "OTEL_SERVICE_NAME": "svc",
                 "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs"}) == "svc"


def test_TR_EXPORT_OTEL_SERVICE_NAME_reaches_the_exported_resource(receiver):
    with serve("hello", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces",
                         "OTEL_SERVICE_NAME": "custom-svc",
                         "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test"}) as srv:
        srv.request()
        (span,) = receiver.wait_spans(lambda s: len(s) == 1, flush=srv.flush)
    assert span["resource"]["service.name"] == "custom-svc"
    assert span["resource"]["deployment.environment"] == "test"


def _propagation_call(incoming_headers, receiver=None):
    peer = Peer()
    env = {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces"} if receiver else {}
    try:
        with serve("propagate", env) as srv:
            reply = srv.request("GET", f"/?target={peer.url}", headers=incoming_headers)
            assert reply.status == 200, (reply, srv.log_text)
            spans = receiver.wait_spans(lambda s: len(s) >= 2, flush=srv.flush) if receiver else []
        return {r.path: r.headers for r in peer.requests}, spans
    finally:
        peer.close()


def test_TR_PROPAGATE_w3c_traceparent_tracestate_and_baggage_reach_requests_and_urllib(receiver):
    seen, spans = _propagation_call({"traceparent": TRACEPARENT, "tracestate": "vendor=opaque",
                                     "baggage": "tenant=acme,region=eu"}, receiver)
    user_span = next(s for s in spans if s["name"] == "user-span")
    for path in ("/via-requests", "/via-urllib"):
        headers = seen[path]
        version, trace_id, span_id, flags = headers["traceparent"].split("-")
        assert trace_id == TRACE_ID and span_id == user_span["spanId"] and flags == "01"
        assert headers["tracestate"] == "vendor=opaque"
        assert "tenant=acme" in headers["baggage"] and "region=eu" in headers["baggage"]
        assert headers["x-b3-traceid"] == TRACE_ID
        assert headers["x-b3-spanid"] == user_span["spanId"]
        assert headers["x-b3-sampled"] == "1"


def test_TR_PROPAGATE_b3_multi_header_is_extracted():
    seen, _ = _propagation_call({"X-B3-TraceId": TRACE_ID, "X-B3-SpanId": PARENT_ID,
                                 "X-B3-Sampled": "1"})
    assert seen["/via-requests"]["traceparent"].split("-")[1] == TRACE_ID
    assert seen["/via-urllib"]["x-b3-traceid"] == TRACE_ID


def test_TR_PROPAGATE_headers_set_by_user_code_win():
    seen, _ = _propagation_call({"traceparent": TRACEPARENT})
    assert seen["/explicit"]["traceparent"] == "explicit-value"


def test_TR_QUIET_no_spans_for_healthz_metrics_favicon(receiver):
    with serve("hello", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces"}) as srv:
        for path in ("/healthz", "/metrics", "/favicon.ico", "/healthz"):
            srv.request("GET", path)
        srv.request("GET", "/marker")
        receiver.wait_spans(lambda s: len(s) >= 1, flush=srv.flush)
        srv.flush()
    assert [s["attrs"]["url.path"] for s in receiver.spans()] == ["/marker"]


def test_TR_NOBLOCK_dead_collector_never_delays_or_fails_and_logs_no_error_per_request():
    dead = f"http://127.0.0.1:{free_port()}/v1/traces"
    with serve("hello", {"TRACE_COLLECTOR_ENDPOINT": dead}) as srv:
        for _ in range(5):
            srv.request()
            srv.flush()  # force an export attempt after every request
            reply = srv.request()
            assert reply.status == 200 and reply.seconds < 1
        failures = [line for line in srv.logs if "trace export" in line]
    assert len(failures) == 1  # rate-limited: one line, not one per request


def test_TR_NOBLOCK_slow_collector_never_delays_an_invocation():
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)  # accepts connections, never answers
    endpoint = f"http://127.0.0.1:{hanging.getsockname()[1]}/v1/traces"
    try:
        with serve("hello", {"TRACE_COLLECTOR_ENDPOINT": endpoint}) as srv:
            flusher = threading.Thread(target=srv.flush, daemon=True)
            srv.request()
            flusher.start()  # an export now hangs on the collector
            started = time.monotonic()
            for _ in range(20):
                assert srv.request().status == 200
            assert time.monotonic() - started < 2
            hanging.close()  # resets the hanging export so shutdown is quick
    finally:
        hanging.close()


def test_TR_NOBLOCK_no_endpoint_exports_nothing():
    with serve("hello") as srv:
        assert srv.app.telemetry.processor is None
        assert srv.request().status == 200
