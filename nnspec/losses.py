r"""Loss functions: a scalar that training minimizes, zero at a perfect prediction.

Each loss ``L`` is called as ``L(y_true, y_pred, *, from_logits=False) -> float`` and has
``L.grad(y_true, y_pred, *, from_logits=False)``, the derivative of that scalar with respect
to ``y_pred`` (same shape), and ``L.expr(...)``, its SymPy definition.

Reductions: `mse` and `binary_crossentropy` average over all elements;
`categorical_crossentropy` sums over the classes (last axis) and averages over the
batch.

From probabilities, predictions are clipped to $[\epsilon, 1 - \epsilon]$ with
$\epsilon = 10^{-12}$ for float64 and $10^{-7}$ for float32 (the default of Keras's
``keras.config.epsilon()``, which Keras applies to every dtype); where
the clip is active the computed loss is flat, so its gradient there is 0. From logits the
losses use the stable forms, exact and finite for logits up to $\pm 10^4$:

* binary: $\max(z, 0) - z y + \log(1 + e^{-|z|})$ (= softplus(z) - z y);
* categorical: $\operatorname{logsumexp}(z) - \sum_i y_i z_i$.

SymPy is imported only by the symbolic methods (``expr``), not by ``import nnspec.losses``.
"""

from __future__ import annotations

import numpy as np

from . import _crossentropy_numerics as numerics
from ._crossentropy_numerics import EPSILON
from ._validation import finite_array, lookup, same_shape
from .errors import ArgumentError, ShapeError

__all__ = [
    "EPSILON",
    "LOSSES",
    "Loss",
    "binary_crossentropy",
    "categorical_crossentropy",
    "loss",
    "mse",
]


#: Clipping margin for probabilities, by dtype.
def _sympy_grid(values, name: str, default):
    """Turn ``values`` (None, a SymPy matrix or nested sequences) into a list of rows."""
    import sympy as sp  # SymPy only for the symbolic methods: `import nnspec` does not pay for it

    if values is None:
        values = default
    if isinstance(values, sp.MatrixBase):
        return [list(values.row(i)) for i in range(values.rows)]
    rows = list(values) if isinstance(values, (list, tuple)) else [values]
    if rows and not isinstance(rows[0], (list, tuple)):
        rows = [rows]
    rows = [list(row) for row in rows]
    if not all(isinstance(v, sp.Basic) for row in rows for v in row):
        raise ArgumentError(f"{name} must contain SymPy expressions")
    return rows


