r"""Numerical gradients and gradient checking: is a hand-written backward pass right?

Three ways to differentiate a scalar function $f$ of an array numerically, one entry
$x_i$ at a time, with step $h_i = h \max(1, |x_i|)$:

* ``"central"``: $D(h) = \dfrac{f(x + h e_i) - f(x - h e_i)}{2h}$, error
  $O(h^2)$ plus round-off $\sim \epsilon |f| / h$ (default $h = 10^{-5}$);
* ``"richardson"``: $\dfrac{4 D(h/2) - D(h)}{3}$ cancels the $h^2$ term of
  $D$, error $O(h^4)$ (default $h = 10^{-3}$, where the two errors balance);
* ``"complex"``: $\operatorname{Im} f(x + i h e_i) / h$ (Squire & Trapp 1998) has no
  subtraction, hence no cancellation: accurate to round-off with $h = 10^{-20}$, but only
  for functions that are analytic and written to carry the imaginary part through.

They live in `nnspec.differences`. `check_gradients` compares a model's backpropagation with
them, entry by entry or, with ``directions=k``, along ``k`` seeded random directions. Each
reference value carries an error bound (round-off from the magnitudes the loss is summed
from, `nnspec._roundoff`; truncation measured by the scheme itself), and each entry is
"passed", "failed" (beyond tolerance plus bound) or unresolved ("inconclusive": the bound
exceeds the tolerance); see `check_gradients`.

Examples
--------
>>> import nnspec as ns
>>> g = ns.numerical_gradient(lambda x: np.sum(np.sin(x)), np.array([0.0, 1.0]), method="complex")
>>> bool(np.allclose(g, np.cos([0.0, 1.0]), rtol=1e-15))
True
"""

from __future__ import annotations

import numpy as np

from ._reference import UNDERFLOW, Target, direction_move, entry_move, reason, resolve, twins
from ._report import (
    STATUSES,
    GradientCheckInconclusive,
    GradientReport,
    ParameterCheck,
    compare_gradients,
    decide,
    relative_error,
)
from ._roundoff import EPS, SAFETY, gradient_round_off, loss_round_off
from ._validation import describe, finite_array, positive_float, positive_int
from .differences import (
    DEFAULT_STEPS,
    check_method,
    direction_step,
    directional_derivative,
    numerical_gradient,
    require_float64,
)
from .errors import ArgumentError
from .losses import loss as resolve_loss

__all__ = [
    "DEFAULT_STEPS",
    "SAFETY",
    "STATUSES",
    "TOLERANCES",
    "UNDERFLOW",
    "GradientCheckInconclusive",
    "GradientReport",
    "ParameterCheck",
    "check_gradients",
    "compare_gradients",
    "directional_derivative",
    "gradient_round_off",
    "loss_round_off",
    "numerical_gradient",
    "relative_error",
    "require_float64",
]

#: Default tolerance of `check_gradients` by (method, every activation smooth).
TOLERANCES = {
    ("central", True): 1e-6,
    ("central", False): 1e-4,
    ("richardson", True): 1e-6,
    ("richardson", False): 1e-4,
    ("complex", True): 1e-6,
}

ESCALATION = ("central", "richardson", "complex")


def _entry_by_entry(model, X, Y, loss, chain, analytic, bounds, tolerance, from_logits, complex_safe):
    twin = twins(model)
    entries = []
    for i, (pair, pair_bounds, pair_rho) in enumerate(zip(analytic, *bounds)):
        for which, (grad, grad_bound, rho) in enumerate(zip(pair, pair_bounds, pair_rho)):
            name = f"layers[{i}].{'Wb'[which]}"
            reference, bound = np.empty_like(grad), np.empty_like(grad)
            methods, reasons = np.empty(grad.shape, dtype=object), {}
            for index in np.ndindex(grad.shape):

                def maker(method, index=index, which=which, i=i):
                    def make():
                        target = twin(method).layers[i].parameters()[which]
                        return Target(twin(method), X, Y, loss, from_logits, entry_move(target, index))

                    return make

                scale = max(1.0, abs(float(model.layers[i].parameters()[which][index])))
                makers = {m: maker(m) for m in chain}
                b, E, method, status, note = resolve(
                    grad[index], grad_bound[index], rho[index], chain, makers, scale, tolerance
                )
                reference[index], bound[index], methods[index] = b, E, method
                if status == "inconclusive":
                    reasons[index] = reason(grad[index], b, E, note, chain, complex_safe)
            entries.append(decide(name, grad, reference, bound, tolerance, methods, reasons))
    return entries


