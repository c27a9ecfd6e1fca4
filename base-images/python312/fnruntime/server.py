"""The HTTP/1.1 server: an asyncio protocol on httptools that serves the loaded function.

`App` holds everything an invocation needs; `App.protocol_factory` is given to
`loop.create_server` by `__main__` (the only place that listens) or by the tests.
Routes (HTTP-ROUTE): GET/HEAD /healthz, /metrics, /favicon.ico and every OPTIONS are answered here;
everything else goes to the function. `def` handlers run in a thread pool so they never block the
event loop, /healthz or each other; `async def` handlers are awaited on the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import http
import inspect
import re
import sys
import time
import traceback
from collections import deque
from email.utils import formatdate
from typing import Any, Callable, Deque, Optional, Set

import httptools
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .event import Request, RequestError, Response, build_event
from .headers import Headers
from .load import LoadedFunction
from .metrics import CONTENT_TYPE as METRICS_TYPE
from .metrics import Metrics
from .options import Options
from .respond import HTTPResponse, Rendered, UnrenderableResult, plain, render
from .sdk import Publisher
from .telemetry import Telemetry
from .workers import Workers

#: threads for `def` handlers; Kyma starts a thread per request, this bounds it
MAX_WORKERS = 100
#: seconds a rejected (413) body may keep arriving before the connection is closed
DISCARD_SECONDS = 10.0
REASONS = {status.value: status.phrase for status in http.HTTPStatus}
STATUS_LINES = {code: f"HTTP/1.1 {code} {phrase}\r\n" for code, phrase in REASONS.items()}
SKIPPED_HEADERS = frozenset(("content-length", "transfer-encoding", "connection", "date"))
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
NO_BODY_STATUS = frozenset((204, 304))
CORS_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


class UserExit(Exception):
    """The handler raised SystemExit / KeyboardInterrupt: treated as an error, never an exit."""


async def _guard(awaitable):
    try:
        return await awaitable
    except (SystemExit, KeyboardInterrupt) as exc:
        raise UserExit(repr(exc)) from exc


def _consume(future) -> None:
    """Done-callback for abandoned (timed-out) invocations: retrieve and drop the late result."""
    if not future.cancelled():
        future.exception()


class _Date:
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


class App:
    def __init__(self, options: Options, function: LoadedFunction, telemetry: Telemetry,
                 metrics: Optional[Metrics] = None, publisher: Optional[Publisher] = None,
                 log=None, access_log=None):
        self.options = options
        self.function = function
        self.telemetry = telemetry
        self.tracer = telemetry.tracer
        self.metrics = metrics or Metrics()
        self.publisher = publisher or Publisher(options.publisher_address)
        self.context = options.context()
        self.timeout = float(options.timeout)
        self.limit = options.body_limit_bytes
        # The Node runtime's words; the limit printed as JavaScript prints numbers (1, not 1.0).
        limit_mb = options.body_limit_mb
        self.too_large_text = ("Payload Too Large: the body exceeds REQ_MB_LIMIT "
                               f"({int(limit_mb) if limit_mb == int(limit_mb) else limit_mb} MB)")
        self.workers = Workers(MAX_WORKERS)
        self.log = log or (lambda text: sys.stderr.write(text))
        self.access_log = access_log if access_log is not None else (
            (lambda text: sys.stdout.write(text)) if options.access_log else None)
        self.connections: Set["HttpProtocol"] = set()
        self.inflight = 0
        self.closing = False
        self.date = _Date()
        self._idle: Optional[asyncio.Event] = None

    def protocol_factory(self) -> "HttpProtocol":
        return HttpProtocol(self)

    # --- lifecycle (LC-TERM) ---------------------------------------------------------------

    def begin_shutdown(self) -> None:
        """Stop keeping connections alive; close the idle ones now."""
        self.closing = True
        for connection in list(self.connections):
            connection.close_if_idle()

    async def drain(self, timeout: float) -> bool:
        """Wait until no invocation is in flight, at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.inflight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.close_if_idle()
        return self.inflight == 0

    # --- one invocation ---------------------------------------------------------------------

    def invoke(self, request: Request, on_done: Callable[[Rendered], None]) -> None:
        """Run the function for `request`; `on_done(rendered)` is called once, on the loop."""
        Invocation(self, request, on_done).start()

    def log_error(self, message: str, span, exc: Optional[BaseException]) -> None:
        """RES-ERROR: the error and its stack go to stderr with the trace id, in one write."""
        trace_id = format(span.get_span_context().trace_id, "032x")
        text = f"fnruntime: ERROR {message} (trace_id={trace_id})\n"
        if exc is not None:
            text += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log(text)


