"""Threads for `def` handlers: the event loop hands work over without futures or tasks.

A job is `(fn, args)`; the worker calls `fn(*args)` and nothing else, so `fn` reports its own
result back to the loop (call_soon_threadsafe). Threads start on demand up to `max_workers` and
stay; a handler that never returns holds one thread, never the loop.
"""

from __future__ import annotations

import queue
import threading


class Workers:
    def __init__(self, max_workers: int, name: str = "function"):
        self.max_workers = max_workers
        self.name = name
        self._jobs: "queue.SimpleQueue" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn, *args) -> None:
        with self._lock:
            start = self._idle == 0 and self._threads < self.max_workers
            if start:
                self._threads += 1
            else:
                self._idle -= 1 if self._idle else 0
        self._jobs.put((fn, args))
        if start:
            threading.Thread(target=self._run, name=f"{self.name}-{self._threads}",
                             daemon=True).start()

    def _run(self) -> None:
        jobs = self._jobs
        lock = self._lock
        while True:
            fn, args = jobs.get()
            try:
                fn(*args)
            except BaseException:  # fn reports its own errors; this only keeps the thread alive
                pass
            with lock:
                self._idle += 1

    @property
    def threads(self) -> int:
        return self._threads