def _along_directions(
    model, X, Y, loss, chain, analytic, bounds, tolerance, from_logits, complex_safe, count, seed
):
    """Compare g . d with the derivative along ``count`` seeded random unit vectors d."""
    theta = np.concatenate([p.ravel() for layer in model.layers for p in layer.parameters()])
    gradient = np.concatenate([g.ravel() for pair in analytic for g in pair])
    gradient_bound, rho = (np.concatenate([e.ravel() for pair in part for e in pair]) for part in bounds)
    twin = twins(model)
    rng = np.random.default_rng(seed)
    entries = []
    for j in range(count):
        direction = rng.standard_normal(theta.size)
        direction /= np.linalg.norm(direction)
        projected = float(gradient @ direction)
        Ea = float(np.abs(direction) @ gradient_bound) + SAFETY * EPS * float(
            np.abs(gradient) @ np.abs(direction)
        )

        def maker(method, direction=direction):
            def make():
                targets = [p for layer in twin(method).layers for p in layer.parameters()]
                return Target(
                    twin(method), X, Y, loss, from_logits, direction_move(targets, theta, direction)
                )

            return make

        makers = {m: maker(m) for m in chain}
        scale = direction_step(theta, direction, 1.0)
        Er = float(np.abs(direction) @ rho)
        b, E, method, status, note = resolve(projected, Ea, Er, chain, makers, scale, tolerance)
        reasons = {(): reason(projected, b, E, note, chain, complex_safe)} if status == "inconclusive" else {}
        entries.append(decide(f"direction[{j}]", projected, b, E, tolerance, method, reasons))
    return entries


