"""Section 7: responses (RES-VALUE, RES-CUSTOM, RES-ERROR, RES-TIMEOUT, RES-CRASHSAFE)."""

import signal
import threading

import pytest
from conftest import free_port, http_request, serve, start_cli, wait_healthy


@pytest.mark.parametrize("handler", ["main", "amain"])
@pytest.mark.parametrize("kind, content_type, body", [
    ("str", "text/plain; charset=utf-8", b"hello"),
    ("dict", "application/json", b'{"a": 1}'),
    ("list", "application/json", b'[1, "two"]'),
    ("int", "application/json", b"42"),
    ("float", "application/json", b"1.5"),
    ("bool", "application/json", b"true"),
    ("bytes", "application/octet-stream", b"\x00\x01\x02"),
    ("ctype", "text/html; charset=utf-8", b"<b>bold</b>"),
])
def test_RES_VALUE_return_values_map_to_status_200_and_content_type(handler, kind, content_type, body):
    with serve("values", {"FUNC_HANDLER": handler}) as srv:
        reply = srv.request("GET", f"/?kind={kind}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(content_type)
    assert reply.body == body


@pytest.mark.parametrize("handler", ["main", "amain"])
def test_RES_VALUE_none_is_200_with_empty_body(handler):
    with serve("values", {"FUNC_HANDLER": handler}) as srv:
        reply = srv.request("GET", "/?kind=none")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["content-length"] == "0"


def test_RES_VALUE_async_handler_behaves_the_same_once_settled():
    with serve("async-handler") as srv:
        reply = srv.request("POST", "/", body={"in": 1})
    assert reply.status == 200 and reply.json() == {"async": True, "data": {"in": 1}}


def test_RES_CUSTOM_returned_httpresponse_chooses_status_headers_body():
    with serve("httpresponse") as srv:
        reply = srv.request("GET", "/")
        assert (reply.status, reply.text) == (418, "teapot")
        assert reply.headers["x-kind"] == "returned"
        assert reply.headers["content-type"] == "text/x-custom"
        json_reply = srv.request("GET", "/?kind=json")
        assert json_reply.status == 201 and json_reply.json() == {"ok": True}


def test_RES_CUSTOM_raised_httpresponse_is_the_answer_not_an_error():
    with serve("httpresponse") as srv:
        reply = srv.request("GET", "/?kind=raise")
        assert (reply.status, reply.text, reply.headers["x-kind"]) == (403, "raised", "raised")
        assert srv.app.metrics.failures == 0


def test_RES_CUSTOM_bottle_httpresponse_objects_work_returned_or_raised():
    with serve("httpresponse") as srv:
        reply = srv.request("GET", "/?kind=bottle")
        assert (reply.status, reply.text, reply.headers["x-kind"]) == (409, "from bottle", "bottle")
        raised = srv.request("GET", "/?kind=raise-bottle")
        assert (raised.status, raised.text) == (410, "raised bottle")


def test_RES_CUSTOM_tuples_body_status_and_headers():
    with serve("tuple-response") as srv:
        two = srv.request("GET", "/?kind=two")
        assert (two.status, two.text) == (202, "accepted")
        three = srv.request("GET", "/?kind=three")
        assert three.status == 201 and three.json() == {"created": True}
        assert three.headers["x-tuple"] == "3"
        bad = srv.request("GET", "/?kind=bad-status")
        assert bad.status == 500 and bad.text == "Internal server error"


@pytest.mark.parametrize("kind", ["error", "value", "exit"])
def test_RES_ERROR_raise_gets_500_logs_stack_with_trace_id_and_server_stays_up(kind):
    with serve("throws") as srv:
        reply = srv.request("GET", f"/?kind={kind}",
                            headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
        assert (reply.status, reply.text) == (500, "Internal server error")
        log = srv.log_text
        assert "trace_id=0af7651916cd43dd8448eb211c80319c" in log
        assert "Traceback" in log and "handler.py" in log
        assert srv.app.metrics.failures == 1
        assert srv.request("GET", "/healthz").status == 200


def test_RES_TIMEOUT_slow_def_handler_gets_408_and_server_stays_healthy():
    with serve("slow", {"FUNC_TIMEOUT": "0.5", "FUNC_HANDLER": "spin"}) as srv:
        reply = srv.request("GET", "/?seconds=2")
        assert (reply.status, reply.text) == (408, "Request Timeout")
        assert 0.4 < reply.seconds < 1.5
        assert srv.request("GET", "/healthz").status == 200
        assert srv.app.metrics.failures == 1
        # the late result is discarded: nothing else is written on that or another connection
        again = srv.request("GET", "/?seconds=0")
        assert (again.status, again.text) == (200, "late")


def test_RES_TIMEOUT_slow_async_handler_gets_408_and_is_cancelled():
    with serve("slow", {"FUNC_TIMEOUT": "0.5", "FUNC_HANDLER": "amain"}) as srv:
        reply = srv.request("GET", "/?seconds=5")
        assert (reply.status, reply.text) == (408, "Request Timeout")
        assert srv.request("GET", "/healthz").status == 200


def test_RES_TIMEOUT_other_requests_are_served_while_one_times_out():
    with serve("slow", {"FUNC_TIMEOUT": "1"}) as srv:
        results = {}
        thread = threading.Thread(target=lambda: results.update(slow=srv.request("GET", "/?seconds=3")))
        thread.start()
        fast = srv.request("GET", "/?seconds=0")
        assert fast.status == 200
        thread.join()
        assert results["slow"].status == 408


@pytest.mark.parametrize("handler, message", [
    ("main", "from a user thread"),
    ("amain", "from a forgotten task"),
])
def test_RES_CRASHSAFE_user_callback_exceptions_are_logged_and_never_fatal(handler, message):
    port = free_port()
    proc = start_cli("crash", FUNC_PORT=port, FUNC_HANDLER=handler)
    try:
        wait_healthy(port, proc)
        assert http_request(port).status == 200
        assert http_request(port).status == 200
        assert http_request(port, path="/healthz").status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    err = proc.stderr.read().decode()
    assert message in err and "fnruntime: ERROR" in err
    if handler == "amain":
        assert "ZeroDivisionError" in err


def test_RES_CRASHSAFE_system_exit_in_handler_does_not_exit_the_server():
    with serve("throws") as srv:
        assert srv.request("GET", "/?kind=exit").status == 500
        assert srv.request("GET", "/healthz").status == 200
