"""Side-by-side benchmark: bare Bottle on cheroot vs this runtime (tracing on).

Servers are pinned to CPU 0, wrk (keep-alive) and the OTLP sink to CPU 1. Each round runs both
servers in turn; the JSON summary holds the medians over the rounds and ratio = runtime/bottle rps.

    .venv/bin/python bench/run.py [--rounds 3] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from otlp_sink import Sink  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, deadline: float = 10.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} not healthy after {deadline}s")


def start(kind: str, port: int, sink_port: int) -> subprocess.Popen:
    python = sys.executable
    if kind == "bottle":
        cmd = [python, os.path.join(HERE, "bottle_app.py"), str(port)]
        env = dict(os.environ)
    else:
        cmd = [python, "-m", "fnruntime"]
        env = dict(os.environ, FUNC_PORT=str(port), KUBELESS_INSTALL_VOLUME=os.path.join(HERE, "hello"),
                   FUNC_NAME="bench", PYTHONPATH=ROOT,
                   TRACE_COLLECTOR_ENDPOINT=f"http://127.0.0.1:{sink_port}/v1/traces")
    return subprocess.Popen(["taskset", "-c", "0", *cmd], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                          "--latency", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": p99_ms, "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


def measure(kind: str, args, sink: Sink) -> dict:
    port = free_port()
    proc = start(kind, port, sink.server_address[1])
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/", proc)  # cold start: spawn → first 200 of /
        wrk(f"http://127.0.0.1:{port}/", 1, args.connections)  # warm-up
        result = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.connections)
        result["cold_start_s"] = round(ready, 3)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        print("bench needs wrk and taskset on PATH", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {1})  # this process (and the OTLP sink thread) stays off CPU 0
    sink = Sink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    runs = {"bottle": [], "runtime": []}
    for _ in range(args.rounds):
        for kind in runs:
            runs[kind].append(measure(kind, args, sink))
    summary = {}
    for kind, results in runs.items():
        summary[kind] = {
            "rps": round(statistics.median(r["rps"] for r in results), 1),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in results), 3),
            "cold_start_s": round(statistics.median(r["cold_start_s"] for r in results), 3),
            "runs": results,
        }
    summary["ratio"] = round(summary["runtime"]["rps"] / summary["bottle"]["rps"], 2)
    summary["p99_ratio"] = round(summary["runtime"]["p99_ms"] / summary["bottle"]["p99_ms"], 2)
    summary["spans_received"] = sink.spans
    summary["settings"] = {"rounds": args.rounds, "seconds": args.seconds,
                           "connections": args.connections, "python": sys.version.split()[0]}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
