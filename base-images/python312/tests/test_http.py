"""Section 3: HTTP (HTTP-PORT, HTTP-HEALTH, HTTP-METRICS, HTTP-FAVICON, HTTP-ROUTE, HTTP-BODY,
HTTP-LIMIT, HTTP-BADJSON, HTTP-NOLEAK)."""

import base64
import http.client
import re
import socket
import threading
import time
from urllib.parse import quote

import pytest
from conftest import free_port, http_request, serve, start_cli, wait_healthy

from fnruntime.options import OptionsError, load_options


def test_HTTP_PORT_defaults_to_8080_and_FUNC_PORT_overrides():
    assert load_options({}).port == 8080
    assert load_options({"FUNC_PORT": "9001"}).port == 9001
    with pytest.raises(OptionsError, match="FUNC_PORT"):
        load_options({"FUNC_PORT": "http"})


def test_HTTP_PORT_process_listens_on_FUNC_PORT():
    port = free_port()
    proc = start_cli("hello", FUNC_PORT=port)
    try:
        wait_healthy(port, proc)
        assert http_request(port).text == "hello"
    finally:
        proc.terminate()
        proc.wait(5)


def test_HTTP_HEALTH_healthz_answers_200_OK():
    with serve("hello") as srv:
        reply = srv.request("GET", "/healthz")
        assert (reply.status, reply.text) == (200, "OK")
        assert srv.calls() == 0


def test_HTTP_HEALTH_stays_fast_while_slow_invocations_run():
    with serve("slow", {"FUNC_TIMEOUT": "30"}) as srv:
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            srv.request("GET", "/?seconds=2"))) for _ in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while srv.app.inflight < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert srv.app.inflight == 8
        for _ in range(5):
            reply = srv.request("GET", "/healthz")
            assert reply.status == 200 and reply.seconds < 1
        for thread in threads:
            thread.join()
        assert [r.status for r in results] == [200] * 8


def test_HTTP_HEALTH_stays_fast_while_slow_async_invocations_run():
    with serve("slow", {"FUNC_HANDLER": "amain"}) as srv:
        thread = threading.Thread(target=lambda: srv.request("GET", "/?seconds=1.5"))
        thread.start()
        deadline = time.monotonic() + 5
        while srv.app.inflight < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        reply = srv.request("GET", "/healthz")
        assert reply.status == 200 and reply.seconds < 1
        thread.join()


