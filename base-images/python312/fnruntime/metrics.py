"""Prometheus text for GET /metrics (HTTP-METRICS), with Kyma's metric names and `method` label."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Dict, List

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Histogram:
    __slots__ = ("counts", "total", "count")

    def __init__(self):
        self.counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.count = 0


class Metrics:
    """Counts calls and failures of the user function and its duration, per HTTP method."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls: Dict[str, int] = defaultdict(int)
        self.failures: Dict[str, int] = defaultdict(int)
        self.durations: Dict[str, _Histogram] = defaultdict(_Histogram)

    def observe(self, method: str, seconds: float, failed: bool) -> None:
        with self._lock:
            self.calls[method] += 1
            if failed:
                self.failures[method] += 1
            histogram = self.durations[method]
            histogram.count += 1
            histogram.total += seconds
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    histogram.counts[index] += 1
                    break

    def render(self) -> bytes:
        with self._lock:
            lines: List[str] = [
                "# HELP function_calls_total Number of calls to user function",
                "# TYPE function_calls_total counter",
            ]
            lines += [f'function_calls_total{{method="{m}"}} {n}' for m, n in sorted(self.calls.items())]
            lines += ["# HELP function_failures_total Number of exceptions in user function",
                      "# TYPE function_failures_total counter"]
            lines += [f'function_failures_total{{method="{m}"}} {self.failures.get(m, 0)}'
                      for m in sorted(self.calls)]
            lines += ["# HELP function_duration_seconds Duration of user function in seconds",
                      "# TYPE function_duration_seconds histogram"]
            for method, histogram in sorted(self.durations.items()):
                cumulative = 0
                for bound, count in zip(BUCKETS, histogram.counts):
                    cumulative += count
                    lines.append(f'function_duration_seconds_bucket{{le="{bound}",method="{method}"}}'
                                 f" {cumulative}")
                lines.append(f'function_duration_seconds_bucket{{le="+Inf",method="{method}"}}'
                             f" {histogram.count}")
                lines.append(f'function_duration_seconds_sum{{method="{method}"}} {histogram.total}')
                lines.append(f'function_duration_seconds_count{{method="{method}"}} {histogram.count}')
        return ("\n".join(lines) + "\n").encode()
