"""The server's state: the loaded function, its collaborators, open connections, the lifecycle.

`App.protocol_factory` is given to `loop.create_server` by `__main__` (the only place that
listens) or by the tests. Imports run one way: app → protocol (HTTP only), routes (the runtime's
own answers) and invocation (user code); none of those imports app.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from typing import Callable, Optional, Set

from .deadlines import Deadlines
from .event import Request
from .headers import Headers
from .invocation import Completions, Invocation
from .limits import DEFAULT_TIMEOUTS, Timeouts
from .load import LoadedFunction
from .metrics import Metrics
from .options import Options
from .protocol import HttpProtocol, Message
from .respond import Rendered, plain
from .routes import access_line, builtin_answer
from .sdk import Publisher
from .telemetry import Telemetry
from .workers import Workers

#: threads for `def` handlers; Kyma starts a thread per request, this bounds it
MAX_WORKERS = 100


class App:
    """Implements `protocol.Owner`: routes each request to the runtime or the function."""

    def __init__(self, options: Options, function: LoadedFunction, telemetry: Telemetry,
                 metrics: Optional[Metrics] = None, publisher: Optional[Publisher] = None,
                 log=None, access_log=None, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 max_workers: int = MAX_WORKERS):
        self.options = options
        self.function = function
        self.telemetry = telemetry
        self.tracer = telemetry.tracer
        self.metrics = metrics or Metrics()
        self.publisher = publisher or Publisher(options.publisher_address)
        self.context = options.context()
        self.timeout = float(options.timeout)
        self.deadlines = Deadlines(self.timeout)
        self.limit = options.body_limit_bytes
        # The Node runtime's words; the limit printed as JavaScript prints numbers (1, not 1.0).
        limit_mb = options.body_limit_mb
        self.too_large_text = ("Payload Too Large: the body exceeds REQ_MB_LIMIT "
                               f"({int(limit_mb) if limit_mb == int(limit_mb) else limit_mb} MB)")
        self.workers = Workers(max_workers)
        self.log = log or (lambda text: sys.stderr.write(text))
        self.completions = Completions(self.log)
        self.access_log = access_log if access_log is not None else (
            (lambda text: sys.stdout.write(text)) if options.access_log else None)
        self.connections: Set[HttpProtocol] = set()
        self.timeouts = timeouts
        self.sweeping = False
        self.inflight = 0
        self.closing = False

    def protocol_factory(self) -> HttpProtocol:
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

    # --- requests (protocol.Owner) ------------------------------------------------------------

    def dispatch(self, message: Message, connection: HttpProtocol) -> None:
        """HTTP-ROUTE: the runtime's own routes, else the function."""
        answer = builtin_answer(message.method, message.path, message.headers, self.metrics)
        if answer is not None:
            connection.respond(message, answer)
            return
        request = Request(message.method, message.path, message.query, Headers(message.headers),
                          message.body, connection.remote, message.version)
        self.inflight += 1
        started = time.perf_counter()

        def done(rendered: Rendered, keep_alive: bool = True) -> None:
            self.inflight -= 1
            connection.respond(message, rendered, started, keep_alive)

        try:
            self.invoke(request, done)
        except Exception as exc:  # a runtime bug, never a user error: answer, log, keep serving
            self.log("fnruntime: ERROR internal: " + "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)))
            done(plain(500, "Internal server error"), False)

    def invoke(self, request: Request, on_done: Callable[[Rendered], None]) -> None:
        """Run the function for `request`; `on_done(rendered)` is called once, on the loop."""
        Invocation(self, request, on_done).start()

    def answered(self, connection: HttpProtocol, message: Message, status: int, size: int,
                 started: float) -> None:
        """LC-LOG: one access-log line per answer when KYMA_INTERNAL_LOGGER_ENABLED is true."""
        if self.access_log is not None:
            self.access_log(access_line(connection.remote, message.method, message.path,
                                        message.query, message.version, status, size, started))
