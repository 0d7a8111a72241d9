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
one of them, entry by entry or, with ``directions=k``, along ``k`` seeded random directions.

Examples
--------
>>> import nnspec as ns
>>> g = ns.numerical_gradient(lambda x: np.sum(np.sin(x)), np.array([0.0, 1.0]), method="complex")
>>> bool(np.allclose(g, np.cos([0.0, 1.0]), rtol=1e-15))
True
"""

from __future__ import annotations

import numpy as np

from ._report import GradientReport, ParameterCheck, compare_gradients, relative_error
from ._validation import describe, finite_array, positive_float, positive_int
from .differences import (
    DEFAULT_STEPS,
    check_method,
    directional_derivative,
    numerical_gradient,
    require_float64,
)
from .errors import ArgumentError
from .losses import loss as resolve_loss

__all__ = [
    "DEFAULT_STEPS",
    "TOLERANCES",
    "GradientReport",
    "ParameterCheck",
    "check_gradients",
    "compare_gradients",
    "directional_derivative",
    "noise_floor",
    "numerical_gradient",
    "relative_error",
    "require_float64",
]

#: Default tolerance of `check_gradients` by (method, every activation smooth).
TOLERANCES = {
    ("central", True): 1e-6,
    ("central", False): 1e-4,
    ("richardson", True): 1e-9,
    ("richardson", False): 1e-4,
    ("complex", True): 1e-12,
}


def noise_floor(method, loss_value, grads, tolerance, *, largest=None) -> float:
    r"""Magnitude below which a check compares gradient entries absolutely.

    The reference carries an absolute round-off error of about
    $\text{noise} = 10\,\epsilon\,(c\,|L| / h + G)$: the difference quotient's
    $\epsilon |L| / h$ ($c = 1$ central, 3 Richardson, 0 complex step) and the
    cancellation in sums over the batch, $\epsilon G$ with $G$ the largest gradient
    entry (``largest`` overrides it). An entry smaller than ``noise / tolerance`` cannot be
    resolved to ``tolerance`` relatively, so it is compared as $|a - b| \le \text{noise}$.
    """
    eps = np.finfo(np.float64).eps
    difference = {"central": 1.0, "richardson": 3.0}.get(method, 0.0) * abs(loss_value)
    if difference:
        difference /= DEFAULT_STEPS[method]
    if largest is None:
        largest = max((float(np.max(np.abs(g))) for pair in grads for g in pair), default=0.0)
    return max(10 * eps * (difference + largest) / tolerance, float(np.finfo(np.float64).tiny))


def _loss_of_parameter(twin, target, X, Y, loss, from_logits):
    def f(values):
        target[...] = values
        return loss(Y, twin.forward(X), from_logits=from_logits)

    return f


def _loss_of_all(twin, X, Y, loss, from_logits):
    """The loss as a function of every parameter of ``twin``, flattened in layer order."""
    targets = [p for layer in twin.layers for p in (layer.W, layer.b)]

    def f(theta):
        start = 0
        for target in targets:
            target[...] = theta[start : start + target.size].reshape(target.shape)
            start += target.size
        return loss(Y, twin.forward(X), from_logits=from_logits)

    return f


def _along_directions(model, X, Y, loss, method, value, analytic, tolerance, count, seed, from_logits):
    """Compare g . d with the numerical derivative along ``count`` seeded random unit vectors d."""
    theta = np.concatenate([p.ravel() for layer in model.layers for p in (layer.W, layer.b)])
    gradient = np.concatenate([g.ravel() for pair in analytic for g in pair])
    twin = model.copy(dtype=np.complex128 if method == "complex" else None)
    f = _loss_of_all(twin, X, Y, loss, from_logits)
    rng = np.random.default_rng(seed)
    norm = float(np.linalg.norm(gradient))
    floor = noise_floor(method, value, analytic, tolerance, largest=norm)
    entries = []
    for j in range(count):
        direction = rng.standard_normal(theta.size)
        direction /= np.linalg.norm(direction)
        projected = float(gradient @ direction)
        numeric = directional_derivative(f, theta, direction, method)
        error = float(relative_error(projected, numeric, floor=floor))
        entries.append(ParameterCheck(f"direction[{j}]", (), projected, numeric, error, tolerance))
    return GradientReport(method, tuple(entries), floor)


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
) -> GradientReport:
    r"""Compare ``model.loss_and_grads`` with numerical gradients of every weight and bias.

    By default each parameter entry is perturbed in a copy of ``model`` (the model itself is
    not changed) and the loss of ``X``, ``Y`` recomputed: two losses per entry (central), and
    the report keeps each parameter's worst relative error. With ``directions=k`` the check
    scales instead: for ``k`` random unit vectors $d$ in the space of all parameters (seeded
    by ``seed``) it compares the analytic $\nabla L \cdot d$ with the numerical derivative of
    $t \mapsto L(\theta + t d)$, two losses per direction (central) whatever the number of
    parameters; the report has one entry per direction, ``direction[j]``.

    Default tolerances (relative error, float64):

    | method | smooth activations | an activation with kinks (relu, leaky_relu) |
    |---|---|---|
    | `central` | 1e-6 | 1e-4 |
    | `richardson` | 1e-9 | 1e-4 |
    | `complex` | 1e-12 | refused (not complex-analytic) |

    Entries smaller than the reference's round-off level are compared absolutely (see
    `noise_floor`; the report records the floor). float32 models or inputs are refused, a
    policy: in float32 central differences at their best step $h \approx \epsilon^{1/3}$ leave
    a relative error of about $\epsilon^{2/3} \approx 2 \times 10^{-5}$ on a well-scaled
    function and around $10^{-3}$ on network gradients, so a float32 check needs a looser
    tolerance (JAX uses 2e-3) or another scheme. Near a kink the one-sided slopes differ, so
    a kinked network can fail where some ``z`` lies within a step of 0.

    Parameters
    ----------
    model : MLP (float64)
    X : array, shape (batch, sizes[0]), float64
    Y : array, shape (batch, sizes[-1])
    loss : str or Loss
    method : {"central", "richardson", "complex"}
        ``"complex"`` evaluates ``model.copy(dtype=np.complex128)``; every activation must be
        complex-analytic (tanh, sigmoid, softplus, identity, elu, softmax).
    directions : int >= 1, optional
        Check along this many random directions instead of entry by entry.
    seed : int
        Seeds the directions (ignored without ``directions``).
    from_logits : bool
        Read the output as logits (cross-entropies only).
    tolerance : float, optional
        Overrides the table above.
    raise_exception : bool
        Raise `GradientMismatch` (parameter, index, both values,
        tolerance) instead of returning a failed report.

    Returns
    -------
    GradientReport
        ``.passed``, ``.worst`` and one entry per parameter (``layers[i].W``, ``layers[i].b``)
        or, with ``directions``, per direction.

    Examples
    --------
    >>> import numpy as np
    >>> import nnspec as ns
    >>> rng = np.random.default_rng(0)
    >>> model = ns.MLP((2, 3, 1), activation="tanh", seed=0)
    >>> X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    >>> report = ns.check_gradients(model, X, Y, "mse")
    >>> report.passed, [entry.name for entry in report.entries]
    (True, ['layers[0].W', 'layers[0].b', 'layers[1].W', 'layers[1].b'])
    >>> ns.check_gradients(model, X, Y, "mse", directions=3).passed
    True
    """
    method = check_method(method)
    if not hasattr(model, "layers") or not hasattr(model, "loss_and_grads"):
        raise ArgumentError(f"model must be an nnspec MLP, got {describe(model)}")
    require_float64(model.dtype, "the model", exact=True)
    X = finite_array(X, "X")
    require_float64(X.dtype, "X")
    loss = resolve_loss(loss)
    smooth = all(layer.activation.smooth for layer in model.layers)
    if method == "complex":
        for i, layer in enumerate(model.layers):
            if not layer.activation.complex_safe:
                raise ArgumentError(
                    f"layer {i} uses {layer.activation.name}, which is not complex-analytic, so the "
                    "complex step cannot differentiate this network; use method='central' "
                    f"(default tolerance {TOLERANCES[('central', smooth)]:g})"
                )
    default = TOLERANCES[(method, smooth or method == "complex")]
    tolerance = default if tolerance is None else positive_float(tolerance, "tolerance")
    value, analytic = model.copy().loss_and_grads(X, Y, loss, from_logits=from_logits)
    if directions is not None:
        count = positive_int(directions, "directions")
        report = _along_directions(
            model, X, Y, loss, method, value, analytic, tolerance, count, seed, from_logits
        )
    else:
        report = _entry_by_entry(model, X, Y, loss, method, value, analytic, tolerance, from_logits)
    if raise_exception:
        report.raise_if_failed()
    return report


def _entry_by_entry(model, X, Y, loss, method, value, analytic, tolerance, from_logits):
    twin = model.copy(dtype=np.complex128 if method == "complex" else None)
    reference = []
    for layer in twin.layers:
        pair = []
        for target in (layer.W, layer.b):
            start = target.real.copy()
            f = _loss_of_parameter(twin, target, X, Y, loss, from_logits)
            pair.append(numerical_gradient(f, start, method))
            target[...] = start
        reference.append(tuple(pair))
    floor = noise_floor(method, value, analytic, tolerance)
    return compare_gradients(analytic, reference, method=method, tolerance=tolerance, floor=floor)
