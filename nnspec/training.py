r"""The training loop: SGD steps over shuffled mini-batches, with a history and divergence detection.

`train` checks its data once, then runs `TrainStep`s: forward, loss, backward and an in-place
SGD update $\theta \leftarrow \theta - \eta\,\nabla_\theta L$, reusing the same buffers at every
step. It stops, with `History.diverged` set, as soon as a loss is non-finite or exceeds
``1e6`` times the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import as_generator, finite_array, positive_int
from .errors import ShapeError
from .losses import loss as resolve_loss
from .optim import SGD

__all__ = ["DIVERGENCE_FACTOR", "History", "TrainStep", "train"]

#: Training stops as diverged when the loss exceeds this multiple of its first value.
DIVERGENCE_FACTOR = 1e6


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
    step scales that small array by the learning rate before backpropagating it, and each
    layer's update $W \leftarrow W - X^\top\delta$ is then a single BLAS call
    ($C \leftarrow C - A^\top B$, ``gemm`` with $\beta = 1$) in the BLAS numpy uses, or
    ``matmul`` then ``-=`` where that is not available. The layers' ``dW``/``db`` are
    therefore not set by a step. `train` uses it.

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
        """Take one step on ``(X, Y)``; return the loss before it.

        ``X`` has shape ``(batch, sizes[0])``, ``Y`` the shape of the output; ``X`` in
        another dtype is converted first. A non-finite output or loss is returned as ``inf`` without updating the
        model.
        """
        model = self.model
        output = model._forward(model.layers[0]._check_input(X, "the model"))
        Y = Y if isinstance(Y, np.ndarray) else np.asarray(Y, dtype=output.dtype)
        if Y.shape != output.shape:
            raise ShapeError(f"Y must have the output's shape {output.shape}, got {Y.shape}")
        if not np.isfinite(output).all():
            return float("inf")
        if self.check_targets:
            value, upstream = self.loss.value_and_grad(Y, output, from_logits=self.from_logits)
        else:
            value, upstream = self.loss._value_and_grad(Y, output, self.from_logits)
        if not np.isfinite(value):
            return float("inf")
        upstream *= self.learning_rate  # gradients below come out already scaled by the rate
        model._descend(upstream)
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
