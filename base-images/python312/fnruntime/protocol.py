"""One client connection: HTTP/1.1 on httptools, with keep-alive and pipelining.

This layer knows HTTP and nothing of functions. It parses requests, enforces the limits of
`limits.py` (head size, timeouts) and the body limit (HTTP-LIMIT), refuses what the runtime does not
serve (other HTTP versions, HTTP/1.1 without Host, unknown expectations, CONNECT), answers in request
order, and writes responses (default CORS header, HTTP-ROUTE). What to answer is its owner's
business: each complete request goes to `owner.dispatch` as a `Message`, and the owner answers
through `respond` (at once or later, once). `app.App` is the owner; it imports this module, never the
other way round. The Node runtime (`src/http-server.ts`) gives the same answers; the shared catalogue
`test/fixtures/bad-input/cases.json` holds the cases.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Deque, NamedTuple, Optional, Protocol, Set

import httptools

from .limits import FEED_BYTES, HEAD_LIMIT_BYTES, HEAD_RAW_BYTES, MAX_HEADER_FIELDS, Timeouts
from .respond import Rendered, plain
from .wire import serialize

#: seconds a rejected (413) body may keep arriving before the connection is closed
DISCARD_SECONDS = 10.0
#: pipelined requests queued before the connection stops reading
MAX_PENDING = 32
#: an Expect value the runtime meets (as Node matches it)
CONTINUE = re.compile(r"(?:^|\W)100-continue(?:$|\W)", re.IGNORECASE)


class Message(NamedTuple):
    """One complete request as parsed; `refusal`: the runtime's own answer, after which it closes."""

    method: str
    path: str
    query: str
    headers: list  # [(name, value)] as received
    body: bytes
    keep_alive: bool
    version: str
    refusal: Optional[Rendered]


class Owner(Protocol):
    """What a connection needs from the server that owns it (the seam; `app.App` is one)."""

    limit: int  # request body limit in bytes (HTTP-LIMIT)
    too_large_text: str  # the 413 body
    closing: bool  # shutting down: no more keep-alive (LC-TERM)
    connections: Set["HttpProtocol"]  # open connections, added and removed by the connection
    timeouts: Timeouts
    sweeping: bool  # a sweep of expired connections is scheduled

    def dispatch(self, message: Message, connection: "HttpProtocol") -> None:
        """Answer `message` by calling `connection.respond` exactly once, now or later."""

    def answered(self, connection: "HttpProtocol", message: Message, status: int, size: int,
                 started: float) -> None:
        """Called after each answer is written (the access log)."""