class Invocation:
    """One call of the user function: span, event, thread or task, timeout, response.

    Callback-driven rather than a coroutine: a `def` handler costs one hand-over to a worker
    thread and one `call_soon_threadsafe` back, nothing else (see bench/).
    """

    __slots__ = ("app", "loop", "request", "on_done", "span", "ctx", "response", "started",
                 "timer", "finished", "called", "task")

    def __init__(self, app: App, request: Request, on_done):
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.request = request
        self.on_done = on_done
        self.finished = False
        self.called = False
        self.timer = None
        self.task = None

    def start(self) -> None:
        app = self.app
        request = self.request
        self.started = time.perf_counter()
        parent = app.telemetry.extract(request.headers)
        span = self.span = app.tracer.start_span(
            request.method, context=parent, kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "url.path": request.path,
                        "faas.trigger": "http"})
        ctx = self.ctx = contextvars.copy_context()
        ctx.run(otel_context.attach, trace.set_span_in_context(span, parent))
        self.response = Response()
        try:
            event = build_event(request, app.tracer, self.response, app.publisher)
        except RequestError as exc:
            self.finish(plain(exc.status, exc.reason))
            return
        self.called = True
        function = app.function
        self.timer = self.loop.call_later(app.timeout, self.timed_out)
        if function.is_async:
            try:
                coroutine = ctx.run(function.handler, event, app.context)
            except BaseException as exc:  # pylint: disable=broad-except
                self.failed(exc)
                return
            self.await_result(coroutine)
        else:
            app.workers.submit(self.run_in_thread, function.handler, event, app.context)

    # worker thread
    def run_in_thread(self, handler, event, context) -> None:
        try:
            result = self.ctx.run(handler, event, context)
            ok = True
        except BaseException as exc:  # pylint: disable=broad-except
            result, ok = exc, False
        try:
            self.loop.call_soon_threadsafe(self.completed, ok, result)
        except RuntimeError:  # the loop is closed: the process is exiting
            pass

    # loop thread from here on
    def completed(self, ok: bool, result: Any) -> None:
        if self.finished:
            return  # timed out already: the late result is discarded (RES-TIMEOUT)
        if not ok:
            self.failed(result)
        elif inspect.isawaitable(result):  # a `def` that returned a coroutine
            self.await_result(result)
        else:
            self.rendered(result)

    def await_result(self, awaitable) -> None:
        self.task = self.loop.create_task(_guard(awaitable), context=self.ctx)
        self.task.add_done_callback(self.task_done)

    def task_done(self, task: asyncio.Task) -> None:
        if self.finished:
            _consume(task)
            return
        if task.cancelled():
            self.failed(asyncio.CancelledError())
        elif task.exception() is not None:
            self.failed(task.exception())
        else:
            self.rendered(task.result())

    def rendered(self, result: Any) -> None:
        try:
            self.finish(render(result, self.response))
        except UnrenderableResult as exc:
            self.failed(exc)

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, HTTPResponse) or (
                type(exc).__name__ == "HTTPResponse" and hasattr(exc, "body")):
            try:
                self.finish(render(exc, self.response))
                return
            except UnrenderableResult as bad:
                exc = bad
        if isinstance(exc, UserExit) and exc.__cause__ is not None:
            exc = exc.__cause__
        span = self.span
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        self.app.log_error("function failed", span, exc)
        self.finish(plain(500, "Internal server error"), failed=True)

    def timed_out(self) -> None:
        if self.finished:
            return
        if self.task is not None:
            self.task.cancel()
        self.span.set_status(Status(StatusCode.ERROR, "function timed out"))
        self.app.log_error(f"function timed out after {self.app.options.timeout}s", self.span, None)
        self.finish(plain(408, "Request Timeout"), failed=True)

    def finish(self, rendered: Rendered, failed: bool = False) -> None:
        if self.finished:
            return
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
        span = self.span
        status = rendered[0]
        span.set_attribute("http.response.status_code", status)
        if status >= 500 and span.status.status_code is StatusCode.UNSET:
            span.set_status(Status(StatusCode.ERROR, REASONS.get(status, "error")))
        span.end()
        if self.called:
            self.app.metrics.observe(time.perf_counter() - self.started, failed)
        self.on_done(rendered)


