"""`python -m fnruntime`: the only place that listens, prints start-up lines and exits.

Exit codes: 0 after SIGTERM/SIGINT and a clean drain; 1 the function cannot be loaded (LOAD-FAIL);
2 a setting is invalid; 3 the port cannot be bound.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import threading
import time
import traceback


def _line(text: str) -> None:
    sys.stderr.write(f"fnruntime: {text}\n")
    sys.stderr.flush()


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pure-asyncio fallback, e.g. on a platform without wheels
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main(env=None) -> int:
    started = time.perf_counter()
    env = os.environ if env is None else env

    from .options import OptionsError, load_options

    try:
        options = load_options(env)
    except OptionsError as exc:
        _line(str(exc))
        return 2

    from .load import LoadError, load_function
    from .telemetry import setup_telemetry

    telemetry = setup_telemetry(options, make_global=True)  # before user code imports anything
    try:
        function = load_function(options)
    except LoadError as exc:
        _line(str(exc))
        return 1

    from .app import App
    from .version import __version__

    app = App(options, function, telemetry)
    _tune_gc()
    loop = _new_loop()
    asyncio.set_event_loop(loop)
    try:
        server = loop.run_until_complete(loop.create_server(
            app.protocol_factory, host=None, port=options.port, reuse_address=True, backlog=1024))
    except OSError as exc:
        _line(f"cannot listen on port {options.port}: {exc.strerror or exc}")
        return 3

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.set_exception_handler(_log_loop_error)
    threading.excepthook = _log_thread_error

    sys.stdout.write(
        f"fnruntime: {options.runtime} runtime {__version__} (Python {sys.version.split()[0]}) "
        f"serving {function.path}:{function.name} on port {options.port}; "
        f"function loaded in {function.load_seconds * 1000:.0f} ms, ready in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms\n")
    sys.stdout.flush()

    loop.run_until_complete(stop.wait())
    # LC-TERM: stop accepting, let in-flight invocations finish, flush spans, exit 0.
    server.close()
    app.begin_shutdown()
    drained = loop.run_until_complete(app.drain(float(options.timeout)))
    if not drained:
        _line(f"shutdown: {app.inflight} invocation(s) still running after {options.timeout}s")
    telemetry.flush(timeout=5.0)
    sys.stdout.flush()
    sys.stderr.flush()
    # Handler threads that never return must not keep the process alive.
    os._exit(0)


def _tune_gc() -> None:
    """Fewer, cheaper collections: p99 latency halves in bench/ (README, "Speed").

    Everything loaded so far (runtime, OpenTelemetry, the user's module) is frozen out of the
    collector's scans, and the young generation is collected every 50k allocations, not 700.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _log_loop_error(loop, context) -> None:
    """RES-CRASHSAFE: errors from user callbacks and tasks are logged, never fatal."""
    exc = context.get("exception")
    message = context.get("message", "unhandled error")
    if exc is not None:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(f"fnruntime: ERROR {message}\n{detail}")
    else:
        sys.stderr.write(f"fnruntime: ERROR {message}\n")


def _log_thread_error(args) -> None:
    """RES-CRASHSAFE: an exception escaping a user thread is logged; the server goes on."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    detail = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(f"fnruntime: ERROR unhandled exception in thread {name}\n{detail}")


if __name__ == "__main__":
    sys.exit(main())
