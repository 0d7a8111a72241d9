r"""Optimizers, gradient clipping, and gradient descent on plain functions.

An optimizer turns a gradient into an in-place change of its parameter. Its one contract is
``update(param, grad)``: change ``param`` (an array, updated in place) given the gradient
$\nabla_\theta L$ of the same shape. ``step(params, grads)`` applies it to every pair of a
nested structure such as ``model.parameters()`` and ``model.backward(...)``; the fused
training step (`nnspec.training.TrainStep`) calls ``update`` layer by layer, through
`nnspec.network.Dense.backward_update`. Optimizers that keep state (momentum, Adam's
moments) keep it per parameter array object.

The family: `SGD` and `Momentum` here; the adaptive `AdaGrad`, `RMSProp`, `Adam` and `AdamW`
(defined in `nnspec._adaptive`, imported from here); `clip_by_norm` rescales a gradient whose
global norm is too large before a step.

Plain SGD is $\theta \leftarrow \theta - \eta\, \nabla_\theta L$. On a quadratic with
Hessian $H$ it converges exactly when $0 < \eta < 2/\lambda_{\max}(H)$
(`critical_learning_rate`; it and `gradient_descent`, on plain functions, are defined in
`nnspec._descent` and imported from here).
"""

from __future__ import annotations

import numpy as np

from . import _blas
from ._adaptive import AdaGrad, Adam, AdamW, RMSProp
from ._descent import critical_learning_rate, gradient_descent
from ._optimizer import Optimizer, flatten, fraction
from ._validation import describe, positive_float
from .errors import ArgumentError

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Momentum",
    "Optimizer",
    "RMSProp",
    "clip_by_norm",
    "critical_learning_rate",
    "gradient_descent",
]


class SGD(Optimizer):
    r"""Plain stochastic gradient descent: $\theta \leftarrow \theta - \eta\,g$, in place.

    Parameters
    ----------
    learning_rate : float
        Step size $\eta > 0$, finite.

    Notes
    -----
    ``update`` writes $\eta g$ into a buffer kept per shape and dtype, so it allocates
    nothing after the first call and leaves ``g`` unchanged. ``update_product`` does
    $W \leftarrow W - \eta X^\top\delta$ as one BLAS ``gemm`` where possible (`nnspec._blas`).

    Examples
    --------
    >>> W, dW = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    >>> ns.SGD(0.1).update(W, dW)
    >>> W.tolist()
    [[0.95, 2.1]]
    >>> b, db = np.array([0.5]), np.array([2.0])
    >>> _ = ns.SGD(0.1).step([(W, b)], [(dW, db)])  # every pair of a nested structure
    >>> b.tolist()
    [0.3]
    """

    def __init__(self, learning_rate):
        super().__init__(learning_rate)
        self._scratch: dict = {}

    def update(self, param, grad):
        r"""$\theta \leftarrow \theta - \eta g$ in place (``grad`` unchanged)."""
        self._check(param, grad)
        key = (grad.shape, grad.dtype)
        if key not in self._scratch:
            self._scratch[key] = np.empty_like(grad)
        param -= np.multiply(grad, self.learning_rate, out=self._scratch[key])

    def update_product(self, param, left, right, scratch=None):
        r"""$\theta \leftarrow \theta - \eta\,\mathrm{left}^\top \mathrm{right}$ in place."""
        if scratch is None:
            key = (param.shape, param.dtype)
            if key not in self._scratch:
                self._scratch[key] = np.empty_like(param)
            scratch = self._scratch[key]
        _blas.subtract_transposed_product(param, left, right, scratch=scratch, scale=self.learning_rate)

    def __repr__(self) -> str:
        return f"SGD(learning_rate={self.learning_rate})"


