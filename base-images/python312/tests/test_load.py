"""Section 2: loading the function (LOAD-PATH, LOAD-DEPS, LOAD-FAIL, LOAD-READY)."""

import os
import subprocess
import sys
import time

import pytest
from conftest import (FIXTURES, cli_env, fixture_dir, free_port, http_request, serve, start_cli,
                      wait_healthy)

from fnruntime.load import (HandlerMissing, HandlerNotCallable, ModuleImportError, ModuleMissing,
                            ModuleSyntaxError, load_function, user_path_entries)
from fnruntime.options import load_options


def test_LOAD_PATH_default_module_handler_py_and_function_main():
    with serve("hello") as srv:
        reply = srv.request("GET", "/")
    assert reply.status == 200 and reply.text == "hello"


def test_LOAD_PATH_MOD_NAME_and_FUNC_HANDLER_override_module_and_function():
    with serve("custom-names", {"MOD_NAME": "my_function", "FUNC_HANDLER": "run"}) as srv:
        assert srv.request().text == "custom module and handler"


def test_LOAD_PATH_FUNCTION_PATH_overrides_the_install_volume():
    options = load_options({"KUBELESS_INSTALL_VOLUME": "/nonexistent",
                            "FUNCTION_PATH": fixture_dir("hello")})
    assert options.module_path == os.path.join(fixture_dir("hello"), "handler.py")
    assert load_function(options).handler({}, {}) == "hello"


def test_LOAD_PATH_KUBELESS_INSTALL_VOLUME_defaults_to_kubeless():
    assert load_options({}).module_path == "/kubeless/handler.py"


def test_LOAD_PATH_async_def_handler_is_detected():
    options = load_options({"KUBELESS_INSTALL_VOLUME": fixture_dir("async-handler")})
    assert load_function(options).is_async


def test_LOAD_DEPS_user_lib_resolves_but_never_shadows_runtime_libraries(receiver):
    with serve("with-deps", {"TRACE_COLLECTOR_ENDPOINT": receiver.url + "/v1/traces"}) as srv:
        reply = srv.request()
        assert reply.status == 200, reply
        body = reply.json()
        receiver.wait_spans(lambda spans: any(s["name"] == "user-work" for s in spans),
                            flush=srv.flush)
    lib = os.path.join(fixture_dir("with-deps"), "lib")
    assert body["padded"] == "007"
    assert body["helper"] == "hi from a sibling module"
    assert body["leftpad_file"].startswith(lib)
    # the fixture's lib/opentelemetry/trace raises ImportError: the runtime's copy must win
    assert not body["otel_file"].startswith(lib)
    path = body["sys_path"]
    runtime_otel_dir = os.path.dirname(os.path.dirname(os.path.dirname(body["otel_file"])))
    assert path.index(runtime_otel_dir) < path.index(lib)


def test_LOAD_DEPS_user_directories_are_lib_and_kubeless_prefix_layout():
    options = load_options({"KUBELESS_INSTALL_VOLUME": "/kubeless"})
    v = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert user_path_entries(options) == ["/kubeless", "/kubeless/lib",
                                          f"/kubeless/lib/{v}/site-packages"]


@pytest.mark.parametrize("case, error, reason", [
    ("empty", ModuleMissing, "file not found"),
    ("syntax-error", ModuleSyntaxError, "SyntaxError"),
    ("import-error", ModuleImportError, "package_that_does_not_exist"),
    ("raises-at-import", ModuleImportError, "configuration missing"),
    ("missing-handler", HandlerMissing, "no function named 'main'"),
    ("not-callable", HandlerNotCallable, "not a function"),
])
def test_LOAD_FAIL_typed_errors_name_path_and_reason(case, error, reason):
    options = load_options({"KUBELESS_INSTALL_VOLUME": fixture_dir(case)})
    with pytest.raises(error) as raised:
        load_function(options)
    message = str(raised.value)
    assert options.module_path in message and reason in message
    assert "\n" not in message


@pytest.mark.parametrize("case, reason", [
    ("empty", "file not found"),
    ("syntax-error", "SyntaxError"),
    ("import-error", "ModuleNotFoundError"),
    ("raises-at-import", "RuntimeError: configuration missing"),
    ("missing-handler", "no function named 'main'"),
    ("not-callable", "not a function"),
])
def test_LOAD_FAIL_process_prints_one_stderr_line_and_exits_nonzero_within_5s(case, reason):
    port = free_port()
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "fnruntime"],
                          env=cli_env(case, FUNC_PORT=port), capture_output=True, timeout=10)
    elapsed = time.monotonic() - started
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode != 0
    assert elapsed < 5
    assert len(lines) == 1, lines
    assert os.path.join(FIXTURES, case, "handler.py") in lines[0] and reason in lines[0]
    assert proc.stdout == b""  # never announced as serving


def test_LOAD_FAIL_never_serves_healthz_with_a_broken_function():
    port = free_port()
    proc = start_cli("syntax-error", FUNC_PORT=port)
    try:
        assert proc.wait(5) != 0
    finally:
        proc.kill()
    with pytest.raises(OSError):
        http_request(port, path="/healthz", timeout=1)


def test_LOAD_READY_first_invocation_after_first_healthy_healthz_succeeds():
    port = free_port()
    proc = start_cli("hello", FUNC_PORT=port)
    try:
        wait_healthy(port, proc)
        reply = http_request(port, "GET", "/")
        assert reply.status == 200 and reply.text == "hello"
    finally:
        proc.terminate()
        proc.wait(5)
