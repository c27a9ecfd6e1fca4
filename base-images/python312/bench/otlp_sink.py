"""A minimal OTLP/HTTP receiver for the benchmark: accepts POSTs, counts spans, answers 200."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.spans = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            count = sum(len(scope.get("spans", []))
                        for rs in json.loads(body).get("resourceSpans", [])
                        for scope in rs.get("scopeSpans", []))
        except ValueError:
            count = 0
        with self.server.lock:
            self.server.spans += count
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    sink = Sink(int(sys.argv[1]) if len(sys.argv) > 1 else 4318)
    sink.serve_forever()
