r"""Optimizers (SGD, momentum, Adam), and gradient descent on plain functions.

An optimizer turns a gradient into an in-place change of its parameter. Its one contract is
``update(param, grad)``: change ``param`` (an array, updated in place) given the gradient
$\nabla_\theta L$ of the same shape. ``step(params, grads)`` applies it to every pair of a
nested structure such as ``model.parameters()`` and ``model.backward(...)``; the fused
training step (`nnspec.training.TrainStep`) calls ``update`` layer by layer, through
`nnspec.network.Dense.backward_update`. Optimizers that keep state (momentum, Adam's
moments) keep it per parameter array object.

Plain SGD is $\theta \leftarrow \theta - \eta\, \nabla_\theta L$. On a quadratic with
Hessian $H$ it converges exactly when $0 < \eta < 2/\lambda_{\max}(H)$
(`critical_learning_rate`; it and `gradient_descent`, on plain functions, are defined in
`nnspec._descent` and imported from here).
"""

from __future__ import annotations

import numpy as np

from . import _blas
from ._descent import critical_learning_rate, gradient_descent
from ._validation import describe, positive_float
from .errors import ArgumentError, ShapeError

__all__ = ["SGD", "Adam", "Momentum", "Optimizer", "critical_learning_rate", "gradient_descent"]


def _flatten(tree, name):
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flatten(item, name)]
    raise ArgumentError(f"{name} must be arrays or (nested) lists/tuples of arrays, got {describe(tree)}")


def _fraction(value, name) -> float:
    """A float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"{name} must be a number in [0, 1), got {describe(value)}")
    if not 0 <= float(value) < 1:
        raise ArgumentError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


class Optimizer:
    r"""Base class: ``step`` checks the structures and calls ``update`` on every pair.

    Subclasses implement ``update(param, grad)``. ``update_product(param, left, right,
    scratch)`` is ``update(param, left.T @ right)``, the form of a dense layer's kernel
    gradient $X^\top\delta$; a subclass may override it to fuse the product with the update.
    """

    def __init__(self, learning_rate):
        self.learning_rate = positive_float(learning_rate, "learning_rate")
        self._slots: dict = {}  # per-parameter state, see _state

    def update(self, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update(param, grad)")

    def update_product(self, param, left, right, scratch=None) -> None:
        """``update(param, left.T @ right)``; ``scratch`` (param's shape) receives the product."""
        self.update(param, np.matmul(left.T, right, out=scratch))

    def step(self, params, grads):
        """Update ``params`` in place from ``grads`` (same nested structure, e.g. ``[(W, b), ...]``).

        Returns ``params``. ``grads`` is left unchanged.
        """
        flat_params, flat_grads = _flatten(params, "params"), _flatten(grads, "grads")
        if len(flat_params) != len(flat_grads):
            raise ShapeError(f"params has {len(flat_params)} arrays but grads has {len(flat_grads)}")
        for i, (p, g) in enumerate(zip(flat_params, flat_grads)):
            if p.shape != g.shape:
                raise ShapeError(f"params[{i}] has shape {p.shape} but grads[{i}] has shape {g.shape}")
        for p, g in zip(flat_params, flat_grads):
            self.update(p, g)
        return params

    def _state(self, param: np.ndarray, count: int) -> list:
        """``count`` zero arrays shaped like ``param``, kept for that array object, and a step count."""
        entry = self._slots.get(id(param))
        if entry is None or entry[0] is not param:
            entry = (param, [np.zeros_like(param) for _ in range(count)] + [0])
            self._slots[id(param)] = entry  # holding param keeps its id from being reused
        return entry[1]

    @staticmethod
    def _check(param, grad) -> None:
        if grad.shape != param.shape:
            raise ShapeError(f"grad has shape {grad.shape} but param has shape {param.shape}")


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
        self.momentum = _fraction(momentum, "momentum")
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


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015, Algorithm 1), with bias-corrected moments.

    At the $t$-th update of a parameter (counted per parameter, from 1):

    $$
    m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
    v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
    \theta \leftarrow \theta - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}.
    $$

    The first step therefore moves each coordinate by about $\eta$ against the sign of its
    gradient, whatever the gradient's size.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$ (default 1e-3).
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1) (defaults 0.9, 0.999).
    epsilon : float
        $\epsilon > 0$ (default 1e-8).

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> ns.Adam(0.01).update(theta, np.array([1e-3, -50.0]))
    >>> (theta - 1).round(6).tolist()  # about -eta * sign(g) in every coordinate
    [-0.01, 0.01]
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta1, self.beta2 = _fraction(beta1, "beta1"), _fraction(beta2, "beta2")
        self.epsilon = positive_float(epsilon, "epsilon")

    def update(self, param, grad):
        self._check(param, grad)
        state = self._state(param, 3)
        m, v, work = state[:3]
        state[3] += 1
        t = state[3]
        m *= self.beta1
        m += np.multiply(grad, 1 - self.beta1, out=work)
        v *= self.beta2
        v += np.multiply(np.square(grad, out=work), 1 - self.beta2, out=work)
        np.divide(v, 1 - self.beta2**t, out=work)
        np.sqrt(work, out=work)
        work += self.epsilon
        np.divide(m, work, out=work)
        work *= self.learning_rate / (1 - self.beta1**t)
        param -= work

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, beta2={self.beta2}, "
            f"epsilon={self.epsilon})"
        )
