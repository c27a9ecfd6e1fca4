"""The runtime's own answers, which never reach user code, and the access-log line.

HTTP-ROUTE: GET and HEAD of /healthz (HTTP-HEALTH), /metrics (HTTP-METRICS) and /favicon.ico
(HTTP-FAVICON) are the runtime's; other methods on those paths reach the function. Every OPTIONS
is a CORS preflight the runtime answers. LC-LOG: the access-log line format.
"""

from __future__ import annotations

import time
from typing import List, Optional, Tuple

from .headers import Headers
from .metrics import CONTENT_TYPE as METRICS_TYPE
from .metrics import Metrics
from .respond import Rendered

#: what a preflight allows when the client names no method
CORS_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def builtin_answer(method: str, path: str, headers: List[Tuple[str, str]],
                   metrics: Metrics) -> Optional[Rendered]:
    """The runtime's answer to this request, or None when it is the function's."""
    if method in ("GET", "HEAD"):
        if path == "/healthz":
            return 200, Headers({"Content-Type": "text/plain; charset=utf-8"}), b"OK"
        if path == "/favicon.ico":
            return 204, Headers(), b""
        if path == "/metrics":
            return 200, Headers({"Content-Type": METRICS_TYPE}), metrics.render()
    if method == "OPTIONS":
        return preflight(headers)
    return None


def preflight(headers: List[Tuple[str, str]]) -> Rendered:
    """CORS preflight: echo the requested method and headers (HTTP-ROUTE, unified)."""
    lower = {name.lower(): value for name, value in headers}
    answer = Headers({
        "Access-Control-Allow-Methods": lower.get("access-control-request-method", CORS_METHODS),
        "Vary": "Access-Control-Request-Headers",
        "Content-Length": "0",
    })
    if "access-control-request-headers" in lower:
        answer["Access-Control-Allow-Headers"] = lower["access-control-request-headers"]
    return 204, answer, b""


def access_line(remote: str, method: str, path: str, query: str, version: str, status: int,
                size: int, started: float) -> str:
    """LC-LOG: `127.0.0.1 "GET /path?x=1 HTTP/1.1" 200 5 0.4ms`; 0.0ms for the runtime's own
    answers (`started` 0), which never wait for user code."""
    millis = (time.perf_counter() - started) * 1000 if started else 0.0
    target = f"{path}?{query}" if query else path
    return f'{remote} "{method} {target} HTTP/{version}" {status} {size} {millis:.1f}ms\n'
