"""Exceptions raised by nnspec.

Every error names the argument at fault, what was expected and what came, so the
message alone is enough to fix the call. All of them derive from `NnspecError`, so
``except NnspecError`` catches whatever nnspec raises on purpose::

    NnspecError
    ├── ArgumentError (ValueError)
    │   ├── ShapeError
    │   └── ExpressionError
    ├── ExpressionTimeout (TimeoutError)
    └── GradientMismatch (AssertionError)

A time-out is not a wrong value: `ExpressionTimeout` is a `TimeoutError`, so
``except ValueError`` does not swallow it.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "ExpressionError",
    "ExpressionTimeout",
    "GradientCheckInconclusive",
    "GradientMismatch",
    "NnspecError",
    "ShapeError",
]


class NnspecError(Exception):
    """The base class of every exception nnspec raises on purpose."""


class ArgumentError(NnspecError, ValueError):
    """An argument has the wrong value, dtype or name (a learning rate <= 0, a NaN input, ...)."""


class ShapeError(ArgumentError):
    """Arrays whose shapes do not fit together (a layer fed the wrong number of columns, ...)."""


class ExpressionError(ArgumentError):
    """Text that the safe expression parser refuses.

    Attributes
    ----------
    text : str
        The text that was parsed.
    column : int or None
        1-based column of the offending token, when there is one.
    token : str or None
        The offending token.
    """

    def __init__(self, message: str, *, text: str = "", column: int | None = None, token=None):
        where = f" (column {column}: {token!r})" if column is not None else ""
        super().__init__(message + where)
        self.text = text
        self.column = column
        self.token = token


class ExpressionTimeout(NnspecError, TimeoutError):
    """A derivation asked to finish within a time limit did not, and was stopped.

    Raised by the expression side when a ``timeout`` was given (the work ran in a worker
    process, which was stopped and replaced) and by the command line's ``--timeout``.
    """


class GradientMismatch(NnspecError, AssertionError):
    """An analytic gradient disagrees with its reference beyond the tolerance.

    Attributes
    ----------
    parameter : str
        Name of the parameter, e.g. ``"layers[1].W"``.
    index : tuple of int
        Index of the worst entry.
    analytic, numeric : float
        The two values at that index.
    relative_error, tolerance : float
        Their relative error and the tolerance it exceeded.
    """

    def __init__(self, parameter, index, analytic, numeric, relative_error, tolerance):
        super().__init__(
            f"gradient of {parameter} at index {tuple(index)}: analytic {analytic:.17g} vs "
            f"numeric {numeric:.17g}, relative error {relative_error:.3g} > tolerance {tolerance:.3g}"
        )
        self.parameter = parameter
        self.index = tuple(index)
        self.analytic = analytic
        self.numeric = numeric
        self.relative_error = relative_error
        self.tolerance = tolerance


class GradientCheckInconclusive(NnspecError, AssertionError):
    """A gradient check could not resolve some entries: it neither passed nor failed.

    Raised by ``check_gradients(..., raise_exception=True)`` when nothing failed but some
    entry's error bound exceeds its tolerance. Not a `GradientMismatch`: the gradient may well
    be right.

    Attributes
    ----------
    parameter : str
        Name of the parameter of the deciding entry, e.g. ``"layers[1].W"``.
    index : tuple of int
        Its index.
    bound, tolerance : float
        The reference's error bound and the (absolute) tolerance it exceeded.
    reason : str
        Why the entry could not be resolved, and what to try instead.
    """

    def __init__(self, parameter, index, bound, tolerance, reason):
        super().__init__(f"gradient check inconclusive at {parameter} {index}: {reason}")
        self.parameter, self.index = parameter, index
        self.bound, self.tolerance, self.reason = bound, tolerance, reason
