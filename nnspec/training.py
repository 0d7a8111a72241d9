r"""The training loop: SGD steps over shuffled mini-batches, with a history and divergence detection.

`train` checks its data once, then runs `TrainStep`s: forward, loss, backward and an in-place
optimizer update (plain SGD, $\theta \leftarrow \theta - \eta\,\nabla_\theta L$, unless an
``optimizer`` is given), reusing the same buffers at every step. It stops, with `History.diverged` set, as soon as a loss is non-finite or exceeds
``1e6`` times the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import as_generator, describe, finite_array, positive_int
from .errors import ArgumentError, ShapeError
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
        Loss of each epoch: the mini-batch losses averaged with each batch weighted by its
        number of rows (a short last batch counts for its size), i.e. the mean loss per sample.
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


def _optimizer(learning_rate, optimizer):
    """The optimizer from exactly one of ``learning_rate`` (plain SGD) and ``optimizer``."""
    if (learning_rate is None) == (optimizer is None):
        given = "both" if optimizer is not None else "neither"
        raise ArgumentError(
            f"give either learning_rate (plain SGD) or optimizer, not both or neither; got {given}"
        )
    if optimizer is None:
        return SGD(learning_rate)
    if not callable(getattr(optimizer, "update", None)):
        raise ArgumentError(
            f"optimizer must have an update(param, grad) method (e.g. ns.SGD(0.1)), got {describe(optimizer)}"
        )
    return optimizer


class TrainStep:
    r"""One optimizer step on a mini-batch: forward, loss, backward and update, reusing buffers.

    The model's layers keep their activations in buffers sized by the batch, so after the
    first call a step allocates no array larger than the loss's own small ``(batch,
    outputs)`` arrays. The backward pass is `nnspec.network.MLP.backward_update`: each
    layer hands its gradients to the optimizer as soon as they are known. With `SGD` the
    kernel update $W \leftarrow W - \eta X^\top\delta$ is then a single BLAS call
    ($C \leftarrow C - \eta A^\top B$, ``gemm`` with $\beta = 1$) in the BLAS numpy uses,
    or ``matmul`` then ``-=`` where that is not available. The layers' ``dW``/``db`` are
    therefore not set by a step. `train` uses it.

    Parameters
    ----------
    model : MLP
    loss : str or Loss
    learning_rate : float, optional
        Plain SGD with this rate; give this or ``optimizer``.
    optimizer : object with ``update(param, grad)``, optional
        E.g. ``ns.SGD(0.1)``, ``ns.Momentum(0.01)``, ``ns.Adam()``.
    from_logits : bool

    Examples
    --------
    >>> model = ns.MLP((2, 8, 1), seed=0)
    >>> X, Y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [-1.0]])
    >>> step = ns.TrainStep(model, "mse", optimizer=ns.SGD(0.1))
    >>> losses = [step(X, Y) for _ in range(50)]  # each call returns the loss before its update
    >>> losses[-1] < 1e-3 * losses[0]
    True
    """

    def __init__(self, model, loss, learning_rate=None, *, optimizer=None, from_logits=False):
        self.model = model
        self.loss = resolve_loss(loss)
        self.optimizer = _optimizer(learning_rate, optimizer)
        self.from_logits = from_logits

    @property
    def learning_rate(self):
        return getattr(self.optimizer, "learning_rate", None)

    def __call__(self, X, Y) -> float:
        """Take one step on ``(X, Y)``; return the loss before it.

        ``X`` has shape ``(batch, sizes[0])``, ``Y`` the shape of the output; ``X`` in another
        dtype is converted first. A non-finite output or loss is returned as ``inf`` without
        updating the model (an overflow on the way is that result, not a warning).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(X, Y, targets_checked=False)

    def _step(self, X, Y, *, targets_checked: bool) -> float:
        """The step; `train` passes ``targets_checked=True`` after checking all of its targets."""
        model = self.model
        output = model.forward(X)
        Y = Y if isinstance(Y, np.ndarray) else np.asarray(Y, dtype=output.dtype)
        if Y.shape != output.shape:
            raise ShapeError(f"Y must have the output's shape {output.shape}, got {Y.shape}")
        if not np.isfinite(output).all():
            return float("inf")
        value, upstream = self.loss.value_and_grad(
            Y, output, from_logits=self.from_logits, targets_checked=targets_checked
        )
        if not np.isfinite(value):
            return float("inf")
        model.backward_update(upstream, self.optimizer, overwrite_dY=True)
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


def train(
    model,
    X,
    Y,
    *,
    loss,
    learning_rate=None,
    optimizer=None,
    epochs,
    batch_size=None,
    seed=0,
    from_logits=False,
) -> History:
    r"""Train ``model`` in place and return its `History`.

    Parameters
    ----------
    model : MLP
    X : array, shape (n, sizes[0])
    Y : array, shape (n, sizes[-1])
    loss : str or Loss
    learning_rate : float, optional
        Plain SGD, $\theta \leftarrow \theta - \eta\,\nabla_\theta L$, with this rate.
    optimizer : object with ``update(param, grad)``, optional
        Instead of ``learning_rate``: e.g. ``ns.SGD(0.1)``, ``ns.Momentum(0.05)``, ``ns.Adam()``.
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

    Examples
    --------
    >>> X = np.linspace(-1, 1, 32).reshape(-1, 1)
    >>> model = ns.MLP((1, 16, 1), seed=0)
    >>> history = ns.train(model, X, X**2, loss="mse", optimizer=ns.Adam(0.01), epochs=200, batch_size=8)
    >>> bool(history.final_loss < 0.05 * history.losses[0]), history.diverged
    (True, False)
    """
    step = TrainStep(model, loss, learning_rate, optimizer=optimizer, from_logits=from_logits)
    epochs = positive_int(epochs, "epochs")
    X = finite_array(X, "X")
    Y = finite_array(Y, "Y")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ShapeError(f"X and Y must be 2-D with the same number of rows, got {X.shape} and {Y.shape}")
    if X.shape[1] != model.sizes[0]:
        raise ShapeError(f"X has {X.shape[1]} columns but layer 0 expects {model.sizes[0]}")
    if Y.shape[1] != model.sizes[-1]:
        raise ShapeError(f"Y has {Y.shape[1]} columns but the model has {model.sizes[-1]} outputs")
    X = X.astype(model.dtype, copy=False)
    Y = step.loss.check_targets(Y.astype(model.dtype, copy=False))  # once: batches skip it
    n = X.shape[0]
    batch_size = n if batch_size is None else positive_int(batch_size, "batch_size")
    batches = _Batches(X, Y, batch_size, as_generator(seed, "seed"))
    epoch_losses, step_losses = [], []
    first, diverged = None, False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            total = 0.0
            for x, y in batches:
                # TrainStep is this module's class; targets were checked once for all epochs
                value = step._step(x, y, targets_checked=True)  # noqa: SLF001
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
