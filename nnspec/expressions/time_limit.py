"""Run a SymPy computation with a time limit, so a derivation never hangs (internal).

SymPy is pure Python, so a computation can be interrupted between bytecodes. Three mechanisms,
the first that applies:

1. in the main thread where ``signal.setitimer`` exists (Linux, macOS), a one-shot
   ``ITIMER_REAL`` timer raises inside the computation when the limit passes; the previous
   ``SIGALRM`` handler and any running timer are restored afterwards (a timer that would have
   fired meanwhile fires right after);
2. elsewhere on CPython (another thread, or Windows), a watchdog thread raises the same
   exception inside the computing thread (``PyThreadState_SetAsyncExc``); no process is
   started, so a cheap derivative costs what it costs in the main thread;
3. where neither exists (Pyodide in a browser, ``sys.platform == "emscripten"``, has no
   threads and delivers no signals; also WASI, or a Python without ``ctypes.pythonapi``)
   the limit is **not enforced in-process**: the computation runs to its end, and the
   caller (the browser worker of the playground) enforces a limit by terminating itself.

Once the limit has passed, the stop repeats every `REPEAT` seconds until the computation has
ended: an exception raised while Python runs a finalizer (``__del__``) cannot propagate, so
the timer raises none there, and the watchdog's, which cannot choose where it lands, is
repeated. Either way a computation stopped by its
limit raises `ExpressionTimeout`; nothing else (no
private exception, no ``BaseException``) ever leaves `run_with_time_limit`. Limits nest: an
inner limit never outlasts the one around it (`time_left`). Like any interruption between
bytecodes, a long call into C (a huge integer product) delays the stop until it returns.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import signal
import sys
import threading
import time

from ..errors import ArgumentError, ExpressionError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_TIMEOUT",
    "ExpressionTimeout",
    "check_timeout",
    "enforced",
    "quote",
    "run_with_time_limit",
    "time_left",
]

#: Seconds a parse or derivation may take by default.
DEFAULT_TIMEOUT = 5.0
#: The largest finite limit accepted (one day); ``None`` means no limit at all.
MAX_TIMEOUT = 86_400.0
#: Once the limit has passed, seconds between repeated stops (one may land in a finalizer).
REPEAT = 0.05

_deadlines = threading.local()  # a stack of monotonic deadlines per thread


def quote(text: str) -> str:
    """``repr`` of ``text``, shortened to about 60 characters for messages."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


class ExpressionTimeout(ExpressionError):
    """A derivation ran past its time limit and was stopped."""


class _Expired(BaseException):
    """Raised into the computation; a BaseException so that no ``except Exception`` inside
    SymPy swallows it. Each call raises its own subclass, so nested limits stay apart."""


