"""One call of the user function: span, event, thread or task, timeout, result or failure.

`def` handlers run on a worker thread so they never block the event loop, /healthz or each other;
`async def` handlers run as tasks on the loop. Callback-driven rather than a coroutine: a `def`
handler costs one hand-over to a worker thread and one hand-back (`Completions`), nothing else
(see bench/).
"""

from __future__ import annotations

import asyncio
import contextvars
import http
import inspect
import time
import traceback
from collections import deque
from typing import Any, Callable, Deque, Optional, Tuple

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .event import Request, RequestError, Response, build_event
from .respond import HTTPResponse, Rendered, UnrenderableResult, plain, render


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


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "error"


class Completions:
    """Results of `def` handlers, handed from worker threads to the loop in batches: one wake-up of
    the loop (call_soon_threadsafe) for all results that arrive before it gets to them, rather than
    one each (issue 16: a few µs a request under load)."""

    def __init__(self, log):
        self._results: Deque[Tuple["Invocation", bool, Any]] = deque()
        self._scheduled = False
        self._log = log

    # worker thread
    def put(self, invocation: "Invocation", ok: bool, result: Any) -> None:
        self._results.append((invocation, ok, result))
        if not self._scheduled:
            self._scheduled = True
            try:
                invocation.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: the process is exiting
                pass

    # loop thread
    def _drain(self) -> None:
        self._scheduled = False  # first: a result queued from now on schedules another drain
        results = self._results
        while results:
            invocation, ok, result = results.popleft()
            try:
                invocation.completed(ok, result)
            except Exception as exc:  # a runtime bug: log it, answer the others
                self._log("fnruntime: ERROR internal: " + "".join(
                    traceback.format_exception(type(exc), exc, exc.__traceback__)))


class Invocation:
    """Runs the function for one request and calls `on_done(rendered)` once, on the loop.

    From `app` (an `app.App`) it reads: function, context, timeout, options.timeout, telemetry,
    tracer, publisher, workers, metrics and log.
    """

    __slots__ = ("app", "loop", "request", "on_done", "span", "ctx", "response", "started",
                 "finished", "called", "task", "job")

    def __init__(self, app, request: Request, on_done: Callable[[Rendered], None]):
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.request = request
        self.on_done = on_done
        self.finished = False
        self.called = False
        self.task = None
        self.job = None

    def start(self) -> None:
        app = self.app
        request = self.request
        self.started = time.perf_counter()
        parent = app.telemetry.extract(request.headers)
        span = self.span = app.telemetry.server_spans.start(
            request.method, {"http.request.method": request.method, "url.path": request.path,
                             "faas.trigger": "http"}, parent)
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
        app.deadlines.watch(self)  # RES-TIMEOUT: timed_out() once FUNC_TIMEOUT has passed
        if function.is_async:
            try:
                coroutine = ctx.run(function.handler, event, app.context)
            except BaseException as exc:  # pylint: disable=broad-except
                self.failed(exc)
                return
            self.await_result(coroutine)
        else:
            self.job = app.workers.submit(self.run_in_thread, function.handler, event, app.context)

    # worker thread
    def run_in_thread(self, handler, event, context) -> None:
        try:
            result = self.ctx.run(handler, event, context)
            ok = True
        except BaseException as exc:  # pylint: disable=broad-except
            result, ok = exc, False
        self.app.completions.put(self, ok, result)

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
        self.log_error("function failed", exc)
        self.finish(plain(500, "Internal server error"), failed=True)

    def timed_out(self) -> None:
        if self.finished:
            return
        if self.task is not None:
            self.task.cancel()
        message = f"function timed out after {self.app.options.timeout}s"
        if self.job is not None:  # a `def` handler: its thread runs on, no longer counted as capacity
            workers = self.app.workers
            workers.abandon(self.job)
            message += (f"; its thread runs on until it returns ({workers.abandoned} timed-out "
                        f"handler thread(s) running, {workers.threads} threads in all")
            message += (", the most there may be: new calls wait for a thread)"
                        if workers.saturated() else ")")
        self.span.set_status(Status(StatusCode.ERROR, "function timed out"))
        self.log_error(message, None)
        self.finish(plain(408, "Request Timeout"), failed=True)

    def log_error(self, message: str, exc: Optional[BaseException]) -> None:
        """RES-ERROR: the error and its stack go to stderr with the trace id, in one write."""
        trace_id = format(self.span.get_span_context().trace_id, "032x")
        text = f"fnruntime: ERROR {message} (trace_id={trace_id})\n"
        if exc is not None:
            text += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.app.log(text)

    def finish(self, rendered: Rendered, failed: bool = False) -> None:
        if self.finished:
            return
        self.finished = True
        span = self.span
        status = rendered[0]
        span.set_attribute("http.response.status_code", status)
        if status >= 500 and span.status.status_code is StatusCode.UNSET:
            span.set_status(Status(StatusCode.ERROR, _reason(status)))
        span.end()
        if self.called:
            self.app.metrics.observe(time.perf_counter() - self.started, failed)
        on_done = self.on_done
        # A finished invocation may wait in the deadline queue for a while: keep it small there, and
        # part from its job (whose call refers back to it) so no cycle is left for the GC.
        self.request = self.response = self.ctx = self.on_done = self.job = self.task = None
        on_done(rendered)