class Loss:
    """A scalar loss with its gradient and SymPy definition.

    Subclasses implement ``_value(y, p)``, ``_grad(y, p)`` (probabilities),
    ``_value_logits(y, z)``, ``_grad_logits(y, z)`` and ``_expr(rows_y, rows_p, from_logits)``.
    """

    name = "loss"
    accepts_logits = True

    def _inputs(self, y_true, y_pred, from_logits: bool, targets_checked: bool = False):
        if not isinstance(from_logits, bool):
            raise ArgumentError(f"from_logits must be True or False, got {from_logits!r}")
        if from_logits and not self.accepts_logits:
            raise ArgumentError(
                f"{self.name} compares predictions directly; from_logits=True only has a "
                "meaning for the cross-entropies"
            )
        pred = finite_array(y_pred, "y_pred", allow_complex=True)
        true = y_true if targets_checked else finite_array(y_true, "y_true")
        same_shape(true, pred, "y_true", "y_pred")
        if pred.size == 0:
            raise ShapeError("y_pred is empty; a loss needs at least one prediction")
        if not targets_checked:
            self._check_targets(true)
        if not from_logits:
            self._check_predictions(pred)
        return true, pred

    def check_targets(self, y_true) -> np.ndarray:
        """``y_true`` as a finite floating array, or `ArgumentError` if it is not valid targets.

        What every loss call checks of its targets (the cross-entropies want values in
        [0, 1], the categorical one rows that sum to 1). A training loop checks its whole
        target set once with this, then passes each batch with ``targets_checked=True``.

        Examples
        --------
        >>> ns.categorical_crossentropy.check_targets([[0, 1], [1, 0]]).dtype
        dtype('float64')
        """
        true = finite_array(y_true, "y_true")
        self._check_targets(true)
        return true

    def _check_targets(self, y_true):
        pass

    def _check_predictions(self, y_pred):
        pass

    def __call__(self, y_true, y_pred, *, from_logits: bool = False) -> float:
        """Loss value (a Python float; complex only under complex-step differentiation)."""
        true, pred = self._inputs(y_true, y_pred, from_logits)
        with np.errstate(under="ignore"):
            value = self._value_logits(true, pred) if from_logits else self._value(true, pred)
        return complex(value) if np.iscomplexobj(value) else float(value)

    def grad(self, y_true, y_pred, *, from_logits: bool = False) -> np.ndarray:
        """Derivative of the scalar loss with respect to ``y_pred``; shape of ``y_pred``."""
        true, pred = self._inputs(y_true, y_pred, from_logits)
        with np.errstate(under="ignore"):
            result = self._grad_logits(true, pred) if from_logits else self._grad(true, pred)
        return np.asarray(result, dtype=pred.dtype)

    def value_and_grad(self, y_true, y_pred, *, from_logits: bool = False, targets_checked: bool = False):
        """``(value, grad)`` in one call: the inputs are checked once and shared work is done once.

        ``targets_checked=True`` skips the checks of `check_targets`: the caller guarantees
        that ``y_true`` is an array it returned (or a slice of one). ``y_pred`` and the
        shapes are checked either way.
        """
        true, pred = self._inputs(y_true, y_pred, from_logits, targets_checked)
        return self._value_and_grad(true, pred, from_logits)

    def _value_and_grad(self, true, pred, from_logits):
        """`value_and_grad` on inputs already checked (the training loop checks its data once)."""
        with np.errstate(under="ignore"):
            if from_logits:
                value, grad = self._value_grad_logits(true, pred)
            else:
                value, grad = self._value(true, pred), self._grad(true, pred)
        value = complex(value) if np.iscomplexobj(value) else float(value)
        return value, np.asarray(grad, dtype=pred.dtype)

    def _value_grad_logits(self, y, z):
        return self._value_logits(y, z), self._grad_logits(y, z)

    def expr(self, y_true=None, y_pred=None, *, from_logits: bool = False):
        """SymPy expression of the loss over symbolic targets and predictions.

        ``y_true`` and ``y_pred`` are SymPy matrices or nested lists of expressions of shape
        (batch, k); by default one sample of scalar symbols ``y`` and ``yhat`` (``z`` from
        logits), or of three classes for the categorical loss.
        """
        if from_logits and not self.accepts_logits:
            raise ArgumentError(f"{self.name} has no from-logits form")
        rows_y = _sympy_grid(y_true, "y_true", self._default_symbols("y"))
        rows_p = _sympy_grid(y_pred, "y_pred", self._default_symbols("z" if from_logits else "yhat"))
        lengths_y, lengths_p = [len(r) for r in rows_y], [len(r) for r in rows_p]
        if lengths_y != lengths_p:
            raise ShapeError(
                "y_true and y_pred must have the same (batch, k) shape, "
                f"got rows of lengths {lengths_y} and {lengths_p}"
            )
        return self._expr(rows_y, rows_p, from_logits)

    def _default_symbols(self, stem):
        import sympy as sp

        return [sp.Symbol(stem, real=True)]

    def __repr__(self) -> str:
        return f"nnspec.{self.name}"


class MeanSquaredError(Loss):
    r"""Mean squared error, averaged over all $n$ elements.

    $$L = \frac1n \sum_i (\hat y_i - y_i)^2, \qquad
    \frac{\partial L}{\partial \hat y} = \frac{2(\hat y - y)}{n}.$$

    Calling ``loss(y_true, y_pred)`` takes:

    - ``y_true``, ``y_pred``: array, shape (batch, k) (any shape, the same for both). Targets and predictions. ``from_logits`` is refused: the MSE compares values directly.

    Returns
    -------
    float
        The loss; ``grad`` returns an array of ``y_pred``'s shape.

    Examples
    --------
    >>> import numpy as np
    >>> import nnspec as ns
    >>> y_true = np.array([[1.0, 2.0], [3.0, 4.0]])  # shape (2, 2): n = 4 elements
    >>> y_pred = np.array([[1.5, 2.0], [2.0, 4.0]])
    >>> ns.mse(y_true, y_pred)  # (0.25 + 0 + 1 + 0) / 4
    0.3125
    >>> ns.mse.grad(y_true, y_pred)  # 2 (y_pred - y_true) / 4, shape (2, 2)
    array([[ 0.25,  0.  ],
           [-0.5 ,  0.  ]])
    """

    name = "mse"
    accepts_logits = False

    def _value(self, y, p):
        diff = p - y
        return np.sum(diff * diff) / diff.size

    def _grad(self, y, p):
        return 2 * (p - y) / p.size

    def _expr(self, rows_y, rows_p, from_logits):
        import sympy as sp

        terms = [(p - y) ** 2 for ry, rp in zip(rows_y, rows_p) for y, p in zip(ry, rp)]
        return sp.Add(*terms) / len(terms)


