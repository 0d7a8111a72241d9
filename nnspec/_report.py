r"""Gradient-comparison reports shared by `gradcheck` and `symbolic` (internal).

A check compares each parameter's analytic gradient with a reference (finite differences or
SymPy) entry by entry with the relative error $|a - b| / \max(|a|, |b|, \text{floor})$
and keeps the worst entry per parameter. The floor (default ``tiny``) lets a check compare
entries that are smaller than its round-off level absolutely: an entry of $10^{-7}$
next to entries of $10^{-2}$ carries round-off of the size of the large ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import inexact_array, positive_float
from .errors import ArgumentError, GradientMismatch, ShapeError

__all__ = ["GradientReport", "ParameterCheck", "compare_gradients", "relative_error"]

TINY = np.finfo(np.float64).tiny


def relative_error(a, b, *, floor=TINY):
    r"""Elementwise relative error $|a - b| / \max(|a|, |b|, \text{floor})$.

    With the default ``floor = np.finfo(float).tiny``, which only guards the division, two
    exact zeros give 0 and a zero against a non-zero value gives 1.

    Parameters
    ----------
    a, b : array_like, broadcastable shapes
    floor : float > 0
        Below this magnitude entries are compared absolutely (error = |a - b| / floor).

    Returns
    -------
    ndarray of float64 (0-d for scalar inputs), each entry in [0, 2] for real inputs.

    Examples
    --------
    >>> import nnspec as ns
    >>> float(ns.relative_error(1.0, 1.25))
    0.2
    >>> ns.relative_error([0.0, 2.0], [0.0, -2.0])
    array([0., 2.])
    """
    a, b = inexact_array(a, "a"), inexact_array(b, "b")
    floor = positive_float(floor, "floor")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.asarray(np.abs(a - b) / scale, dtype=np.float64)


@dataclass(frozen=True)
class ParameterCheck:
    """The worst entry of one parameter's gradient comparison.

    Attributes
    ----------
    name : str
        ``"layers[0].W"``, ``"layers[0].b"``, ...
    index : tuple of int
        Index of the entry with the largest relative error.
    analytic, reference : float
        The analytic gradient and the reference (numeric or symbolic) at that index.
    relative_error, tolerance : float
        ``relative_error`` uses the report's ``floor`` (see `relative_error`).
    """

    name: str
    index: tuple
    analytic: float
    reference: float
    relative_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """``relative_error <= tolerance`` (False for a NaN error)."""
        return bool(self.relative_error <= self.tolerance)

    def mismatch(self) -> GradientMismatch:
        """The `GradientMismatch` describing this entry."""
        return GradientMismatch(
            self.name, self.index, self.analytic, self.reference, self.relative_error, self.tolerance
        )


@dataclass(frozen=True)
class GradientReport:
    """Result of a gradient check: one `ParameterCheck` per parameter.

    Attributes
    ----------
    method : str
        ``"central"``, ``"richardson"``, ``"complex"``, ``"layerwise"`` or ``"expression"``.
    entries : tuple of ParameterCheck
        In layer order, ``W`` then ``b`` for each layer.
    floor : float
        The ``floor`` of `relative_error` used for every entry.
    """

    method: str
    entries: tuple
    floor: float = TINY

    @property
    def worst(self) -> ParameterCheck:
        """The entry with the largest relative error (a NaN error counts as the largest)."""
        return max(self.entries, key=_severity)

    @property
    def passed(self) -> bool:
        """True when every entry is within its tolerance."""
        return all(entry.passed for entry in self.entries)

    def raise_if_failed(self) -> None:
        """Raise `GradientMismatch` for the worst failing entry, if any."""
        failing = [entry for entry in self.entries if not entry.passed]
        if failing:
            raise max(failing, key=_severity).mismatch()

    def __str__(self) -> str:
        header = ("parameter", "index", "analytic", "reference", "rel. error", "tolerance", "ok")
        rows = [
            (
                e.name,
                str(tuple(e.index)),
                f"{e.analytic:.12g}",
                f"{e.reference:.12g}",
                f"{e.relative_error:.2e}",
                f"{e.tolerance:.0e}",
                "yes" if e.passed else "NO",
            )
            for e in self.entries
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        title = f"gradient check ({self.method}): {'passed' if self.passed else 'FAILED'}"
        if self.floor > TINY:
            title += f" (entries below {self.floor:.1e} compared absolutely)"
        rule = "  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip()
        return "\n".join([title, rule, *lines])


def _severity(entry: ParameterCheck) -> float:
    return np.inf if np.isnan(entry.relative_error) else entry.relative_error


def compare_gradients(grads, reference, *, method, tolerance, names=None, floor=TINY) -> GradientReport:
    """Compare per-layer gradients ``[(dW, db), ...]`` with a reference of the same layout.

    Parameters
    ----------
    grads, reference : list of (dW, db)
        Analytic gradients and their reference; matching shapes layer by layer.
    method : str
        Recorded in the report (how ``reference`` was computed).
    tolerance : float > 0
        Largest relative error (see `relative_error`) that passes.
    names : sequence of str, optional
        One name per array (two per layer); default ``"layers[i].W"``, ``"layers[i].b"``.
    floor : float > 0, optional
        Passed to `relative_error` (default ``tiny``: a pure relative comparison).

    Returns
    -------
    GradientReport
    """
    if not isinstance(method, str):
        raise ArgumentError(f"method must be a string, got {method!r}")
    tolerance = positive_float(tolerance, "tolerance")
    grads, reference = list(grads), list(reference)
    if len(grads) != len(reference):
        raise ShapeError(f"grads has {len(grads)} layers but reference has {len(reference)}")
    if names is None:
        names = [f"layers[{i}].{which}" for i in range(len(grads)) for which in ("W", "b")]
    names = [str(name) for name in names]
    if len(names) != 2 * len(grads):
        raise ArgumentError(f"names must hold {2 * len(grads)} names (W and b per layer), got {len(names)}")
    entries = []
    pairs = [(a, r) for layer_a, layer_r in zip(grads, reference) for a, r in zip(layer_a, layer_r)]
    for name, (analytic, ref) in zip(names, pairs):
        analytic = inexact_array(analytic, f"gradient of {name}", allow_complex=False)
        ref = inexact_array(ref, f"reference gradient of {name}", allow_complex=False)
        if analytic.shape != ref.shape:
            raise ShapeError(f"gradient of {name} has shape {analytic.shape} but its reference {ref.shape}")
        if analytic.size == 0:
            raise ShapeError(f"gradient of {name} is empty")
        errors = relative_error(analytic, ref, floor=floor)
        flat = int(np.argmax(np.where(np.isnan(errors), np.inf, errors)))
        index = tuple(int(i) for i in np.unravel_index(flat, errors.shape))
        entries.append(
            ParameterCheck(
                name, index, float(analytic[index]), float(ref[index]), float(errors[index]), tolerance
            )
        )
    return GradientReport(method, tuple(entries), positive_float(floor, "floor"))
