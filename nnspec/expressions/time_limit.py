"""Time limits that cannot harm the caller: a warm worker process, stopped and replaced (internal).

nnspec's library functions run **without** a limit unless one is asked for (``timeout=None``
is the default). When a caller passes ``timeout=seconds``, the work runs in a worker process
and the caller's thread only waits on a pipe:

* nothing is raised asynchronously into the caller's thread, and no signal handler, timer or
  thread of the caller's is touched (the caller's own ``SIGALRM`` fires on time meanwhile);
* past the limit the worker is killed (``Process.kill``) and `ExpressionTimeout` is raised;
  a fresh worker is started at once, so the next limited call finds one warm;
* the worker is started with multiprocessing's ``"spawn"`` method on every platform, so Linux,
  macOS and Windows behave the same, and the caller's own ``fork``/``forkserver`` settings are
  left alone. The first limited call of a process waits for the worker to import SymPy (about
  a second, not counted in the limit); later ones cost a round trip through a pipe
  (milliseconds).

Why not a library: ``concurrent.futures.ProcessPoolExecutor`` (and loky's executor) cannot stop
one running task, only shut the whole pool down; pebble's ``ProcessPool`` can, but a worker
that is one process and one pipe is about 60 lines of the standard library and adds no
dependency to the expression side, which must also load in Pyodide.

Under Pyodide (``sys.platform == "emscripten"``) and WASI there are no processes: a limit is
accepted and left to the caller (the playground page terminates its Web Worker).

The command line owns its process and limits itself differently (a ``SIGALRM`` timer in its
main thread: `nnspec.cli.time_limit`); the browser page limits a Web Worker by terminating it.
"""

from __future__ import annotations

import atexit
import math
import numbers
import sys
import threading
import time

try:  # imported here, not on the first limited call: importing runs module code
    import multiprocessing
except ImportError:  # a Python without it (some WebAssembly builds): limits are refused there
    multiprocessing = None

from ..errors import ArgumentError, ExpressionTimeout

__all__ = [
    "DEFAULT_TIMEOUT",
    "INTERACTIVE_TIMEOUT",
    "MAX_TIMEOUT",
    "ExpressionTimeout",
    "check_timeout",
    "quote",
    "run_with_time_limit",
    "timeout_error",
]

#: The library's default: no limit.
DEFAULT_TIMEOUT = None
#: Seconds the command line (``--timeout``) and the playground page allow by default: they own
#: their process (or Web Worker), so they can stop it.
INTERACTIVE_TIMEOUT = 5.0
#: The largest finite limit accepted (one day); ``None`` means no limit at all.
MAX_TIMEOUT = 86_400.0
#: Seconds a new worker may take to start (import SymPy) before the call gives up.
START_LIMIT = 120.0


def quote(text: str) -> str:
    """``repr`` of ``text``, shortened to about 60 characters for messages."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def check_timeout(seconds, name: str = "timeout", none: str = "None") -> float | None:
    """Return ``seconds`` as a float in (0, `MAX_TIMEOUT`], or None (no limit); else raise.

    ``none`` is how the message spells "no limit" (``"none"`` on the command line).
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise ArgumentError(f"{name} must be a number of seconds > 0 or {none}, got {seconds!r}")
    value = float(seconds)
    if not math.isfinite(value) or value <= 0:
        raise ArgumentError(f"{name} must be a finite number of seconds > 0 (or {none}), got {value:g}")
    if value > MAX_TIMEOUT:
        raise ArgumentError(
            f"{name} must be at most {MAX_TIMEOUT:g} s (one day), got {value:g}; {none} means no limit"
        )
    return value


def timeout_error(what: str, seconds: float) -> ExpressionTimeout:
    return ExpressionTimeout(
        f"{what} timed out: it did not finish within the time limit of {seconds:g} s "
        "(pass a larger timeout, or a simpler expression)"
    )


def _serve(connection) -> None:
    """The worker's loop: receive ``(function, args)``, send back ``(ok, result or error)``."""
    import nnspec.expressions  # noqa: F401  (warm: SymPy imported before the first task)

    connection.send((True, "ready"))
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):  # the parent has gone
            return
        try:
            reply = (True, function(*args))
        except BaseException as error:
            reply = (False, error)
        try:
            connection.send(reply)
        except Exception as error:  # a result or error that does not pickle
            connection.send((False, RuntimeError(f"{type(error).__name__}: {error}")))


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self):
        if multiprocessing is None:
            raise ArgumentError("timeout: this Python has no multiprocessing; pass timeout=None")
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), name="nnspec worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.connection.poll(START_LIMIT):
                raise RuntimeError(f"nnspec's worker process did not start within {START_LIMIT:g} s")
            self.connection.recv()
            self.ready = True

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()


_lock = threading.Lock()
_worker: list[_Worker] = []  # the warm worker, when one has been started


def _stop_worker() -> None:
    while _worker:
        _worker.pop().stop()


atexit.register(_stop_worker)


def run_with_time_limit(function, args: tuple, seconds, what: str):
    """Return ``function(*args)``, or raise `ExpressionTimeout` after ``seconds``.

    Parameters
    ----------
    function : callable
        A module-level function (it is sent to the worker by reference).
    args : tuple
        Its arguments (picklable).
    seconds : float or None
        The limit, in (0, `MAX_TIMEOUT`]; None runs ``function`` here, with no limit.
    what : str
        What is being computed, for the error message.

    Examples
    --------
    >>> run_with_time_limit(sum, ([1, 2, 3],), None, "a sum")
    6
    """
    seconds = check_timeout(seconds)
    if seconds is None or sys.platform in ("emscripten", "wasi"):
        # no processes in a browser: the page's Web Worker is the limit, terminated by the page
        return function(*args)
    with _lock:  # one task at a time per process: the worker is shared
        if not _worker or not _worker[0].process.is_alive():
            _stop_worker()
            _worker.append(_Worker())
        worker = _worker[0]
        worker.wait_ready()
        worker.connection.send((function, args))
        started = time.monotonic()
        if not worker.connection.poll(seconds):
            _stop_worker()
            _worker.append(_Worker())  # warm for the next call: it starts while the caller goes on
            raise timeout_error(what, seconds)
        try:
            ok, result = worker.connection.recv()
        except (EOFError, OSError):
            _stop_worker()
            raise RuntimeError(
                f"nnspec's worker process stopped unexpectedly after {time.monotonic() - started:.3g} s "
                f"while computing {what}"
            ) from None
    if ok:
        return result
    raise result
