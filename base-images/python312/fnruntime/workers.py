"""Threads for `def` handlers: the event loop hands work over without futures or tasks.

A job is `(fn, args)`; the worker calls `fn(*args)` and nothing else, so `fn` reports its own
result back to the loop (call_soon_threadsafe). Threads start on demand.

RES-TIMEOUT cannot stop a `def` handler: Python has no way to kill a thread, so a handler that runs
past FUNC_TIMEOUT keeps its thread until it returns. Capacity is therefore counted in threads that
serve calls someone still waits for: when an invocation times out, the owner `abandon()`s its job,
that thread stops counting against `max_workers`, and a new thread may start in its place, up to
`max_workers + max_abandoned` threads in all. So a burst of handlers that time out does not make
fast handlers wait or time out (issue 15: at 64 connections, 408s for 300 ms handlers once 100 threads
were held by timed-out ones). Only past that bound do new calls wait for a thread (within their own
timeout); `saturated()` says so, and the owner logs it. A job abandoned before it started never runs.
Threads that were idle for `idle_seconds` end, so the pool shrinks back after a burst.
"""

from __future__ import annotations

import queue
import threading
from typing import Optional

_QUEUED, _RUNNING, _DONE, _SKIPPED, _ABANDONED = range(5)


class Job:
    """One submitted call; `Workers.abandon(job)` tells the pool nobody waits for it any more."""

    __slots__ = ("fn", "args", "state")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args
        self.state = _QUEUED


class Workers:
    def __init__(self, max_workers: int, max_abandoned: Optional[int] = None,
                 idle_seconds: float = 60.0, name: str = "function"):
        self.max_workers = max_workers
        self.max_abandoned = max_workers if max_abandoned is None else max_abandoned
        self.idle_seconds = idle_seconds
        self.name = name
        self._jobs: "queue.SimpleQueue[Job]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads waiting for a job that no submitted job has claimed yet
        self._backlog = 0  # queued jobs that no thread has claimed yet
        self._abandoned = 0  # threads running a job nobody waits for
        self._started = 0

    def _may_start(self) -> bool:
        threads = self._threads
        return (threads - self._abandoned < self.max_workers
                and threads < self.max_workers + self.max_abandoned)

    def _start_thread(self) -> None:
        """Called with the lock held, after counting the thread in `_threads`."""
        self._started += 1
        threading.Thread(target=self._run, name=f"{self.name}-{self._started}", daemon=True).start()

    def submit(self, fn, *args) -> Job:
        job = Job(fn, args)
        with self._lock:
            if self._idle:
                self._idle -= 1
            elif self._may_start():
                self._threads += 1
                self._start_thread()
            else:
                self._backlog += 1
        self._jobs.put(job)  # outside the lock: the woken thread need not wait for it
        return job

    def abandon(self, job: Job) -> None:
        """The call of `job` timed out: its thread (if it has one) no longer counts as capacity."""
        with self._lock:
            if job.state == _QUEUED:
                job.state = _SKIPPED
            elif job.state == _RUNNING:
                job.state = _ABANDONED
                self._abandoned += 1
                if self._backlog and self._may_start():  # a queued call gets the freed capacity
                    self._backlog -= 1
                    self._threads += 1
                    self._start_thread()

    def _run(self) -> None:
        jobs = self._jobs
        lock = self._lock
        while True:
            try:
                job = jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with lock:
                    if self._idle:  # nobody claimed this thread: it ends
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # a job was claimed for this thread and is on its way
            with lock:
                run = job.state == _QUEUED
                if run:
                    job.state = _RUNNING
            if run:
                try:
                    job.fn(*job.args)
                except BaseException:  # fn reports its own errors; this only keeps the thread alive
                    pass
            # The job's call holds its invocation (a bound method) and its event, body included:
            # drop them now, not when the next job comes, and leave no cycle for the GC.
            job.fn = job.args = None
            with lock:
                if job.state == _ABANDONED:
                    self._abandoned -= 1
                job.state = _DONE
                if self._backlog:
                    self._backlog -= 1  # take a queued call that has no thread yet
                elif self._threads - self._abandoned > self.max_workers:
                    self._threads -= 1  # a thread that stood in for an abandoned one ends
                    return
                else:
                    self._idle += 1

    @property
    def threads(self) -> int:
        return self._threads

    @property
    def abandoned(self) -> int:
        """Threads still running a call that timed out."""
        return self._abandoned

    def saturated(self) -> bool:
        """No thread can start for a new call until a running one returns."""
        with self._lock:
            return not self._idle and not self._may_start()