def _sweep(owner: Owner, loop: asyncio.AbstractEventLoop) -> None:
    """Close the connections whose client took too long (limits.Timeouts), every `sweep` seconds."""
    now = loop.time()
    for connection in list(owner.connections):
        if connection.deadline and now >= connection.deadline:
            connection.expired()
    if owner.connections:
        loop.call_later(owner.timeouts.sweep, _sweep, owner, loop)
    else:
        owner.sweeping = False


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
        self.stopped = False  # refused, or after `Connection: close`: nothing more is read
        self.close_requested = False
        self.deadline = 0.0  # loop time by which the client must have done its part; 0: none
        self.deadline_answer = 0  # what an expired deadline answers (408), 0: close silently
        self.started = 0.0
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: list = []
        self.body: list = []
        self.size = 0
        self.too_large = False
        self.expect_continue = False
        self.head_done = False
        self.head_bytes = 0  # URL + header names + values, as Node counts them
        self.head_raw = 0  # raw bytes fed since the head began (an upper bound)
        self.method = ""
        self.version = "1.1"

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = peer[0] if peer else ""
        owner = self.owner
        owner.connections.add(self)
        self.deadline = self.loop.time() + owner.timeouts.head
        self.deadline_answer = 408
        if not owner.sweeping:
            owner.sweeping = True
            self.loop.call_later(owner.timeouts.sweep, _sweep, owner, self.loop)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.owner.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        """Feed the parser at most FEED_BYTES at a time (an over-long head is noticed early)."""
        size = len(data)
        if size <= FEED_BYTES:
            if not self.closed and not self.stopped:
                consumed = self._feed(data)
                if consumed < size and not self.stopped:  # an ignored Upgrade: the rest is HTTP
                    self.data_received(data[consumed:])
            return
        view = memoryview(data)
        start = 0
        while start < size and not self.closed and not self.stopped:
            start += self._feed(view[start:start + FEED_BYTES])

    def _feed(self, piece) -> int:
        """Feed one piece to the parser; returns the bytes of it that were consumed."""
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserUpgrade as upgrade:
            # Upgrade (WebSocket, h2c) is ignored: the request was answered as plain HTTP/1.1, as
            # Node does without an upgrade listener; what follows is parsed as the next request.
            self.parser = httptools.HttpRequestParser(self)
            return upgrade.args[0]
        except httptools.HttpParserError:
            if not self.stopped and not self.close_requested:
                self._refuse(400, "Bad Request")
            self.stopped = True  # after `Connection: close` the rest is ignored (RFC 9112 §9.6)
            return len(piece)
        if self.in_message and not self.head_done:
            self.head_raw += len(piece)
            if self.head_raw > HEAD_RAW_BYTES:
                self._refuse(431, "Request Header Fields Too Large")
        return len(piece)

    def close_if_idle(self) -> None:
        if not self.busy and not self.in_message and not self.pending:
            self._close()

    def expired(self) -> None:
        """The client took too long: 408 for a request that did not arrive in time, else close."""
        answer, self.deadline = self.deadline_answer, 0.0
        if answer and not self.rejecting:
            self._refuse(answer, "Request Timeout")
        else:
            self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def _refuse(self, status: int, text: str) -> None:
        """Answer `status` after the requests before this one, then close; read nothing more."""
        if self.stopped:
            return
        self.stopped = True
        self.in_message = False
        self.deadline = 0.0
        self.transport.pause_reading()
        refusal = Message(self.method or "GET", "", "", [], b"", False, "1.1", plain(status, text))
        if self.busy:
            self.pending.append(refusal)
        elif not self.rejecting:
            self._start(refusal)

    # --- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.stopped:
            return
        self.in_message = True
        self._reset()
        self.started = self.loop.time()
        self.deadline = self.started + self.owner.timeouts.head
        self.deadline_answer = 408

    def on_url(self, url: bytes) -> None:
        if self.stopped:
            return
        self.url += url
        self.head_bytes += len(url)
        if self.head_bytes >= HEAD_LIMIT_BYTES:
            self._refuse(431, "Request Header Fields Too Large")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.stopped:
            return
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))
        self.head_bytes += len(name) + len(value)
        if self.head_bytes >= HEAD_LIMIT_BYTES or len(self.headers) > MAX_HEADER_FIELDS:
            self._refuse(431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        if self.stopped:
            return
        self.head_done = True
        self.deadline = self.started + self.owner.timeouts.request
        parser = self.parser
        self.method = parser.get_method().decode("ascii")
        self.version = version = parser.get_http_version()
        if version != "1.1" and version != "1.0":
            self._refuse(505, "HTTP Version Not Supported: only HTTP/1.0 and HTTP/1.1 are supported")
            return
        if self.method == "CONNECT":  # a function is no proxy
            self._refuse(400, "Bad Request")
            return
        length = expect = None
        host = False
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                length = value
            elif lower == "host":
                host = True
            elif lower == "expect":
                expect = value
        if version == "1.1":
            if expect is not None:  # RFC 9110 §10.1.1: only 100-continue is met
                if not CONTINUE.search(expect):
                    self._refuse(417, "Expectation Failed: only Expect: 100-continue is supported")
                    return
                self.expect_continue = True
            if not host:  # RFC 9112 §3.2
                self._refuse(400, "Bad Request: an HTTP/1.1 request needs a Host header")
                return
        if length is not None and length.strip().isdigit() and int(length) > self.owner.limit:
            self._reject_too_large()
        elif self.expect_continue and not self.busy and not self.pending:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        if self.too_large or self.stopped:
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
        if self.stopped:
            return
        self.in_message = False
        self.deadline = 0.0  # the invocation has FUNC_TIMEOUT of its own
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
        keep_alive = self.parser.should_keep_alive()
        if not keep_alive:
            self.close_requested = True
        refusal = plain(413, self.owner.too_large_text) if self.too_large else None
        message = Message(self.method, path, query, self.headers, b"".join(self.body), keep_alive,
                          self.version, refusal)
        if self.busy:
            self.pending.append(message)
            if len(self.pending) > MAX_PENDING:
                self.transport.pause_reading()
        else:
            self._start(message)

    # --- answering, in request order ---------------------------------------------------------

    def _start(self, message: Message) -> None:
        self.http10 = message.version == "1.0"
        if message.refusal is not None:  # refused, or a 413 that could not go out at once
            self.respond(message, message.refusal, keep_alive=False)
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
            if len(self.pending) <= MAX_PENDING and not self.stopped:
                self.transport.resume_reading()
            self._start(self.pending.popleft())
        elif self.owner.closing and not self.in_message:
            self._close()
        elif not self.in_message:  # idle on a kept-alive connection
            self.deadline = self.loop.time() + self.owner.timeouts.keep_alive
            self.deadline_answer = 0

    def _write(self, rendered: Rendered, head: bool, keep_alive: bool) -> int:
        """Serialize one response; returns the body bytes sent (0 for HEAD)."""
        data, size = serialize(rendered, head, keep_alive, self.http10)
        self.transport.write(data)
        return size
