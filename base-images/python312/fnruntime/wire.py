"""Responses as bytes on the wire: status line, Date, the handler's headers (checked), CORS, framing.

`serialize(rendered, head, keep_alive, http10)` is all `protocol` needs; it keeps no state but the
`Date:` line, which is formatted once a second.
"""

from __future__ import annotations

import http
import re
import time
from email.utils import formatdate
from typing import Tuple

from .respond import Rendered

REASONS = {status.value: status.phrase for status in http.HTTPStatus}
STATUS_LINES = {code: f"HTTP/1.1 {code} {phrase}\r\n" for code, phrase in REASONS.items()}
SKIPPED_HEADERS = frozenset(("content-length", "transfer-encoding", "connection", "date"))
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
NO_BODY_STATUS = frozenset((204, 304))


class _Date:
    """The `Date:` header line, formatted once a second."""

    __slots__ = ("second", "value")

    def __init__(self):
        self.second = -1
        self.value = ""

    def get(self) -> str:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.value = f"Date: {formatdate(now, usegmt=True)}\r\n"
        return self.value


_DATE = _Date()


def serialize(rendered: Rendered, head: bool, keep_alive: bool, http10: bool) -> Tuple[bytes, int]:
    """One response as bytes, and the body bytes it carries (0 for HEAD)."""
    status, headers, body = rendered
    line = STATUS_LINES.get(status) or f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
    out = [line, _DATE.get()]
    cors = True
    for name, value in headers.raw_items():
        lower = name.lower()
        if lower in SKIPPED_HEADERS:
            continue
        if lower == "access-control-allow-origin":
            cors = False
        if "\n" in value or "\r" in value:  # no response splitting
            value = value.replace("\r", " ").replace("\n", " ")
        if not TOKEN.fullmatch(name):
            continue
        out.append(f"{name}: {value}\r\n")
    if cors:  # HTTP-ROUTE: function responses carry Access-Control-Allow-Origin: *
        out.append("Access-Control-Allow-Origin: *\r\n")
    if status in NO_BODY_STATUS:
        body = b""
    else:
        out.append(f"Content-Length: {len(body)}\r\n")
    if not keep_alive:
        out.append("Connection: close\r\n\r\n")
    elif http10:
        out.append("Connection: keep-alive\r\n\r\n")
    else:
        out.append("\r\n")
    data = "".join(out).encode("latin-1", errors="replace")
    if head or not body:
        return data, 0 if head else len(body)
    return data + body, len(body)
