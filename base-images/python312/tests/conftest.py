"""Test harness: the runtime served in-process on an ephemeral 127.0.0.1 port, and the CLI."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import Dict, List, Optional

import pytest
import uvloop

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from fnruntime.load import load_function  # noqa: E402
from fnruntime.options import load_options  # noqa: E402
from fnruntime.sdk import Publisher  # noqa: E402
from fnruntime.app import App  # noqa: E402
from fnruntime.telemetry import setup_telemetry  # noqa: E402
from peers import OtlpReceiver, Peer  # noqa: E402


def fixture_dir(case: str) -> str:
    return os.path.join(FIXTURES, case)


class Reply:
    def __init__(self, status: int, headers: Dict[str, str], body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.headers} {self.body[:300]!r}>"


def http_request(port: int, method: str = "GET", path: str = "/", body=None,
                 headers: Optional[dict] = None, timeout: float = 10.0) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        data = answer.read()
        return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data,
                     time.monotonic() - started)
    finally:
        conn.close()


class Served:
    """A running in-process server. `logs` collects what the runtime writes to stderr."""

    def __init__(self, app: App, loop, server, thread, logs: List[str], access: List[str]):
        self.app = app
        self.loop = loop
        self.server = server
        self.thread = thread
        self.logs = logs
        self.access = access
        self.port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def request(self, method: str = "GET", path: str = "/", body=None, headers=None,
                timeout: float = 10.0) -> Reply:
        return http_request(self.port, method, path, body, headers, timeout)

    def flush(self) -> None:
        if self.app.telemetry.processor is not None:
            self.app.telemetry.processor.force_flush()

    @property
    def log_text(self) -> str:
        return "".join(self.logs)

    def calls(self) -> int:
        return self.app.metrics.calls


@contextmanager
def serve(case: str, env: Optional[dict] = None, publisher: Optional[Publisher] = None,
          **app_options):
    """`app_options` go to App (e.g. timeouts=limits.Timeouts(...), max_workers=2)."""
    settings = {"KUBELESS_INSTALL_VOLUME": fixture_dir(case), "FUNC_NAME": "test-fn",
                "SERVICE_NAMESPACE": "test-ns", **(env or {})}
    options = load_options(settings)
    logs: List[str] = []
    access: List[str] = []
    telemetry = setup_telemetry(options, log=logs.append)
    function = load_function(options)
    app = App(options, function, telemetry, publisher=publisher, log=logs.append,
              access_log=access.append if options.access_log else None, **app_options)
    loop = uvloop.new_event_loop()
    started = threading.Event()
    holder = {}

    def run():
        asyncio.set_event_loop(loop)
        holder["server"] = loop.run_until_complete(
            loop.create_server(app.protocol_factory, "127.0.0.1", 0))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(5), "server did not start"
    served = Served(app, loop, holder["server"], thread, logs, access)
    try:
        yield served
    finally:
        def stop():
            served.server.close()
            for connection in list(app.connections):
                connection._close()
            loop.stop()

        loop.call_soon_threadsafe(stop)
        thread.join(5)
        if telemetry.processor is not None:
            telemetry.provider.shutdown()


@pytest.fixture
def receiver():
    peer = OtlpReceiver()
    yield peer
    peer.close()


@pytest.fixture
def sink():
    peer = Peer()
    yield peer
    peer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(case: Optional[str], **env) -> dict:
    out = {key: value for key, value in os.environ.items()
           if not key.startswith(("FUNC_", "KUBELESS_", "MOD_NAME", "TRACE_", "OTEL_"))}
    out["PYTHONPATH"] = ROOT
    if case is not None:
        out["KUBELESS_INSTALL_VOLUME"] = fixture_dir(case)
    out.update({key: str(value) for key, value in env.items()})
    return out


def start_cli(case: Optional[str], **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fnruntime"], env=cli_env(case, **env),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"runtime exited {proc.returncode}: {proc.stderr.read()!r}")
        try:
            if http_request(port, path="/healthz", timeout=1).status == 200:
                return time.monotonic() - started
        except OSError:
            time.sleep(0.01)
    raise AssertionError("runtime not healthy in time")


def poll(predicate, timeout: float = 5.0, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met before the deadline")


class RawAnswer:
    """What came back on one raw connection: the statuses of complete answers, whether it closed."""

    def __init__(self, data: bytes, closed: bool):
        self.data = data
        self.closed = closed
        self.statuses: List[int] = []
        self.bodies: List[bytes] = []
        at = 0
        while True:
            end = data.find(b"\r\n\r\n", at)
            if end < 0:
                break
            head = data[at:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(data) < end + 4 + length:
                break
            self.statuses.append(int(head.split(" ", 2)[1]))
            self.bodies.append(data[end + 4:end + 4 + length])
            at = end + 4 + length

    def __repr__(self) -> str:
        return f"<RawAnswer {self.statuses} closed={self.closed} {self.data[:300]!r}>"


def raw_exchange(port: int, data: bytes, answers: int = 1, until_closed: bool = False,
                 timeout: float = 5.0, sock: Optional[socket.socket] = None) -> RawAnswer:
    """Send raw bytes (what no HTTP client sends) and read until `answers` complete answers came
    (or, with `until_closed`, the server closed), or `timeout` passed."""
    sock = sock or socket.create_connection(("127.0.0.1", port))
    received = b""
    closed = False
    deadline = time.monotonic() + timeout
    try:
        try:
            sock.sendall(data)
        except OSError:  # refused and closed before everything was written: read the answer
            pass
        while time.monotonic() < deadline:
            if not until_closed and len(RawAnswer(received, False).statuses) >= answers:
                break
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        sock.close()
    return RawAnswer(received, closed)
