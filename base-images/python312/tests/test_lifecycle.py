"""Section 9: lifecycle and logs (LC-TERM, LC-LOG)."""

import os
import re
import signal
import threading

from conftest import fixture_dir, free_port, http_request, poll, serve, start_cli, wait_healthy


def _sigterm_during_invocation(tmp_path, seconds, **env):
    """Start the `slow` fixture, call it, send SIGTERM once the handler runs.
    Returns (process, port, thread, results); results["reply"] is set when the call answers."""
    port = free_port()
    marker = tmp_path / "started"
    proc = start_cli("slow", FUNC_PORT=port, **env)
    wait_healthy(port, proc)
    results = {}
    thread = threading.Thread(target=lambda: results.update(
        reply=http_request(port, path=f"/?seconds={seconds}&marker={marker}")))
    thread.start()
    poll(marker.exists)
    proc.send_signal(signal.SIGTERM)
    return proc, port, thread, results


def test_LC_TERM_stops_accepting_finishes_in_flight_flushes_spans_and_exits_0(tmp_path, receiver):
    proc, port, thread, results = _sigterm_during_invocation(
        tmp_path, 1.5, FUNC_TIMEOUT=30, TRACE_COLLECTOR_ENDPOINT=receiver.url + "/v1/traces")
    try:

        def refused():
            try:
                http_request(port, path="/healthz", timeout=1)
                return False
            except OSError:
                return True

        poll(refused, timeout=3)
        thread.join(10)
        assert results["reply"].status == 200 and results["reply"].text == "slow done"
        assert proc.wait(10) == 0
    finally:
        proc.kill()
    spans = receiver.spans()
    assert [s["attrs"]["url.path"] for s in spans] == ["/"]


def test_LC_TERM_exits_0_promptly_when_idle():
    port = free_port()
    proc = start_cli("hello", FUNC_PORT=port)
    try:
        wait_healthy(port, proc)
        http_request(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(3) == 0
    finally:
        proc.kill()


def test_LC_TERM_in_flight_invocation_is_bounded_by_FUNC_TIMEOUT(tmp_path):
    proc, _, thread, results = _sigterm_during_invocation(tmp_path, 30, FUNC_TIMEOUT=1,
                                                          FUNC_HANDLER="spin")
    try:
        assert proc.wait(5) == 0
        thread.join(5)
        assert results["reply"].status == 408
    finally:
        proc.kill()


def test_LC_LOG_one_startup_line_with_runtime_version_handler_path_and_load_time():
    port = free_port()
    proc = start_cli("hello", FUNC_PORT=port, FUNC_RUNTIME="python312")
    try:
        wait_healthy(port, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()
    out = proc.stdout.read().decode().splitlines()
    assert len(out) == 1
    line = out[0]
    assert "python312" in line
    assert re.search(r"runtime \d+\.\d+\.\d+", line)
    assert os.path.join(fixture_dir("hello"), "handler.py") in line
    assert re.search(r"loaded in \d+ ms", line)
    assert proc.stderr.read() == b""


def test_LC_LOG_access_log_only_when_KYMA_INTERNAL_LOGGER_ENABLED_is_true():
    with serve("hello", {"KYMA_INTERNAL_LOGGER_ENABLED": "true"}) as srv:
        srv.request("GET", "/hello?x=1")
        lines = poll(lambda: list(srv.access))
    assert '"GET /hello?x=1 HTTP/1.1" 200 5' in lines[0]
    with serve("hello") as srv:
        srv.request("GET", "/hello")
        assert srv.app.access_log is None and srv.access == []


def test_LC_LOG_errors_go_to_stderr_not_stdout():
    port = free_port()
    proc = start_cli("throws", FUNC_PORT=port)
    try:
        wait_healthy(port, proc)
        assert http_request(port).status == 500
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()
    assert "boom from user code" in proc.stderr.read().decode()
    assert "boom" not in proc.stdout.read().decode()
