r"""Stochastic gradient descent, a training loop, and gradient descent on plain functions.

SGD moves every parameter against its gradient, scaled by the learning rate
$\eta$: $\theta \leftarrow \theta - \eta\, \nabla_\theta L$.
On a quadratic with Hessian $H$ this converges exactly when
$0 < \eta < 2/\lambda_{\max}(H)$ (`critical_learning_rate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import as_generator, describe, finite_array, positive_float, positive_int
from .errors import ArgumentError, ShapeError
from .losses import loss as resolve_loss

__all__ = ["SGD", "History", "TrainStep", "critical_learning_rate", "gradient_descent", "train"]

#: Training stops as diverged when the loss exceeds this multiple of its first value.
DIVERGENCE_FACTOR = 1e6


def _flatten(tree, name):
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flatten(item, name)]
    raise ArgumentError(f"{name} must be arrays or (nested) lists/tuples of arrays, got {describe(tree)}")


class SGD:
    """Plain stochastic gradient descent: ``param -= learning_rate * grad``, in place.

    Parameters
    ----------
    learning_rate : float
        Step size $\\eta > 0$, finite.
    """

    def __init__(self, learning_rate):
        self.learning_rate = positive_float(learning_rate, "learning_rate")
        self._scratch: dict = {}

    def step(self, params, grads):
        """Update ``params`` in place from ``grads`` (same nested structure, e.g. ``[(W, b), ...]``).

        The product ``learning_rate * grad`` goes into a buffer kept per shape and dtype, so a
        step allocates nothing after the first and leaves ``grads`` unchanged.
        """
        flat_params, flat_grads = _flatten(params, "params"), _flatten(grads, "grads")
        if len(flat_params) != len(flat_grads):
            raise ShapeError(f"params has {len(flat_params)} arrays but grads has {len(flat_grads)}")
        for i, (p, g) in enumerate(zip(flat_params, flat_grads)):
            if p.shape != g.shape:
                raise ShapeError(f"params[{i}] has shape {p.shape} but grads[{i}] has shape {g.shape}")
        for p, g in zip(flat_params, flat_grads):
            key = (g.shape, g.dtype)
            if key not in self._scratch:
                self._scratch[key] = np.empty_like(g)
            scaled = np.multiply(g, self.learning_rate, out=self._scratch[key])
            p -= scaled
        return params

    def __repr__(self) -> str:
        return f"SGD(learning_rate={self.learning_rate})"


@dataclass
class History:
    """What `train` saw.

    Attributes
    ----------
    losses : ndarray, shape (epochs_run,)
        Mean mini-batch loss of each epoch.
    batch_losses : ndarray
        Loss of every step.
    diverged : bool
        True when a loss became non-finite or exceeded ``1e6`` times the first one;
        training stopped at that step.
    """

    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    batch_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    diverged: bool = False

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1]) if len(self.losses) else float("nan")


class TrainStep:
    r"""One SGD step on a mini-batch: forward, loss, backward, update — reusing its buffers.

    The model's layers keep their activations and gradients in buffers sized by the batch,
    so after the first call a step allocates no array larger than the loss's own small
    ``(batch, outputs)`` arrays. Backpropagation is linear in the output gradient, so the
    step scales that small array by the learning rate before backpropagating it and then
    subtracts the resulting gradients in place: $\theta \leftarrow \theta - \eta\nabla L$ with
    no pass over the parameters beyond the subtraction. `train` uses it.

    Parameters
    ----------
    model : MLP
    loss : str or Loss
    learning_rate : float
    from_logits : bool
    check_targets : bool
        Check ``Y`` against the loss (labels in range, rows summing to 1) at every step.
        `train` checks its whole ``Y`` once and turns this off.
    """

    def __init__(self, model, loss, learning_rate, *, from_logits=False, check_targets=True):
        self.model = model
        self.loss = resolve_loss(loss)
        self.learning_rate = SGD(learning_rate).learning_rate
        self.from_logits = from_logits
        self.check_targets = check_targets

    def __call__(self, X, Y) -> float:
        """Take one step on ``(X, Y)`` (2-D, in the model's dtype); return the loss before it.

        A non-finite output or loss is returned as ``inf`` without updating the model.
        """
        output = self.model._forward(X)
        if not np.all(np.isfinite(output)):
            return float("inf")
        if self.check_targets:
            value, upstream = self.loss.value_and_grad(Y, output, from_logits=self.from_logits)
        else:
            value, upstream = self.loss._value_and_grad(Y, output, self.from_logits)
        if not np.isfinite(value):
            return float("inf")
        upstream *= self.learning_rate  # gradients below come out already scaled by the rate
        for (W, b), (dW, db) in zip(self.model.parameters(), self.model._backward(upstream)):
            W -= dW
            b -= db
        return value


class _Batches:
    """Shuffled mini-batches gathered into reused arrays (``np.take(..., out=)``)."""

    def __init__(self, X, Y, batch_size, rng):
        self.X, self.Y, self.batch_size, self.rng = X, Y, batch_size, rng
        self.buffers: dict = {}

    def __iter__(self):
        n = self.X.shape[0]
        if self.batch_size >= n:
            yield self.X, self.Y
            return
        order = self.rng.permutation(n)
        for start in range(0, n, self.batch_size):
            rows = order[start : start + self.batch_size]
            if len(rows) not in self.buffers:
                self.buffers[len(rows)] = (
                    np.empty((len(rows), self.X.shape[1]), self.X.dtype),
                    np.empty((len(rows), self.Y.shape[1]), self.Y.dtype),
                )
            x, y = self.buffers[len(rows)]
            # mode="clip" (the rows are valid) lets take write straight into the buffer
            yield (
                np.take(self.X, rows, axis=0, out=x, mode="clip"),
                np.take(self.Y, rows, axis=0, out=y, mode="clip"),
            )


def train(model, X, Y, *, loss, learning_rate, epochs, batch_size=None, seed=0, from_logits=False) -> History:
    """Train ``model`` in place with SGD and return its `History`.

    Parameters
    ----------
    model : MLP
    X : array, shape (n, sizes[0])
    Y : array, shape (n, sizes[-1])
    loss : str or Loss
    learning_rate : float
    epochs : int
    batch_size : int or None
        Mini-batch size; None (default) uses the whole data set each step. Mini-batches are
        shuffled from ``seed`` every epoch.
    seed : int or Generator
    from_logits : bool
        Read the network output as logits (stable cross-entropy).

    Notes
    -----
    Training stops, with ``History.diverged`` set, at the first step whose loss is
    non-finite or exceeds ``1e6`` times the first step's loss.
    """
    step = TrainStep(model, loss, learning_rate, from_logits=from_logits, check_targets=False)
    epochs = positive_int(epochs, "epochs")
    X = finite_array(X, "X")
    Y = finite_array(Y, "Y")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ShapeError(f"X and Y must be 2-D with the same number of rows, got {X.shape} and {Y.shape}")
    X = model.layers[0]._check_input(X, "layer 0")
    Y = Y.astype(model.dtype, copy=False)
    step.loss._check_targets(Y)  # once for the whole data set, not at every step
    n = X.shape[0]
    batch_size = n if batch_size is None else positive_int(batch_size, "batch_size")
    batches = _Batches(X, Y, batch_size, as_generator(seed, "seed"))
    epoch_losses, step_losses = [], []
    first, diverged = None, False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            total = 0.0
            for x, y in batches:
                value = step(x, y)
                step_losses.append(value)
                total += value * x.shape[0]
                first = value if first is None else first
                if not np.isfinite(value) or (first > 0 and value > DIVERGENCE_FACTOR * first):
                    diverged = True
                    break
            epoch_losses.append(total / n if not diverged else step_losses[-1])
            if diverged:
                break
    return History(np.array(epoch_losses), np.array(step_losses), diverged)


def gradient_descent(grad, x0, learning_rate, steps) -> np.ndarray:
    """Iterate $x_{t+1} = x_t - \\eta\\, \\nabla f(x_t)$ and return the trajectory.

    Parameters
    ----------
    grad : callable
        $\\nabla f$, mapping an array shaped like ``x0`` to one of the same shape.
    x0 : float or array
    learning_rate : float
    steps : int

    Returns
    -------
    ndarray, shape (steps + 1, *x0.shape)
        ``x_0 ... x_steps``. If an iterate stops being finite (divergence), the
        trajectory ends at the last finite one, so it has fewer than ``steps + 1`` rows.

    Examples
    --------
    >>> path = gradient_descent(lambda x: 2 * x, 1.0, 0.25, 3)
    >>> path.tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    if not callable(grad):
        raise ArgumentError(f"grad must be callable, got {describe(grad)}")
    eta = positive_float(learning_rate, "learning_rate")
    steps = positive_int(steps, "steps")
    x = finite_array(x0, "x0").astype(np.float64)
    path = [x.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            g = np.asarray(grad(x), dtype=np.float64)
            if g.shape != x.shape:
                raise ShapeError(f"grad(x) returned shape {g.shape} for x of shape {x.shape}")
            x = x - eta * g
            if not np.all(np.isfinite(x)):
                break
            path.append(x.copy())
    return np.array(path)


def critical_learning_rate(hessian) -> float:
    """The largest stable learning rate on a quadratic: $2/\\lambda_{\\max}(H)$.

    Gradient descent on $f(x) = \\tfrac12 x^\\top H x$ multiplies the component along
    each eigenvector by $1 - \\eta\\lambda$; it converges iff every factor has modulus
    below 1, i.e. iff $0 < \\eta < 2/\\lambda_{\\max}$.

    Parameters
    ----------
    hessian : array, shape (n, n)
        Symmetric, with at least one positive eigenvalue.
    """
    H = finite_array(hessian, "hessian")
    H = np.atleast_2d(H)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ShapeError(f"hessian must be a square matrix, got shape {H.shape}")
    scale = max(float(np.max(np.abs(H))), 1.0)
    if not np.allclose(H, H.T, rtol=0, atol=1e-12 * scale):
        raise ArgumentError("hessian must be symmetric (H == H.T)")
    largest = float(np.linalg.eigvalsh(H)[-1])
    if largest <= 0:
        raise ArgumentError(
            f"hessian has no positive eigenvalue (largest {largest}); gradient descent "
            "does not converge on it for any learning rate"
        )
    return 2.0 / largest
