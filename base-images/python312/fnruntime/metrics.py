"""Prometheus text for GET /metrics (HTTP-METRICS): the same series as the Node runtime, no labels."""

from __future__ import annotations

import threading
from typing import List

#: The Node runtime's buckets (prom-client's defaults, extended up to the default FUNC_TIMEOUT).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Counts calls and failures of the user function and its duration."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0
        self.bucket_counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float, failed: bool) -> None:
        with self._lock:
            self.calls += 1
            if failed:
                self.failures += 1
            self.total += seconds
            self.count += 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[index] += 1

    def render(self) -> bytes:
        with self._lock:
            lines: List[str] = [
                "# HELP function_calls_total Number of calls to the function.",
                "# TYPE function_calls_total counter",
                f"function_calls_total {self.calls}",
                "# HELP function_failures_total Number of calls that threw, rejected or timed out.",
                "# TYPE function_failures_total counter",
                f"function_failures_total {self.failures}",
                "# HELP function_duration_seconds Duration of function calls in seconds.",
                "# TYPE function_duration_seconds histogram",
            ]
            lines += [f'function_duration_seconds_bucket{{le="{bound}"}} {count}'
                      for bound, count in zip(BUCKETS, self.bucket_counts)]
            lines += [f'function_duration_seconds_bucket{{le="+Inf"}} {self.count}',
                      f"function_duration_seconds_sum {self.total}",
                      f"function_duration_seconds_count {self.count}"]
        return ("\n".join(lines) + "\n").encode()