class BinaryCrossentropy(Loss):
    r"""Binary cross-entropy, averaged over all $n$ elements.

    $$L = -\frac1n \sum_i \left[y_i \log p_i + (1 - y_i)\log(1 - p_i)\right].$$

    From logits $z$: $L = \frac1n\sum_i \operatorname{softplus}(z_i) - z_i y_i$ and
    $\partial L/\partial z = (\sigma(z) - y)/n$.

    Calling ``loss(y_true, y_pred)`` takes:

    - ``y_true``: array, shape (batch, k). Labels in {0, 1} or label probabilities in [0, 1].
    - ``y_pred``: array, shape (batch, k). Probabilities in [0, 1], or logits with ``from_logits=True``.

    Returns
    -------
    float
        The loss; ``grad`` returns an array of ``y_pred``'s shape.

    Examples
    --------
    >>> import numpy as np
    >>> import nnspec as ns
    >>> y_true = np.array([[1.0, 0.0]])  # shape (1, 2): n = 2 elements
    >>> round(ns.binary_crossentropy(y_true, np.array([[0.5, 0.5]])), 12)  # -log(1/2)
    0.69314718056
    >>> ns.binary_crossentropy.grad(y_true, np.array([[0.0, 0.0]]), from_logits=True)
    array([[-0.25,  0.25]])
    """

    name = "binary_crossentropy"

    def _check_targets(self, y_true):
        numerics.in_unit_interval(y_true, "y_true", "labels or label probabilities")

    def _check_predictions(self, y_pred):
        numerics.in_unit_interval(y_pred, "y_pred", "probabilities (pass from_logits=True for logits)")

    _value = staticmethod(numerics.binary_value)
    _grad = staticmethod(numerics.binary_grad)
    _value_logits = staticmethod(numerics.binary_value_logits)
    _grad_logits = staticmethod(numerics.binary_grad_logits)

    def _expr(self, rows_y, rows_p, from_logits):
        import sympy as sp

        pairs = [(y, p) for ry, rp in zip(rows_y, rows_p) for y, p in zip(ry, rp)]
        if from_logits:
            terms = [sp.log(1 + sp.exp(z)) - z * y for y, z in pairs]
        else:
            terms = [-(y * sp.log(p) + (1 - y) * sp.log(1 - p)) for y, p in pairs]
        return sp.Add(*terms) / len(terms)


class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy: summed over the classes (last axis), averaged over the batch.

    $$L = -\frac1B \sum_b \sum_i y_{bi} \log p_{bi}.$$

    From logits $z$: $L = \frac1B \sum_b \operatorname{logsumexp}(z_b) - \sum_i
    y_{bi} z_{bi}$ and $\partial L/\partial z = (\operatorname{softmax}(z) - y)/B$.

    Calling ``loss(y_true, y_pred)`` takes:

    - ``y_true``: array, shape (batch, k) or (k,). One-hot rows or class-probability rows, each summing to 1.
    - ``y_pred``: array, shape (batch, k) or (k,). Probability rows summing to 1, or logits with ``from_logits=True``.

    Returns
    -------
    float
        The loss; ``grad`` returns an array of ``y_pred``'s shape.

    Examples
    --------
    >>> import numpy as np
    >>> import nnspec as ns
    >>> y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # shape (2, 3): B = 2
    >>> p = np.array([[0.25, 0.5, 0.25], [0.5, 0.25, 0.25]])
    >>> round(ns.categorical_crossentropy(y_true, p), 12)  # -(log 0.5 + log 0.5) / 2
    0.69314718056
    >>> ns.categorical_crossentropy.grad(y_true, np.zeros((2, 3)), from_logits=True) * 6
    array([[ 1., -2.,  1.],
           [-2.,  1.,  1.]])
    """

    name = "categorical_crossentropy"

    def _check_targets(self, y_true):
        numerics.check_rows(y_true, "y_true", "one-hot labels or class probabilities")

    def _check_predictions(self, y_pred):
        numerics.check_rows(y_pred, "y_pred", "probabilities; pass from_logits=True for logits")

    _value = staticmethod(numerics.categorical_value)
    _grad = staticmethod(numerics.categorical_grad)
    _value_logits = staticmethod(numerics.categorical_value_logits)
    _grad_logits = staticmethod(numerics.categorical_grad_logits)
    _value_grad_logits = staticmethod(numerics.categorical_value_grad_logits)

    def _default_symbols(self, stem):
        import sympy as sp

        return list(sp.symbols(f"{stem}0:3", real=True))

    def _expr(self, rows_y, rows_p, from_logits):
        import sympy as sp

        total = 0
        for ry, rp in zip(rows_y, rows_p):
            if from_logits:
                total += sp.log(sum(sp.exp(z) for z in rp)) * sum(ry) - sum(y * z for y, z in zip(ry, rp))
            else:
                total += -sum(y * sp.log(p) for y, p in zip(ry, rp))
        return total / len(rows_y)


mse = MeanSquaredError()
binary_crossentropy = BinaryCrossentropy()
categorical_crossentropy = CategoricalCrossentropy()

LOSSES = {
    "mse": mse,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "bce": binary_crossentropy,
    "cce": categorical_crossentropy,
}


def loss(name) -> Loss:
    """Return the loss called ``name`` (``"mse"``, ``"bce"``/``"binary_crossentropy"``,
    ``"cce"``/``"categorical_crossentropy"``); a `Loss` is returned as is."""
    if isinstance(name, Loss):
        return name
    return lookup(LOSSES, name, "loss")
