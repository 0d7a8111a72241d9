"""Run a SymPy computation with a time limit, so a derivation never hangs (internal).

SymPy is pure Python, so a computation can be interrupted between bytecodes:

* in the main thread on Unix, a one-shot ``ITIMER_REAL`` timer raises inside the computation
  when the limit passes; the previous ``SIGALRM`` handler and any running timer are restored
  afterwards (a timer that would have fired meanwhile fires right after);
* anywhere else (another thread, or a platform without ``setitimer``) the computation runs in
  a fresh ``python -m nnspec._time_limit`` process that applies the same limit in *its* main
  thread (where it can), and is killed if it has not answered within the limit plus a
  start-up allowance.

Data passes to and from the worker with `pickle`; only this module's own process ever
produces it, and the user's text was already parsed (never evaluated) before it gets here.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ._validation import positive_float
from .errors import ExpressionError

__all__ = ["DEFAULT_TIMEOUT", "ExpressionTimeout", "quote", "run_with_time_limit"]

#: Seconds a parse or derivation may take by default.
DEFAULT_TIMEOUT = 5.0

#: Seconds a worker process may take to start (import SymPy) on top of the time limit.
STARTUP_ALLOWANCE = 60.0


def quote(text: str) -> str:
    """``repr`` of ``text``, shortened to about 60 characters for messages."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


class ExpressionTimeout(ExpressionError):
    """A derivation ran past its time limit and was stopped."""


class _Expired(BaseException):
    """Raised by the timer; a BaseException so that no ``except Exception`` inside SymPy swallows it."""


def _timeout_error(what: str, seconds: float) -> ExpressionTimeout:
    return ExpressionTimeout(
        f"{what} timed out: it did not finish within the time limit of {seconds:g} s "
        "(pass a larger timeout, or a simpler expression)"
    )


def run_with_time_limit(function, args: tuple, seconds: float, what: str):
    """Return ``function(*args)``, or raise `ExpressionTimeout` after ``seconds``.

    Parameters
    ----------
    function : callable
        A module-level function (it may have to be pickled for a worker process).
    args : tuple
        Its arguments (picklable).
    seconds : float
        The time limit, > 0.
    what : str
        What is being computed, for the error message (e.g. ``"the derivative of 'sin(x)'"``).
    """
    seconds = positive_float(seconds, "timeout")
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _run_with_timer(function, args, seconds, what)
    return _run_in_worker(function, args, seconds, what)


def _run_with_timer(function, args, seconds, what):
    fired = []

    def on_alarm(signum, frame):
        if not fired:  # the timer is one-shot; raise at most once
            fired.append(True)
            raise _Expired

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        try:
            return function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        # also reached when the alarm lands between the return and the line above
        raise _timeout_error(what, seconds) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None means a handler installed outside Python, which cannot be reinstalled from here
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous_handler is None else previous_handler)
        if previous_delay > 0:
            remaining = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-6), previous_interval)


def _run_in_worker(function, args, seconds, what):
    environment = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, environment.get("PYTHONPATH")]))
    payload = pickle.dumps((function, args, seconds, what))
    worker = subprocess.Popen(
        [sys.executable, "-m", "nnspec._time_limit"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    try:
        output, _ = worker.communicate(payload, timeout=seconds + STARTUP_ALLOWANCE)
    except subprocess.TimeoutExpired:
        raise _timeout_error(what, seconds) from None
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    try:
        status, value = pickle.loads(output)  # written by our own worker process
    except Exception as error:
        raise ExpressionError(f"{what} failed: the worker process ended without an answer") from error
    if status == "error":
        raise value
    return value


def _serve() -> None:
    """Worker side: read (function, args, seconds, what), answer ("ok", result) or ("error", exception)."""
    function, args, seconds, what = pickle.loads(sys.stdin.buffer.read())  # written by our parent
    try:
        if hasattr(signal, "setitimer"):
            answer = ("ok", _run_with_timer(function, args, seconds, what))
        else:  # no timer here (Windows): the parent kills this process when the limit passes
            answer = ("ok", function(*args))
    except Exception as error:
        answer = ("error", error)
    try:
        message = pickle.dumps(answer)
    except Exception as error:  # an exception that cannot be pickled: keep its text
        message = pickle.dumps(("error", ExpressionError(f"{what} failed: {answer[1]!r} ({error})")))
    sys.stdout.buffer.write(message)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    # Run the copy imported under its real name, so that the exceptions it pickles are
    # nnspec._time_limit.ExpressionTimeout and not __main__.ExpressionTimeout.
    from nnspec._time_limit import _serve as serve

    serve()
