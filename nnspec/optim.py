r"""Stochastic gradient descent, and gradient descent on plain functions.

SGD moves every parameter against its gradient, scaled by the learning rate
$\eta$: $\theta \leftarrow \theta - \eta\, \nabla_\theta L$.
On a quadratic with Hessian $H$ this converges exactly when
$0 < \eta < 2/\lambda_{\max}(H)$ (`critical_learning_rate`). The training loop that
applies SGD to a network is `nnspec.training.train`.
"""

from __future__ import annotations

import numpy as np

from ._validation import describe, finite_array, positive_float, positive_int
from .errors import ArgumentError, ShapeError

__all__ = ["SGD", "critical_learning_rate", "gradient_descent"]


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