def check_timeout(seconds, name: str = "timeout") -> float | None:
    """Return ``seconds`` as a float in (0, `MAX_TIMEOUT`], or None (no limit); else raise."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise ArgumentError(f"{name} must be a number of seconds > 0 or None, got {seconds!r}")
    value = float(seconds)
    if not math.isfinite(value) or value <= 0:
        raise ArgumentError(f"{name} must be a finite number of seconds > 0 (or None), got {value:g}")
    if value > MAX_TIMEOUT:
        raise ArgumentError(
            f"{name} must be at most {MAX_TIMEOUT:g} s (one day), got {value:g}; None (none on the command line) means no limit"
        )
    return value


def time_left() -> float | None:
    """Seconds until the innermost running limit of this thread passes (None: no limit)."""
    stack = getattr(_deadlines, "stack", [])
    finite = [deadline for deadline in stack if deadline is not None]
    return None if not finite else max(min(finite) - time.monotonic(), 0.0)


def _async_exceptions():
    if sys.implementation.name != "cpython":
        return None
    try:
        import ctypes
    except ImportError:
        return None
    return getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)


def _mechanism() -> str | None:
    if sys.platform in ("emscripten", "wasi"):  # no threads, and no signals delivered
        return None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return "timer"
    return "watchdog" if _async_exceptions() is not None else None


def enforced() -> bool:
    """True when a finite limit is enforced in this thread on this platform."""
    return _mechanism() is not None


def _timeout_error(what: str, seconds: float) -> ExpressionTimeout:
    return ExpressionTimeout(
        f"{what} timed out: it did not finish within the time limit of {seconds:g} s "
        "(pass a larger timeout, or a simpler expression)"
    )


def run_with_time_limit(function, args: tuple, seconds, what: str):
    """Return ``function(*args)``, or raise `ExpressionTimeout` after ``seconds``.

    Parameters
    ----------
    function : callable
    args : tuple
        Its arguments.
    seconds : float or None
        The time limit, in (0, `MAX_TIMEOUT`]; None for no limit. Inside another limit, the
        one that passes first applies.
    what : str
        What is being computed, for the error message (e.g. ``"the derivative of 'sin(x)'"``).
    """
    seconds = check_timeout(seconds)
    outer = time_left()
    if seconds is None and outer is None:
        return _push(function, args, None)
    limit = seconds if outer is None else outer if seconds is None else min(seconds, outer)
    if limit <= 0:
        raise _timeout_error(what, seconds if seconds is not None else 0.0)
    expired = type("_Expired", (_Expired,), {})
    mechanism = _mechanism()
    try:
        if mechanism == "timer":
            return _run_with_timer(function, args, limit, expired)
        if mechanism == "watchdog":
            return _run_with_watchdog(function, args, limit, expired)
        return _push(function, args, time.monotonic() + limit)  # not enforceable here: see above
    except expired:
        raise _timeout_error(what, limit if seconds is None else min(seconds, limit)) from None


def _push(function, args, deadline):
    stack = _deadlines.__dict__.setdefault("stack", [])
    stack.append(deadline)
    try:
        return function(*args)
    finally:
        stack.pop()


def _run_pending_handlers() -> None:
    """Do nothing, in Python: CPython runs the signal handlers that are due when a call starts."""


def _can_raise_here(frame) -> bool:
    """False inside a finalizer, where a raised exception would be printed and lost:
    ``__del__`` among the innermost 16 frames."""
    for _ in range(16):
        if frame is None:
            return True
        if frame.f_code.co_name == "__del__":
            return False
        frame = frame.f_back
    return True


@contextlib.contextmanager
def _finalizer_interruptions_unreported():
    """While a limit runs, an interruption that lands in a finalizer or a weakref callback
    (where Python prints "Exception ignored in ..." and drops it) is not reported: it is ours,
    and the next repeat, `REPEAT` seconds later, stops the computation where it can propagate.
    Other unraisable exceptions still reach the hook that was installed before."""
    previous = sys.unraisablehook

    def hook(unraisable):
        if not (isinstance(unraisable.exc_type, type) and issubclass(unraisable.exc_type, _Expired)):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        if sys.unraisablehook is hook:  # unless someone replaced it meanwhile
            sys.unraisablehook = previous


def _run_with_timer(function, args, seconds, expired):
    state = {"fired": 0, "stopping": False}

    def on_alarm(signum, frame):
        # Repeats every REPEAT seconds until the limit is lifted: a raise that lands where it
        # cannot propagate (a finalizer) is not the end of it.
        if not state["stopping"] and _can_raise_here(frame):
            state["fired"] += 1
            raise expired

    def restore():
        signal.setitimer(signal.ITIMER_REAL, 0)
        # An alarm that went off just before may still wait for its Python handler; run it now,
        # while it is still ours (once the previous handler is back, CPython would hand the alarm
        # to it, or report "Signal 14 ignored due to race condition" for SIG_DFL).
        _run_pending_handlers()
        # None means a handler installed outside Python, which cannot be reinstalled from here
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous_handler is None else previous_handler)
        if previous_delay > 0:
            remaining = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-6), previous_interval)

    started = time.monotonic()
    previous_delay, previous_interval = signal.getitimer(signal.ITIMER_REAL)
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)  # may fire before it even returns
        with _finalizer_interruptions_unreported():
            return _push(function, args, started + seconds)
    finally:
        state["stopping"] = True  # first, before any call: from here on the handler never raises
        restore()
        if state["fired"]:  # it fired, and something inside the function swallowed the exception
            raise expired


def _run_with_watchdog(function, args, seconds, expired):
    import ctypes

    raise_in = _async_exceptions()
    target = ctypes.c_ulong(threading.get_ident())
    lock, stop = threading.Lock(), threading.Event()
    state = {"done": False, "fired": False}

    def watch():
        delay = seconds
        while not stop.wait(delay):  # repeats, as the timer does, until the limit is lifted
            with lock:
                if state["done"]:
                    return
                state["fired"] = True
                raise_in(target, ctypes.py_object(expired))
            delay = REPEAT

    watchdog = threading.Thread(target=watch, name="nnspec time limit", daemon=True)
    try:
        watchdog.start()
        with _finalizer_interruptions_unreported():
            return _push(function, args, time.monotonic() + seconds)
    finally:
        state["done"] = True  # first, before any call: the watchdog raises no more
        with lock:
            if state["fired"]:
                raise_in(target, None)  # withdraw one that has not been delivered yet
        stop.set()
        if state["fired"]:
            raise expired
