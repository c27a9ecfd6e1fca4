"""Section 11: /server.py under Kyma's buildless launch (KB-LAUNCH, KB-DEPS).

The launch itself (sh -c SCRIPT, pip, read-only root, SIGTERM through pid1-sh) needs the image and
is checked by rtcheck; these tests run launch/server.py on the host the way SCRIPT's last line does.
"""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys

from conftest import ROOT, cli_env, fixture_dir, free_port, http_request, wait_healthy

LAUNCH = os.path.join(ROOT, "launch", "server.py")
_spec = importlib.util.spec_from_file_location("kyma_launch_server", LAUNCH)
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)
RUNTIME_ENTRIES, runtime_first = launch.RUNTIME_ENTRIES, launch.runtime_first

INTERPRETER = ["/usr/lib/python312.zip", "/usr/lib/python3.12", "/usr/lib/python3.12/lib-dynload",
               "/usr/local/lib/python3.12/site-packages"]


def test_KB_DEPS_runtime_entries_first_then_the_interpreters_then_the_users():
    # SCRIPT exports PYTHONPATH="/kubeless/.local:${PYTHONPATH}" over the image's PYTHONPATH
    pythonpath = "/kubeless/.local:/opt/runtime:/opt/runtime/lib"
    path = ["/kubeless/.local", "/opt/runtime", "/opt/runtime/lib", *INTERPRETER]
    assert runtime_first(path, pythonpath) == [
        "/opt/runtime", "/opt/runtime/lib", *INTERPRETER, "/kubeless/.local"]


def test_KB_DEPS_user_entries_keep_their_order_behind_the_interpreters():
    pythonpath = "/kubeless/.local:/opt/runtime:/opt/runtime/lib:/opt/baked"
    path = ["/kubeless/.local", "/opt/runtime", "/opt/runtime/lib", "/opt/baked", *INTERPRETER]
    assert runtime_first(path, pythonpath)[-2:] == ["/kubeless/.local", "/opt/baked"]


def test_KB_DEPS_runtime_entries_are_put_back_when_the_functions_PYTHONPATH_drops_them():
    # a Function env PYTHONPATH="" makes SCRIPT export "/kubeless/.local:" (an empty component)
    path = ["/kubeless/.local", os.getcwd(), *INTERPRETER]
    reordered = runtime_first(path, "/kubeless/.local:")
    assert reordered[:2] == list(RUNTIME_ENTRIES)
    assert reordered[2:] == [*INTERPRETER, "/kubeless/.local", os.getcwd()]


def _kyma_layout(tmp_path):
    """/kubeless with the sources, /kubeless/.local with the user's packages (`pip --target`):
    the with-deps fixture, whose lib/ holds leftpad_lite and an opentelemetry.trace that raises."""
    kubeless = tmp_path / "kubeless"
    kubeless.mkdir()
    for name in ("handler.py", "helper.py"):
        shutil.copy(os.path.join(fixture_dir("with-deps"), name), kubeless / name)
    shutil.copytree(os.path.join(fixture_dir("with-deps"), "lib"), kubeless / ".local")
    return kubeless


def test_KB_LAUNCH_server_py_serves_and_KB_DEPS_runtime_libraries_win_over_user_packages(tmp_path):
    kubeless = _kyma_layout(tmp_path)
    local = str(kubeless / ".local")
    port = free_port()
    # SCRIPT's environment and last line (`cd ..; python server.py`); the runtime's entry here is
    # ROOT (the image's are /opt/runtime, /opt/runtime/lib), its libraries the venv's site-packages.
    env = cli_env(None, FUNC_NAME="orders", FUNC_RUNTIME="python312", SERVICE_NAMESPACE="default",
                  TRACE_COLLECTOR_ENDPOINT="", PUBLISHER_PROXY_ADDRESS="", PYTHONUNBUFFERED="TRUE",
                  MOD_NAME="handler", FUNC_HANDLER="main", FUNC_HANDLER_SOURCE="(written)",
                  FUNC_HANDLER_DEPENDENCIES="", FUNCTION_PATH=str(kubeless), FUNC_PORT=port,
                  PYTHONSAFEPATH="1", PYTHONPATH=f"{local}:{ROOT}")
    run = ("import runpy, sys; "
           "sys.exit(runpy.run_path(sys.argv[1], run_name='launch')['main'](tuple(sys.argv[2:])))")
    proc = subprocess.Popen([sys.executable, "-c", run, LAUNCH, ROOT], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_healthy(port, proc)
        reply = http_request(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()
    assert reply.status == 200, reply
    body = reply.json()
    assert body["padded"] == "007" and body["leftpad_file"].startswith(local)
    # .local/opentelemetry/trace raises on import: the runtime's copy must be the one loaded
    assert not body["otel_file"].startswith(local)
    path = body["sys_path"]
    assert path[0] == ROOT and path.index(local) > path.index(os.path.dirname(os.path.dirname(
        os.path.dirname(body["otel_file"]))))