def test_HTTP_METRICS_prometheus_text_with_calls_failures_and_duration_histogram():
    with serve("throws") as srv:
        assert srv.request("GET", "/").status == 500
        assert srv.request("GET", "/").status == 500
        reply = srv.request("GET", "/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert "# TYPE function_calls_total counter" in text
    assert re.search(r"^function_calls_total 2$", text, re.M)
    assert re.search(r"^function_failures_total 2$", text, re.M)
    assert "# TYPE function_duration_seconds histogram" in text
    assert re.search(r'^function_duration_seconds_bucket\{le="\+Inf"\} 2$', text, re.M)
    assert re.search(r'^function_duration_seconds_bucket\{le="180"\} 2$', text, re.M), "the Node runtime's buckets"
    assert re.search(r"^function_duration_seconds_count 2$", text, re.M)
    assert re.search(r"^function_duration_seconds_sum [0-9.e-]+$", text, re.M)


def test_HTTP_METRICS_series_exist_before_the_first_call_as_in_node():
    with serve("hello") as srv:
        text = srv.request("GET", "/metrics").text
    assert re.search(r"^function_calls_total 0$", text, re.M)
    assert re.search(r"^function_failures_total 0$", text, re.M)
    assert re.search(r"^function_duration_seconds_count 0$", text, re.M)


def test_HTTP_FAVICON_204_without_calling_user_code():
    with serve("hello") as srv:
        reply = srv.request("GET", "/favicon.ico")
        assert reply.status == 204 and reply.body == b""
        assert srv.calls() == 0


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
def test_HTTP_ROUTE_every_method_and_path_reaches_the_function(method):
    with serve("echo") as srv:
        reply = srv.request(method, "/some/deep/path?x=1")
        assert reply.status == 200
        assert reply.headers["access-control-allow-origin"] == "*"
        assert srv.calls() == 1
        if method == "HEAD":
            assert reply.body == b"" and int(reply.headers["content-length"]) > 0
        else:
            assert reply.json()["request"]["method"] == method
            assert reply.json()["request"]["path"] == "/some/deep/path"


def test_HTTP_ROUTE_options_preflight_is_answered_by_runtime_echoing_method_and_headers():
    with serve("echo") as srv:
        reply = srv.request("OPTIONS", "/anything", headers={
            "Origin": "https://example.com", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-custom, content-type"})
        assert reply.status == 204
        assert reply.headers["access-control-allow-origin"] == "*"
        assert reply.headers["access-control-allow-methods"] == "PUT"
        assert reply.headers["access-control-allow-headers"] == "x-custom, content-type"
        assert srv.calls() == 0


@pytest.mark.parametrize("content_type, body, data, data_type", [
    ("application/json", b'{"a": [1, 2]}', {"a": [1, 2]}, "dict"),
    ("application/json; charset=utf-8", b"[1, 2]", [1, 2], "list"),
    ("application/json", b"42", 42, "int"),
    ("application/json", b'"just a string"', "just a string", "str"),
    ("application/json", b"true", True, "bool"),
    ("Application/JSON; charset=UTF-8", b'{"x": 1}', {"x": 1}, "dict"),
    ("text/plain", b"hello text", "hello text", "str"),
    ("text/csv; charset=latin-1", "caf\u00e9".encode("latin-1"), "caf\u00e9", "str"),
    ("application/x-www-form-urlencoded", b"a=1&b=two&b=three", {"a": "1", "b": ["two", "three"]},
     "dict"),
    ("application/octet-stream", b"\x00\xffraw", {"$bytes": base64.b64encode(b"\x00\xffraw").decode()},
     "bytes"),
    ("image/png", b"\x89PNG", {"$bytes": base64.b64encode(b"\x89PNG").decode()}, "bytes"),
    (None, b"no type", {"$bytes": base64.b64encode(b"no type").decode()}, "bytes"),
])
def test_HTTP_BODY_parsed_by_content_type(content_type, body, data, data_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=body, headers=headers)
    assert reply.status == 200, reply
    assert reply.json()["data"] == data
    assert reply.json()["data_type"] == data_type


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_HTTP_BODY_no_body_means_no_data(content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with serve("echo") as srv:
        reply = srv.request("POST", "/", headers=headers)
    assert reply.json()["data"] is None


@pytest.mark.parametrize("content_type", [
    "application/json", "text/plain", "application/octet-stream",
    "application/x-www-form-urlencoded", "application/cloudevents+json"])
def test_HTTP_LIMIT_body_over_limit_gets_413_before_user_code(content_type):
    body = b"x" * (1024 * 1024 + 1)
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=body, headers={"Content-Type": content_type})
        assert reply.status == 413
        assert srv.calls() == 0
        assert srv.request("GET", "/healthz").status == 200


def test_HTTP_LIMIT_body_at_limit_is_accepted():
    body = b"x" * (1024 * 1024)
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=body, headers={"Content-Type": "text/plain"})
    assert reply.status == 200


def test_HTTP_LIMIT_chunked_body_over_limit_gets_413_before_user_code():
    def chunks():
        for _ in range(40):
            yield b"y" * 32768

    with serve("echo") as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("POST", "/", body=chunks(), headers={"Content-Type": "text/plain"},
                     encode_chunked=True)
        answer = conn.getresponse()
        assert answer.status == 413
        conn.close()
        assert srv.calls() == 0


def test_HTTP_LIMIT_REQ_MB_LIMIT_sets_the_limit():
    with serve("echo", {"REQ_MB_LIMIT": "0.001"}) as srv:  # 1048 bytes
        assert srv.request("POST", "/", body=b"x" * 1000,
                           headers={"Content-Type": "text/plain"}).status == 200
        assert srv.request("POST", "/", body=b"x" * 1100,
                           headers={"Content-Type": "text/plain"}).status == 413


def test_HTTP_LIMIT_expect_100_continue_over_limit_is_refused_without_reading_body():
    with serve("echo") as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
            head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 413 ")
        assert srv.calls() == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_HTTP_BADJSON_malformed_json_gets_400_plain_text_and_user_code_not_called(content_type):
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=b'{"a": ', headers={"Content-Type": content_type})
        assert reply.status == 400
        assert reply.headers["content-type"].startswith("text/plain")
        assert "JSON" in reply.text and len(reply.text) < 200
        assert srv.calls() == 0


def _no_leak(reply):
    text = reply.body.decode("utf-8", "replace")
    assert "Traceback" not in text
    assert 'File "' not in text and ".py" not in text
    assert not re.search(r"(^|\s)/[\w.-]+/", text)  # no absolute file path
    assert "<html" not in text.lower()


def test_HTTP_NOLEAK_error_responses_carry_no_trace_path_or_html():
    with serve("throws") as srv:
        reply = srv.request("GET", "/")
        assert reply.status == 500 and reply.text == "Internal server error"
        _no_leak(reply)
        assert "Traceback" in srv.log_text  # it went to stderr instead
    with serve("echo") as srv:
        for reply in [srv.request("POST", "/", body=b"{", headers={"Content-Type": "application/json"}),
                      srv.request("POST", "/", body=b"{}",
                                  headers={"Content-Type": "application/cloudevents+json"}),
                      srv.request("POST", "/", body=b"[]", headers={
                          "Content-Type": "application/cloudevents-batch+json"})]:
            assert 400 <= reply.status < 500
            _no_leak(reply)
    with serve("values") as srv:
        reply = srv.request("GET", "/?kind=object")
        assert reply.status == 500
        _no_leak(reply)


def test_HTTP_NOLEAK_malformed_http_gets_plain_400():
    with serve("hello") as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            data = sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 400 ")
    assert b"Traceback" not in data and b"<html" not in data.lower()


def test_HTTP_ROUTE_keep_alive_and_pipelined_requests_answer_in_order():
    with serve("echo") as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.index(b'"/one"') < data.index(b"\r\n\r\nOK") < data.index(b'"/three"')


def test_HTTP_BODY_percent_encoded_query_is_decoded():
    with serve("echo") as srv:
        reply = srv.request("GET", "/?name=" + quote("a b&c"))
    assert reply.json()["request"]["query"] == {"name": "a b&c"}
