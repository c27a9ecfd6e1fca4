"""RES-TIMEOUT without a timer per invocation.

Every invocation has the same timeout (FUNC_TIMEOUT), so deadlines come in the order invocations
start: one queue, one timer for the earliest deadline. Watching an invocation is an append; finished
invocations leave the front of the queue as soon as they get there (most finish long before their
deadline), so the queue holds about as many entries as there are invocations in flight. A timer per
invocation (`loop.call_later` and its cancel) cost more CPU per request than the rest of its
bookkeeping (issue 16, profiled).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Deque, Optional, Tuple


class Deadlines:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self._queue: Deque[Tuple[float, object]] = deque()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def watch(self, invocation) -> None:
        """Call `invocation.timed_out()` once the timeout has passed, unless it has finished by then."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        queue = self._queue
        while queue and queue[0][1].finished:
            queue.popleft()
        queue.append((loop.time() + self.timeout, invocation))
        if self._timer is None:
            self._timer = loop.call_at(queue[0][0], self._expire)

    def _expire(self) -> None:
        self._timer = None
        queue = self._queue
        now = self._loop.time()
        while queue:
            deadline, invocation = queue[0]
            if deadline > now and not invocation.finished:
                self._timer = self._loop.call_at(deadline, self._expire)
                return
            queue.popleft()
            if not invocation.finished:
                invocation.timed_out()

    def __len__(self) -> int:
        return len(self._queue)