class Momentum(Optimizer):
    r"""SGD with momentum (Polyak's heavy ball; Nesterov's variant with ``nesterov=True``).

    With velocity $v$ (0 at first), learning rate $\eta$ and momentum $\mu$, each update is
    (Sutskever et al., 2013, eq. 1-2)

    $$ v \leftarrow \mu v - \eta g, \qquad \theta \leftarrow \theta + v , $$

    and with ``nesterov=True`` (the same paper's eq. 3-4, written for the gradient at the
    current parameters as in Bengio et al., 2013, and Keras)
    $\theta \leftarrow \theta + \mu v - \eta g$ after the velocity update. Under a constant
    gradient the step tends to $\eta g / (1 - \mu)$.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$.
    momentum : float
        $\mu \in [0, 1)$ (default 0.9). 0 is plain SGD.
    nesterov : bool

    Examples
    --------
    >>> theta, opt = np.array([1.0]), ns.Momentum(0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.update(theta, np.array([1.0]))  # v = -0.1, then 0.5 * -0.1 - 0.1 = -0.15
    >>> theta.round(12).tolist()
    [0.75]
    """

    def __init__(self, learning_rate, momentum=0.9, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = fraction(momentum, "momentum")
        if not isinstance(nesterov, bool):
            raise ArgumentError(f"nesterov must be True or False, got {describe(nesterov)}")
        self.nesterov = nesterov

    def update(self, param, grad):
        self._check(param, grad)
        velocity, scaled = self._state(param, 2)[:2]
        np.multiply(grad, self.learning_rate, out=scaled)
        velocity *= self.momentum
        velocity -= scaled
        if self.nesterov:
            param -= scaled
            scaled[...] = velocity
            scaled *= self.momentum
        else:
            scaled[...] = velocity
        param += scaled

    def __repr__(self) -> str:
        return f"Momentum(learning_rate={self.learning_rate}, momentum={self.momentum}, nesterov={self.nesterov})"


def clip_by_norm(grads, max_norm):
    r"""Rescale gradients so that their global norm is at most ``max_norm``.

    The global norm is taken over every entry of every array,
    $\lVert g \rVert = \sqrt{\sum_i \sum_j g_{ij}^2}$; each array is multiplied by

    $$ c = \min\left(1, \frac{\text{max\_norm}}{\lVert g \rVert}\right), $$

    so the direction of the whole gradient is kept and only its length is capped (Pascanu,
    Mikolov & Bengio, 2013, Algorithm 1).

    Parameters
    ----------
    grads : array or nested lists/tuples of arrays
        E.g. ``model.backward(dY)``, ``[(dW1, db1), (dW2, db2)]``. Left unchanged.
    max_norm : float
        The largest global norm allowed, finite and > 0.

    Returns
    -------
    The same nested structure (lists stay lists, tuples stay tuples) holding new arrays of
    the same shapes and dtypes: copies when the norm is already at most ``max_norm``.

    Raises
    ------
    ArgumentError
        If an entry is NaN or infinite (the norm, and so the scale, would be undefined).

    Examples
    --------
    >>> clipped = ns.clip_by_norm([np.array([3.0]), np.array([4.0])], 1.0)  # norm 5
    >>> [g.round(12).tolist() for g in clipped]
    [[0.6], [0.8]]
    """
    limit = positive_float(max_norm, "max_norm")
    leaves = flatten(grads, "grads")
    for i, leaf in enumerate(leaves):
        if not np.all(np.isfinite(leaf)):
            raise ArgumentError(
                f"grads[{i}] has NaN or infinite entries; clip_by_norm needs finite gradients"
            )
    largest = max((float(np.max(np.abs(leaf))) for leaf in leaves if leaf.size), default=0.0)
    scale = 1.0
    if largest > 0:  # the norm of g / largest cannot overflow
        norm = largest * float(np.sqrt(sum(float(np.sum(np.square(leaf / largest))) for leaf in leaves)))
        scale = min(1.0, limit / norm)
    return _map(grads, lambda leaf: leaf * scale if scale < 1 else leaf.copy())


def _map(tree, function):
    """``tree`` with ``function`` applied to each array, nesting kept."""
    if isinstance(tree, np.ndarray):
        return function(tree)
    return type(tree)(_map(item, function) for item in tree)
