"""One client connection: HTTP/1.1 on httptools, with keep-alive and pipelining.

This layer knows HTTP and nothing of functions. It parses requests, enforces the body limit
(HTTP-LIMIT), answers in request order, and writes responses (default CORS header, HTTP-ROUTE).
What to answer is its owner's business: each complete request goes to `owner.dispatch` as a
`Message`, and the owner answers through `respond` (at once or later, once). `app.App` is the
owner; it imports this module, never the other way round.
"""

from __future__ import annotations

import asyncio
import http
import re
import time
from collections import deque
from email.utils import formatdate
from typing import Deque, NamedTuple, Optional, Protocol, Set

import httptools

from .respond import Rendered, plain

#: seconds a rejected (413) body may keep arriving before the connection is closed
DISCARD_SECONDS = 10.0
#: pipelined requests queued before the connection stops reading
MAX_PENDING = 32
REASONS = {status.value: status.phrase for status in http.HTTPStatus}
STATUS_LINES = {code: f"HTTP/1.1 {code} {phrase}\r\n" for code, phrase in REASONS.items()}
SKIPPED_HEADERS = frozenset(("content-length", "transfer-encoding", "connection", "date"))
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
NO_BODY_STATUS = frozenset((204, 304))


class Message(NamedTuple):
    """One complete request as parsed; `too_large`: its body passed the limit and was dropped."""

    method: str
    path: str
    query: str
    headers: list  # [(name, value)] as received
    body: bytes
    keep_alive: bool
    version: str
    too_large: bool


class Owner(Protocol):
    """What a connection needs from the server that owns it (the seam; `app.App` is one)."""

    limit: int  # request body limit in bytes (HTTP-LIMIT)
    too_large_text: str  # the 413 body
    closing: bool  # shutting down: no more keep-alive (LC-TERM)
    connections: Set["HttpProtocol"]  # open connections, added and removed by the connection

    def dispatch(self, message: Message, connection: "HttpProtocol") -> None:
        """Answer `message` by calling `connection.respond` exactly once, now or later."""

    def answered(self, connection: "HttpProtocol", message: Message, status: int, size: int,
                 started: float) -> None:
        """Called after each answer is written (the access log)."""


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


class HttpProtocol(asyncio.Protocol):
    """One client connection: HTTP/1.1 keep-alive and pipelining, answers in request order."""

    def __init__(self, owner: Owner):
        self.owner = owner
        self.loop = asyncio.get_running_loop()
        self.http10 = False
        self.transport: Optional[asyncio.Transport] = None
        self.parser = httptools.HttpRequestParser(self)
        self.remote = ""
        self.pending: Deque[Message] = deque()
        self.busy = False  # a request is being answered; later ones wait in `pending`
        self.in_message = False
        self.closed = False
        self.rejecting = False  # a 413 was sent; the body is being discarded
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: list = []
        self.body: list = []
        self.size = 0
        self.too_large = False
        self.expect_continue = False

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = peer[0] if peer else ""
        self.owner.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.owner.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fatal(400, "Upgrade is not supported")
        except httptools.HttpParserError:
            self._fatal(400, "Bad Request")

    def _fatal(self, status: int, reason: str) -> None:
        if not self.busy and not self.rejecting:
            self._write(plain(status, reason), head=False, keep_alive=False)
        self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def close_if_idle(self) -> None:
        if not self.busy and not self.in_message and not self.pending:
            self._close()

    # --- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.in_message = True
        self._reset()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        length = None
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                length = value
            elif lower == "expect" and value.lower() == "100-continue":
                self.expect_continue = True
        if length is not None and length.strip().isdigit() and int(length) > self.owner.limit:
            self._reject_too_large()
        elif self.expect_continue and not self.busy and not self.pending:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        if self.too_large:
            return
        self.size += len(chunk)
        if self.size > self.owner.limit:
            self._reject_too_large()
        else:
            self.body.append(chunk)

    def _reject_too_large(self) -> None:
        """HTTP-LIMIT: 413 before user code; the rest of the body is read and dropped."""
        self.too_large = True
        self.body = []
        if not self.busy and not self.pending and not self.rejecting:
            self.rejecting = True
            self._write(plain(413, self.owner.too_large_text), head=False, keep_alive=False)
            self.loop.call_later(DISCARD_SECONDS, self._close)

    def on_message_complete(self) -> None:
        self.in_message = False
        if self.rejecting:
            self._close()
            return
        url = self.url
        if url[:1] != b"/":
            parsed = httptools.parse_url(url)
            path = (parsed.path or b"/").decode("latin-1")
            query = (parsed.query or b"").decode("latin-1")
        else:
            path, _, query = url.decode("latin-1").partition("?")
        message = Message(self.parser.get_method().decode("ascii"), path, query, self.headers,
                          b"".join(self.body), self.parser.should_keep_alive(),
                          self.parser.get_http_version(), self.too_large)
        if self.busy:
            self.pending.append(message)
            if len(self.pending) > MAX_PENDING:
                self.transport.pause_reading()
        else:
            self._start(message)

    # --- answering, in request order ---------------------------------------------------------

    def _start(self, message: Message) -> None:
        self.http10 = message.version == "1.0"
        if message.too_large:  # its 413 could not go out at once: a request was being answered
            self.respond(message, plain(413, self.owner.too_large_text), keep_alive=False)
            return
        self.busy = True
        self.owner.dispatch(message, self)

    def respond(self, message: Message, rendered: Rendered, started: float = 0.0,
                keep_alive: bool = True) -> None:
        """Write the answer to `message`, then start the next pipelined request.

        `keep_alive=False` closes the connection after this answer; it also closes when the client
        asked for that or the owner is closing. `started` (perf_counter) is for the access log.
        """
        self.busy = False
        if self.closed:
            return
        keep_alive = keep_alive and message.keep_alive and not self.owner.closing
        size = self._write(rendered, head=message.method == "HEAD", keep_alive=keep_alive)
        self.owner.answered(self, message, rendered[0], size, started)
        if not keep_alive:
            self._close()
            return
        if self.pending:
            if len(self.pending) <= MAX_PENDING:
                self.transport.resume_reading()
            self._start(self.pending.popleft())
        elif self.owner.closing and not self.in_message:
            self._close()

    def _write(self, rendered: Rendered, head: bool, keep_alive: bool) -> int:
        """Serialize one response; returns the body bytes sent (0 for HEAD)."""
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
        elif self.http10:
            out.append("Connection: keep-alive\r\n\r\n")
        else:
            out.append("\r\n")
        data = "".join(out).encode("latin-1", errors="replace")
        self.transport.write(data if head or not body else data + body)
        return 0 if head else len(body)
