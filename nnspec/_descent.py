r"""Gradient descent on a plain function, and the learning rate where it stops converging
(internal; public as `nnspec.optim.gradient_descent` and `nnspec.optim.critical_learning_rate`).

The model-free side of `nnspec.optim`: no parameters updated in place, just the iteration
$x_{t+1} = x_t - \eta\,\nabla f(x_t)$ and its stability limit on a quadratic.
"""

from __future__ import annotations

import numpy as np

from ._validation import describe, finite_array, positive_float, positive_int
from .errors import ArgumentError, ShapeError

__all__ = ["critical_learning_rate", "gradient_descent"]


def gradient_descent(grad, x0, learning_rate, steps) -> np.ndarray:
    r"""Iterate $x_{t+1} = x_t - \eta\, \nabla f(x_t)$ and return the trajectory.

    Parameters
    ----------
    grad : callable
        $\nabla f$, mapping an array shaped like ``x0`` to one of the same shape.
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
    r"""The largest stable learning rate on a quadratic: $2/\lambda_{\max}(H)$.

    Gradient descent on $f(x) = \tfrac12 x^\top H x$ multiplies the component along
    each eigenvector by $1 - \eta\lambda$; it converges iff every factor has modulus
    below 1, i.e. iff $0 < \eta < 2/\lambda_{\max}$.

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
