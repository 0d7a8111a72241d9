r"""Gradient-comparison reports shared by `gradcheck` and `symbolic` (internal).

A check compares each analytic gradient entry $a$ with a reference $b$ that carries an
error bound $E$ (round-off and truncation of the reference, plus the round-off of $a$). With
a relative tolerance $\tau$ the entry

* **fails** when $|a - b| > \tau \max(|a|, |b|) + E$: no error bound explains the difference;
* is **unresolved** when $E > \tau \max(|a|, |b|)$ (and $a \ne b$): the reference is too
  uncertain to tell a right entry from one wrong by $\tau$ of itself;
* **passes** otherwise.

A report is "failed" if any entry fails, else "inconclusive" if any is unresolved, else
"passed". So no difference larger than the tolerance plus the bound passes, and an entry
whose bound covers it never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import inexact_array, positive_float
from .errors import ArgumentError, GradientCheckInconclusive, GradientMismatch, ShapeError

__all__ = [
    "GradientCheckInconclusive",
    "GradientReport",
    "ParameterCheck",
    "compare_gradients",
    "relative_error",
]

TINY = np.finfo(np.float64).tiny
STATUSES = ("passed", "inconclusive", "failed")  # in order of severity


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
    """The deciding entry of one parameter's (or one direction's) comparison.

    The deciding entry is the worst failing entry if any fails, else the unresolved entry
    whose bound is largest next to its tolerance, else the entry with the largest
    relative error.

    Attributes
    ----------
    name : str
        ``"layers[0].W"``, ``"layers[0].b"``, ... or ``"direction[j]"``.
    index : tuple of int
    analytic, reference : float
        The two values at ``index``.
    relative_error : float
        $|a - b| / \\max(|a|, |b|)$ at ``index``: no floor.
    tolerance : float
        The relative tolerance $\\tau$.
    bound : float
        The error bound $E$ at ``index`` (absolute).
    applied_tolerance : float
        $\\tau \\max(|a|, |b|)$, the absolute tolerance applied at ``index``.
    status : {"passed", "failed", "inconclusive"}
        The parameter's outcome over all its entries.
    resolved : bool
        Every entry of the parameter was resolved.
    reason : str
        Why the deciding entry is unresolved or failed ("" when it passed).
    method : str
        The scheme that produced the deciding reference value.
    failed_entries, unresolved_entries, size : int
    """

    name: str
    index: tuple
    analytic: float
    reference: float
    relative_error: float
    tolerance: float
    bound: float = 0.0
    applied_tolerance: float = 0.0
    status: str = "passed"
    resolved: bool = True
    reason: str = ""
    method: str = ""
    failed_entries: int = 0
    unresolved_entries: int = 0
    size: int = 1

    @property
    def passed(self) -> bool:
        """``status == "passed"``."""
        return self.status == "passed"

    @property
    def difference(self) -> float:
        """$|a - b|$ at ``index``."""
        return abs(self.analytic - self.reference)

    def mismatch(self) -> GradientMismatch:
        """The `GradientMismatch` describing this entry."""
        return GradientMismatch(
            self.name, self.index, self.analytic, self.reference, self.relative_error, self.tolerance
        )


@dataclass(frozen=True)
class GradientReport:
    """Result of a gradient check: one `ParameterCheck` per parameter (or direction).

    Attributes
    ----------
    method : str
        The scheme asked for: ``"central"``, ``"richardson"``, ``"complex"``,
        ``"layerwise"`` or ``"expression"``.
    entries : tuple of ParameterCheck
    floor : float
        Symbolic comparisons only: entries below it are compared with the absolute
        tolerance ``floor * tolerance`` (``tiny`` otherwise).
    """

    method: str
    entries: tuple
    floor: float = TINY

    @property
    def status(self) -> str:
        """ "failed" if an entry failed, else "inconclusive" if one is unresolved, else "passed"."""
        return max((entry.status for entry in self.entries), key=STATUSES.index, default="passed")

    @property
    def passed(self) -> bool:
        """``status == "passed"``."""
        return self.status == "passed"

    @property
    def worst(self) -> ParameterCheck:
        """The entry that decides the status (for a passed report, the largest relative error)."""
        return max(self.entries, key=_severity)

    @property
    def unresolved(self) -> tuple:
        """The entries with at least one unresolved element."""
        return tuple(entry for entry in self.entries if not entry.resolved)

    def raise_if_failed(self) -> None:
        """Raise `GradientMismatch` for the worst failing entry, if any."""
        failing = [entry for entry in self.entries if entry.status == "failed"]
        if failing:
            raise max(failing, key=_severity).mismatch()

    def raise_if_not_passed(self) -> None:
        """`raise_if_failed`, then `GradientCheckInconclusive` for an inconclusive report."""
        self.raise_if_failed()
        if self.status == "inconclusive":
            worst = self.worst
            raise GradientCheckInconclusive(
                worst.name, worst.index, worst.bound, worst.applied_tolerance, worst.reason
            )

    def table(self) -> str:
        """The report as text: a title with the status, then one row per entry."""
        header = ("parameter", "index", "analytic", "reference", "|a-b|", "bound", "tolerance", "outcome")
        rows = [header] + [
            (
                e.name,
                str(tuple(e.index)),
                f"{e.analytic:.12g}",
                f"{e.reference:.12g}",
                f"{e.difference:.2e}",
                f"{e.bound:.2e}",
                f"{e.applied_tolerance:.2e}",
                e.status if e.resolved or e.status == "failed" else f"{e.status} (unresolved)",
            )
            for e in self.entries
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        title = f"gradient check ({self.method}): {self.status.upper() if self.status == 'failed' else self.status}"
        notes = [f"  {e.name}: {e.reason}" for e in self.entries if e.reason]
        return "\n".join([title, *lines, *notes])

    __str__ = table


def _severity(entry: ParameterCheck):
    """Failed entries by how far beyond their allowance, inconclusive ones by how far their
    bound exceeds their tolerance, passed ones by their relative error."""
    if entry.status == "failed":
        ratio = entry.difference / (entry.applied_tolerance + entry.bound) if entry.difference else 0.0
    elif entry.status == "inconclusive":
        ratio = entry.bound / max(entry.applied_tolerance, TINY)
    else:
        ratio = entry.relative_error
    return (STATUSES.index(entry.status), np.inf if np.isnan(ratio) else ratio)


def decide(
    name, analytic, reference, bound, tolerance, methods=None, reasons=None, exempt=False
) -> ParameterCheck:
    """The `ParameterCheck` of arrays ``analytic``, ``reference``, ``bound`` (same shape).

    ``methods`` (array of str) says which scheme gave each reference value; ``reasons`` maps
    an index to why it is unresolved (a default reason is written otherwise); entries where
    ``exempt`` is true count as resolved (their bound is a modelled round-off floor).
    """
    a, b, bound = (np.asarray(v, dtype=np.float64) for v in (analytic, reference, bound))
    scale = np.maximum(np.abs(a), np.abs(b))
    difference = np.abs(a - b)
    applied = tolerance * scale
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        failed = ~(difference <= applied + bound)  # NaN fails
        unresolved = ~failed & (bound > applied) & (difference > 0) & ~np.asarray(exempt)
        ratio = np.where(failed, difference / (applied + bound), bound / np.maximum(applied, TINY))
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    pick = failed if failed.any() else unresolved if unresolved.any() else None
    if pick is None:
        flat = int(np.argmax(np.where(np.isnan(difference), np.inf, difference / np.maximum(scale, TINY))))
    else:
        flat = int(np.argmax(np.where(pick, ratio, -1.0)))
    index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
    status = "failed" if failed.any() else "inconclusive" if unresolved.any() else "passed"
    method = "" if methods is None else str(np.asarray(methods)[index])
    reason = ""
    if failed[index]:
        reason = (
            f"|a - b| = {difference[index]:.2e} exceeds the tolerance {applied[index]:.2e} "
            f"plus the error bound {bound[index]:.2e}"
        )
    elif unresolved[index]:
        reason = (reasons or {}).get(index) or (
            f"the error bound {bound[index]:.2e} exceeds the tolerance {applied[index]:.2e}"
        )
    return ParameterCheck(
        name,
        index,
        float(a[index]),
        float(b[index]),
        float(relative_error(a[index], b[index])),
        float(tolerance),
        float(bound[index]),
        float(applied[index]),
        status,
        not unresolved.any(),
        reason,
        method,
        int(failed.sum()),
        int(unresolved.sum()),
        int(a.size),
    )


def compare_gradients(
    grads, reference, *, method, tolerance, names=None, floor=TINY, bounds=None
) -> GradientReport:
    """Compare per-layer gradients ``[(dW, db), ...]`` with a reference of the same layout.

    Parameters
    ----------
    grads, reference : list of (dW, db)
        Analytic gradients and their reference; matching shapes layer by layer.
    method : str
        Recorded in the report (how ``reference`` was computed).
    tolerance : float > 0
        Relative tolerance $\\tau$.
    names : sequence of str, optional
        One name per array (two per layer); default ``"layers[i].W"``, ``"layers[i].b"``.
    floor : float > 0, optional
        An exact reference's round-off level: each entry's bound is ``floor * tolerance``
        where $\\max(|a|, |b|) <$ ``floor`` (such entries count as resolved: the floor
        models the round-off they share with the largest entries). Default ``tiny``.
    bounds : list of (EW, Eb), optional
        Per-entry error bounds of the reference (absolute); default 0.

    Returns
    -------
    GradientReport
    """
    if not isinstance(method, str):
        raise ArgumentError(f"method must be a string, got {method!r}")
    tolerance = positive_float(tolerance, "tolerance")
    floor = positive_float(floor, "floor")
    grads, reference = list(grads), list(reference)
    if len(grads) != len(reference):
        raise ShapeError(f"grads has {len(grads)} layers but reference has {len(reference)}")
    if names is None:
        names = [f"layers[{i}].{which}" for i in range(len(grads)) for which in ("W", "b")]
    names = [str(name) for name in names]
    if len(names) != 2 * len(grads):
        raise ArgumentError(f"names must hold {2 * len(grads)} names (W and b per layer), got {len(names)}")
    pairs = [(a, r) for layer_a, layer_r in zip(grads, reference) for a, r in zip(layer_a, layer_r)]
    flat_bounds = [e for pair in bounds for e in pair] if bounds is not None else [0.0] * len(pairs)
    entries = []
    for name, (analytic, ref), bound in zip(names, pairs, flat_bounds):
        analytic = inexact_array(analytic, f"gradient of {name}", allow_complex=False)
        ref = inexact_array(ref, f"reference gradient of {name}", allow_complex=False)
        if analytic.shape != ref.shape:
            raise ShapeError(f"gradient of {name} has shape {analytic.shape} but its reference {ref.shape}")
        if analytic.size == 0:
            raise ShapeError(f"gradient of {name} is empty")
        below = np.maximum(np.abs(analytic), np.abs(ref)) < floor
        # below the floor the bound is the floor's absolute tolerance, and counts as resolved
        bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), analytic.shape)
        floor_bound = np.where(below, floor * tolerance, 0.0)
        entries.append(decide(name, analytic, ref, np.maximum(bound, floor_bound), tolerance, exempt=below))
    return GradientReport(method, tuple(entries), floor)
