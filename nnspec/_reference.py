r"""The reference side of a gradient check (internal): the loss along one entry or one
direction of a copy of the model, differentiated by a scheme with its error bound.

`Target` is $t \mapsto L(\theta + t\,e)$ with its round-off (`nnspec._roundoff`) and a watch
on kinks; `resolve` runs the schemes in turn (central, Richardson, complex step) until an
entry is resolved or has failed.
"""

from __future__ import annotations

import numpy as np

from ._roundoff import EPS, SAFETY, loss_round_off
from .differences import DEFAULT_STEPS, better_step, derivative_with_bound

#: Below this magnitude float64 results may be subnormal, whose rounding is no longer relative.
UNDERFLOW = np.finfo(np.float64).tiny / EPS

__all__ = ["UNDERFLOW", "Target", "assign", "direction_move", "entry_move", "reason", "resolve", "twins"]


class Target:
    """The loss as a function of a step ``t`` along one entry or one direction of a twin model."""

    def __init__(self, twin, X, Y, loss, from_logits, move):
        self.twin, self.X, self.Y, self.loss, self.from_logits, self.move = (
            twin,
            X,
            Y,
            loss,
            from_logits,
            move,
        )
        self.noisy = np.inf  # the round-off is estimated where |t| <= noisy (the bound needs only those)
        kinked = not all(layer.activation.smooth for layer in twin.layers)
        self.pattern = _kink_sides(twin, X) if kinked else None  # which side of z = 0, at t = 0
        self.crossed = False  # set when an evaluation put some pre-activation on the other side

    def __call__(self, t):
        undo = self.move(t)
        try:
            value = self.loss(self.Y, self.twin.forward(self.X), from_logits=self.from_logits)
            if self.pattern is not None and not np.iscomplexobj(value):
                sides = _kink_sides(self.twin, self.X)
                self.crossed |= any(np.any(a != b) for a, b in zip(sides, self.pattern))
            if np.iscomplexobj(value) or abs(t) > self.noisy:
                return value, 0.0
            return float(value), loss_round_off(self.twin, self.X, self.Y, self.loss, self.from_logits)
        finally:
            undo()


def _kink_sides(model, X):
    """For each kinked layer, which pre-activations are > 0 (every kink of nnspec's activations
    is at z = 0): a difference quotient whose evaluations disagree straddles a kink."""
    sides, values = [], X
    for layer in model.layers:
        Z = values @ layer.W.real + layer.b.real
        if not layer.activation.smooth:
            sides.append(Z > 0)
        values = layer.activation(Z)
    return sides


def entry_move(target, index):
    def move(t):
        original = target[index]
        target[index] = original + t
        return lambda: target.__setitem__(index, original)

    return move


def direction_move(targets, theta, direction):
    def move(t):
        assign(targets, theta + t * direction)
        return lambda: assign(targets, theta)

    return move


def assign(targets, flat):
    start = 0
    for target in targets:
        target[...] = flat[start : start + target.size].reshape(target.shape)
        start += target.size


def _estimate(method, f, h, forward_bound, enough, a):
    """(reference, bound of the reference, note) by one scheme at relative step ``h``.

    A step whose quotients straddle a kink, or whose truncation estimate exceeds both the
    round-off and a tenth of the value (the function is far from its Taylor expansion, where
    the estimate itself is unreliable), is replaced by a step 100 times
    smaller, twice; if none will do, the bound is infinite. A second step, where the measured
    round-off and truncation balance, is tried when the bound is above ``enough``.
    """
    if method == "complex":
        value = f(1j * h)[0]
        reference = float(np.imag(value)) / h
        return reference, forward_bound + SAFETY * EPS * abs(reference), "complex step round-off"
    value, rounding, truncation = _bounded(f, h, method)
    for smaller in (h / 100, h / 10_000):
        if not f.crossed and _trusted(value, rounding, truncation, a):
            break
        h = smaller
        value, rounding, truncation = _bounded(f, h, method)
    if f.crossed:
        return value, np.inf, f"{method} differences: a pre-activation crosses a kink within the step"
    if not _trusted(value, rounding, truncation, a):
        return value, np.inf, f"{method} differences: the truncation estimate is not small at any step tried"
    if rounding + truncation > enough:
        retry = better_step(h, rounding, truncation, method)
        if not 0.5 <= retry / h <= 2:
            other = _bounded(f, retry, method)
            if not f.crossed and _trusted(*other, a) and other[1] + other[2] < rounding + truncation:
                value, rounding, truncation = other
    kind = "loss round-off" if rounding >= truncation else "truncation"
    note = f"{method} differences: {kind} {max(rounding, truncation):.1e}"
    return value, rounding + truncation, note


def _trusted(value, rounding, truncation, a):
    """The truncation estimate is a small correction (the scheme is in its asymptotic range),
    or no larger than the round-off, which then dominates the estimate and the bound alike."""
    return truncation <= max(rounding, 0.1 * max(abs(value), abs(a)))


def _bounded(f, h, method):
    f.noisy, f.crossed = 1.01 * h, False
    return derivative_with_bound(f, h, method)


def resolve(a, Ea, Er, chain, makers, scale, tolerance):
    """Run the schemes of ``chain`` until the entry is resolved; return (b, E, method, status, note).

    ``Ea`` bounds the analytic value's round-off, ``Er`` the output rounding's share (which
    only a complex-step reference, rounding its real parts differently, does not share).
    """
    best = None
    for method in chain:
        f, h = makers[method](), DEFAULT_STEPS[method] * scale
        b, Eb, note = _estimate(method, f, h, Ea + Er, tolerance * abs(a) / 2 - Ea, a)
        if a != b and max(abs(a), abs(b)) < UNDERFLOW:
            return b, np.inf, method, "inconclusive", f"values below {UNDERFLOW:.0e} lose relative precision"
        bound, applied = Eb + Ea, tolerance * max(abs(a), abs(b))
        if not abs(a - b) <= applied + bound:
            return b, bound, method, "failed", note
        result = (b, bound, method, "passed" if bound <= applied or a == b else "inconclusive", note)
        if best is None or bound < best[1]:
            best = result
        if result[3] == "passed":
            return result
    return best


def reason(a, b, bound, note, chain, complex_safe):
    """Why an entry is unresolved, and what may resolve it."""
    if not np.isfinite(bound):
        if "kink" in note:
            return f"{note}; move the batch away from it (a kink has no derivative to check)"
        if "precision" in note:
            return f"{note} (subnormal numbers); rescale the inputs, targets or weights"
        return f"{note}; check at another point"
    if max(abs(a), abs(b)) <= bound:
        return (
            f"both values are 0 to within the bound ({note}): the check cannot see this entry "
            "(at a stationary point no check sees a wrong factor); check at another point"
        )
    if complex_safe and "complex" not in chain:
        return f"{note} exceeds the tolerance; try method='complex'"
    if "richardson" not in chain and "complex" not in chain:
        return f"{note} exceeds the tolerance; try method='richardson'"
    return f"{note} exceeds the tolerance; try another point or a larger tolerance"


def twins(model):
    """Lazily made copies of the model: float64 for differences, complex128 for the complex step."""
    cache = {}

    def twin(method):
        kind = "complex" if method == "complex" else "real"
        if kind not in cache:
            cache[kind] = model.copy(dtype=np.complex128 if kind == "complex" else None)
        return cache[kind]

    return twin
