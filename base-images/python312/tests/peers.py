"""Real HTTP peers on 127.0.0.1 for the tests: an OTLP/HTTP receiver, a publisher-proxy sink,
and an echo server that records request headers."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional


class Recorded:
    def __init__(self, method: str, path: str, headers: dict, body: bytes):
        self.method = method
        self.path = path
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body)


class Peer(ThreadingHTTPServer):
    """Records every request; answers `status` after `delay` seconds."""

    daemon_threads = True

    def __init__(self, status: int = 200, delay: float = 0.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = status
        self.delay = delay
        self.requests: List[Recorded] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_for(self, predicate: Callable[[List[Recorded]], bool], timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self.requests):
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"peer condition not met in {timeout}s; got {len(self.requests)} requests")

    def close(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server: Peer = self.server  # type: ignore[assignment]
        with server.lock:
            server.requests.append(Recorded(self.command, self.path,
                                            {k.lower(): v for k, v in self.headers.items()}, body))
        if server.delay:
            server.release.wait(server.delay)
        payload = b"{}"
        self.send_response(server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args):
        pass


class OtlpReceiver(Peer):
    """An OTLP/HTTP (JSON) traces receiver."""

    def spans(self) -> List[dict]:
        out = []
        with self.lock:
            bodies = [r.json() for r in self.requests if r.method == "POST"]
        for body in bodies:
            for resource_spans in body.get("resourceSpans", []):
                resource = {a["key"]: list(a["value"].values())[0]
                            for a in resource_spans.get("resource", {}).get("attributes", [])}
                for scope_spans in resource_spans.get("scopeSpans", []):
                    for span in scope_spans.get("spans", []):
                        span = dict(span)
                        span["resource"] = resource
                        span["attrs"] = {a["key"]: list(a["value"].values())[0]
                                         for a in span.get("attributes", [])}
                        out.append(span)
        return out

    def wait_spans(self, predicate: Callable[[List[dict]], bool], timeout: float = 5.0,
                   flush: Optional[Callable[[], None]] = None) -> List[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if flush:
                flush()
            spans = self.spans()
            if predicate(spans):
                return spans
            time.sleep(0.02)
        raise AssertionError(f"spans not received in {timeout}s: {self.spans()}")
