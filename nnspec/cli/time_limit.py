"""The command line's ``--timeout``: a ``SIGALRM`` timer in its own main thread (internal).

The command line owns its process, so it may take ``SIGALRM`` over, which a library call must
never do (`nnspec.expressions.time_limit`). Where ``signal.setitimer`` exists (Linux, macOS)
and the command runs in the main thread, a one-shot timer raises a private ``BaseException``
inside the computation (so no ``except Exception`` inside SymPy swallows it), repeated in
case one lands in a finalizer, where Python drops exceptions; the handler and timer that were
there before are put back afterwards. The repeats come sooner each time (from `REPEAT` down to
`SHORTEST`) and at uneven intervals: a stop lost in a finalizer ends that finalizer, which
would otherwise lock a loop of finalizers into step with an even timer, so that every stop
landed in one. Elsewhere (Windows, or ``main``
called from another thread) the limit is the library's: a worker process killed on time-out.
"""

from __future__ import annotations

import signal
import threading

from ..expressions import time_limit as library

__all__ = ["REPEAT", "run_with_time_limit"]

#: Once the limit has passed, seconds before the first repeated stop.
REPEAT = 0.05
#: The shortest interval between repeated stops.
SHORTEST = 0.001
#: The golden ratio's fractional part: multiples of it never fall into step with a loop.
_UNEVEN = 0.6180339887498949


class _Expired(BaseException):
    """Raised into the computation by the timer."""


def _repeats():
    """Seconds until each next stop: shrinking from `REPEAT` to `SHORTEST`, unevenly spaced."""
    delay, k = REPEAT, 0
    while True:
        k += 1
        yield max(SHORTEST, delay) * (0.5 + (k * _UNEVEN) % 1.0)
        delay *= 0.7


def _stopper():
    """A SIGALRM handler that arms the next stop, then raises into the computation."""
    delays = _repeats()

    def stop(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, next(delays))
        raise _Expired

    return stop


def run_with_time_limit(function, args: tuple, seconds, what: str):
    """``function(*args)``, or `ExpressionTimeout` after ``seconds`` (None: no limit).

    Examples
    --------
    >>> run_with_time_limit(sum, ([1, 2, 3],), 5.0, "a sum")
    6
    """
    seconds = library.check_timeout(seconds, "--timeout", "none")
    if seconds is None:
        return function(*args)
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return library.run_with_time_limit(function, args, seconds, what)
    previous = signal.signal(signal.SIGALRM, _stopper())
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return function(*args)
        finally:  # an alarm that lands here, at the limit, still counts as the time-out
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        raise library.timeout_error(what, seconds) from None
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