def check_gradients(
    model,
    X,
    Y,
    loss,
    method="central",
    *,
    directions=None,
    seed=0,
    from_logits=False,
    tolerance=None,
    raise_exception=False,
    escalate=True,
) -> GradientReport:
    r"""Compare ``model.loss_and_grads`` with numerical gradients of every weight and bias.

    Each entry's analytic value $a$ is compared with a reference $b$ (finite differences or the
    complex step, in a copy of ``model``: the model itself is not changed) that carries an error
    bound $E$: the round-off of the loss evaluations (`loss_round_off`, from the magnitudes
    the loss is summed from) divided by the step, the truncation error measured by the scheme
    itself ($D(h)$ against $D(2h)$; Richardson against its own coarser value), and the
    round-off of backpropagation (`gradient_round_off`). Each entry's step starts at
    $h \max(1, |\theta_i|)$ and moves to where the two measured errors balance. With relative
    tolerance $\tau$ an entry

    * **fails** when $|a - b| > \tau \max(|a|, |b|) + E$;
    * is **unresolved** when $E > \tau \max(|a|, |b|)$: the reference cannot tell;
    * **passes** otherwise.

    With ``escalate=True`` (the default) an unresolved entry is tried again with the next
    scheme of central, Richardson, complex step (the complex step only when every activation
    is complex-analytic), so that an ill-conditioned point costs more evaluations instead of an
    inconclusive answer. The report's ``status`` is "failed" if any entry failed, else
    "inconclusive" if any is unresolved, else "passed".

    With ``directions=k`` the check compares, for ``k`` seeded random unit vectors $d$ in
    the space of all parameters, $\nabla L \cdot d$ with the derivative of
    $t \mapsto L(\theta + t d)$, step $h \max(1, |d \cdot \theta|)$; one entry per direction.

    Default tolerances $\tau$ (float64), by the ``method`` asked for (escalation keeps it):

    | method | smooth activations | an activation with kinks (relu, leaky_relu) |
    |---|---|---|
    | `central` | 1e-6 | 1e-4 |
    | `richardson` | 1e-9 | 1e-4 |
    | `complex` | 1e-12 | refused (not complex-analytic) |

    float32 models or inputs are refused (see `require_float64`).

    Parameters
    ----------
    model : MLP (float64)
    X : array, shape (batch, sizes[0]), float64
    Y : array, shape (batch, sizes[-1])
    loss : str or Loss
    method : {"central", "richardson", "complex"}
        The first scheme. ``"complex"`` evaluates ``model.copy(dtype=np.complex128)``; every
        activation must be complex-analytic (tanh, sigmoid, softplus, identity, elu, softmax).
    directions : int >= 1, optional
        Check along this many random directions instead of entry by entry.
    seed : int
        Seeds the directions (ignored without ``directions``).
    from_logits : bool
        Read the output as logits (cross-entropies only).
    tolerance : float, optional
        Overrides the table above.
    raise_exception : bool
        Raise `GradientMismatch` (parameter, index, both values, tolerance) for a failed
        report and `GradientCheckInconclusive` (parameter, index, bound, reason) for an
        inconclusive one, instead of returning it.
    escalate : bool
        Retry unresolved entries with the more accurate schemes (default True).

    Returns
    -------
    GradientReport
        ``.status``, ``.passed``, ``.worst``, ``.unresolved`` and one `ParameterCheck` per
        parameter (``layers[i].W``, ``layers[i].b``) or, with ``directions``, per direction.

    Examples
    --------
    >>> import numpy as np
    >>> import nnspec as ns
    >>> rng = np.random.default_rng(0)
    >>> model = ns.MLP((2, 3, 1), activation="tanh", seed=0)
    >>> X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    >>> report = ns.check_gradients(model, X, Y, "mse")
    >>> report.status, [entry.name for entry in report.entries]
    ('passed', ['layers[0].W', 'layers[0].b', 'layers[1].W', 'layers[1].b'])
    >>> ns.check_gradients(model, X, Y, "mse", directions=3).status
    'passed'
    """
    method = check_method(method)
    if not hasattr(model, "layers") or not hasattr(model, "loss_and_grads"):
        raise ArgumentError(f"model must be an nnspec MLP, got {describe(model)}")
    require_float64(model.dtype, "the model", exact=True)
    X = finite_array(X, "X")
    require_float64(X.dtype, "X")
    loss = resolve_loss(loss)
    smooth = all(layer.activation.smooth for layer in model.layers)
    complex_safe = all(layer.activation.complex_safe for layer in model.layers)
    if method == "complex" and not complex_safe:
        i, layer = next(
            (i, layer) for i, layer in enumerate(model.layers) if not layer.activation.complex_safe
        )
        raise ArgumentError(
            f"layer {i} uses {layer.activation.name}, which is not complex-analytic, so the "
            "complex step cannot differentiate this network; use method='central' "
            f"(default tolerance {TOLERANCES[('central', smooth)]:g})"
        )
    default = TOLERANCES[(method, smooth or method == "complex")]
    tolerance = default if tolerance is None else positive_float(tolerance, "tolerance")
    if not isinstance(escalate, bool):
        raise ArgumentError(f"escalate must be True or False, got {describe(escalate)}")
    chain = ESCALATION[ESCALATION.index(method) :] if escalate else (method,)
    chain = tuple(m for m in chain if m != "complex" or complex_safe)
    _, analytic = model.copy().loss_and_grads(X, Y, loss, from_logits=from_logits)
    Y = np.asarray(Y, dtype=np.float64)
    with np.errstate(under="ignore"):
        bounds = gradient_round_off(model, X, Y, loss, from_logits)
        common = (model, X, Y, loss, chain, analytic, bounds, tolerance, from_logits, complex_safe)
        if directions is not None:
            count = positive_int(directions, "directions")
            entries = _along_directions(*common, count, seed)
        else:
            entries = _entry_by_entry(*common)
    report = GradientReport(method, tuple(entries))
    if raise_exception:
        report.raise_if_not_passed()
    return report