class HttpProtocol(asyncio.Protocol):
    """One client connection: HTTP/1.1 keep-alive and pipelining, answers in request order."""

    def __init__(self, app: App):
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.http10 = False
        self.transport: Optional[asyncio.Transport] = None
        self.parser = httptools.HttpRequestParser(self)
        self.remote = ""
        self.pending: Deque[tuple] = deque()
        self.busy = False
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
        self.app.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.app.connections.discard(self)

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
            self._write_raw(plain(status, reason), head=False, keep_alive=False)
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
        if length is not None and length.strip().isdigit() and int(length) > self.app.limit:
            self._reject_too_large()
        elif self.expect_continue and not self.busy and not self.pending:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        if self.too_large:
            return
        self.size += len(chunk)
        if self.size > self.app.limit:
            self._reject_too_large()
        else:
            self.body.append(chunk)

    def _reject_too_large(self) -> None:
        """HTTP-LIMIT: 413 before user code; the rest of the body is read and dropped."""
        self.too_large = True
        self.body = []
        if not self.busy and not self.pending and not self.rejecting:
            self.rejecting = True
            self._write_raw(plain(413, self.app.too_large_text), head=False, keep_alive=False)
            self.loop.call_later(DISCARD_SECONDS, self._close)

    def on_message_complete(self) -> None:
        self.in_message = False
        if self.rejecting:
            self._close()
            return
        method = self.parser.get_method().decode("ascii")
        keep_alive = self.parser.should_keep_alive()
        version = self.parser.get_http_version()
        url = self.url
        if url[:1] != b"/":
            parsed = httptools.parse_url(url)
            path = (parsed.path or b"/").decode("latin-1")
            query = (parsed.query or b"").decode("latin-1")
        else:
            path, _, query = url.decode("latin-1").partition("?")
        item = (method, path, query, self.headers, b"".join(self.body), keep_alive, version,
                self.too_large)
        if self.busy:
            self.pending.append(item)
            if len(self.pending) > 32:
                self.transport.pause_reading()
        else:
            self._start(item)

    # --- dispatch -----------------------------------------------------------------------------

    def _start(self, item: tuple) -> None:
        method, path, query, headers, body, keep_alive, version, too_large = item
        app = self.app
        self.http10 = version == "1.0"
        keep_alive = keep_alive and not app.closing
        if too_large:
            self._finish(item, plain(413, app.too_large_text), False, 0.0)
            return
        if method in ("GET", "HEAD"):
            if path == "/healthz":
                self._finish(item, (200, Headers({"Content-Type": "text/plain; charset=utf-8"}),
                                    b"OK"), keep_alive, 0.0)
                return
            if path == "/favicon.ico":
                self._finish(item, (204, Headers(), b""), keep_alive, 0.0)
                return
            if path == "/metrics":
                self._finish(item, (200, Headers({"Content-Type": METRICS_TYPE}),
                                    app.metrics.render()), keep_alive, 0.0)
                return
        if method == "OPTIONS":
            self._finish(item, self._preflight(headers), keep_alive, 0.0)
            return
        request = Request(method, path, query, Headers(headers), body, self.remote, version)
        self.busy = True
        app.inflight += 1
        started = time.perf_counter()
        try:
            app.invoke(request, lambda rendered: self._invoked(item, rendered, keep_alive, started))
        except Exception as exc:  # a runtime bug, never a user error: answer, log, keep serving
            app.log("fnruntime: ERROR internal: " + "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)))
            self._invoked(item, plain(500, "Internal server error"), False, started)

    @staticmethod
    def _preflight(headers: list) -> Rendered:
        lower = {name.lower(): value for name, value in headers}
        answer = Headers({
            "Access-Control-Allow-Methods": lower.get("access-control-request-method", CORS_METHODS),
            "Vary": "Access-Control-Request-Headers",
            "Content-Length": "0",
        })
        if "access-control-request-headers" in lower:
            answer["Access-Control-Allow-Headers"] = lower["access-control-request-headers"]
        return 204, answer, b""

    def _invoked(self, item: tuple, rendered: Rendered, keep_alive: bool, started: float) -> None:
        self.app.inflight -= 1
        self.busy = False
        self._finish(item, rendered, keep_alive and not self.app.closing, started)

    def _finish(self, item: tuple, rendered: Rendered, keep_alive: bool, started: float) -> None:
        if self.closed:
            return
        method = item[0]
        size = self._write_raw(rendered, head=method == "HEAD", keep_alive=keep_alive)
        if self.app.access_log is not None:
            millis = (time.perf_counter() - started) * 1000 if started else 0.0
            self.app.access_log(f'{self.remote} "{method} {item[1]}{"?" + item[2] if item[2] else ""}'
                                f' HTTP/{item[6]}" {rendered[0]} {size} {millis:.1f}ms\n')
        if not keep_alive:
            self._close()
            return
        if self.pending:
            if len(self.pending) <= 32:
                self.transport.resume_reading()
            self._start(self.pending.popleft())
        elif self.app.closing and not self.in_message:
            self._close()

    def _write_raw(self, rendered: Rendered, head: bool, keep_alive: bool) -> int:
        status, headers, body = rendered
        line = STATUS_LINES.get(status) or f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
        out = [line, self.app.date.get()]
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
        if cors:
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
