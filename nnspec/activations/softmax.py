r"""Softmax, the one activation that is not elementwise (internal; public as `nnspec.softmax`)."""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, ShapeError
from .base import Activation

__all__ = ["Softmax"]

NOT_ELEMENTWISE = "softmax is not elementwise: use softmax.jacobian(z) or softmax.vjp(z, upstream)"


class Softmax(Activation):
    r"""Softmax along ``axis``: $s_i = e^{z_i - m} / \sum_j e^{z_j - m}$, $m = \max_j z_j$.

    Subtracting the row maximum changes nothing mathematically and keeps every
    exponential in $(0, 1]$. Not elementwise: use `jacobian` or `vjp`.

    Shapes: ``softmax(z, axis=-1)`` takes floating ``z`` of shape ``(..., k)`` and returns
    that shape and dtype, entries in [0, 1] summing to 1 along ``axis``. A row that is
    entirely ``-inf`` is refused; ``+inf`` entries share the row's mass equally (the limit).

    Examples
    --------
    >>> s = ns.softmax(np.array([[0.0, 0.0], [1000.0, 0.0]]))
    >>> s.tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """

    name, formula = "softmax", r"\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}"
    elementwise = False

    def __call__(self, z, axis=-1, *, out=None):
        """Softmax of ``z`` along ``axis``; same shape and dtype, entries in [0, 1] summing to 1."""
        array = self._check(z)
        if array.ndim == 0:
            raise ShapeError("z must have at least one axis for softmax, got a scalar")
        shift = np.max(array.real, axis=axis, keepdims=True)
        if np.isneginf(shift).any():
            raise ArgumentError("z has a row that is entirely -inf, where softmax is undefined")
        infinite_row = np.isposinf(shift)
        safe = np.where(infinite_row, 0, array)
        with np.errstate(under="ignore"):
            exps = np.exp(safe - np.where(infinite_row, 0, shift))
        if infinite_row.any():
            # The limit puts equal mass on the +inf entries of the row and none elsewhere.
            exps = np.where(infinite_row, np.isposinf(array.real).astype(array.dtype), exps)
        result = exps / np.sum(exps, axis=axis, keepdims=True)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def value_into(self, z, out):
        """Softmax of ``z`` along the last axis, into ``out``."""
        return self(z, out=out)

    def grad(self, z, *, out=None):
        raise ArgumentError(NOT_ELEMENTWISE)

    def value_and_grad_into(self, z, out, grad_out):
        raise ArgumentError(NOT_ELEMENTWISE)

    def jacobian(self, z):
        r"""Jacobian $J_{ij} = s_i(\delta_{ij} - s_j)$ of the last axis.

        Parameters
        ----------
        z : array, shape (k,) or (batch, k)

        Returns
        -------
        array, shape (k, k) or (batch, k, k)
        """
        s = self(z)
        if s.ndim not in (1, 2):
            raise ShapeError(f"z must have shape (k,) or (batch, k), got {s.shape}")
        diagonal = s[..., :, None] * np.eye(s.shape[-1], dtype=s.dtype)
        return diagonal - s[..., :, None] * s[..., None, :]

    def vjp(self, z, upstream, value=None, *, out=None):
        r"""dL/dz from dL/ds along the last axis: $s \odot (g - \langle g, s\rangle)$."""
        s = self(z) if value is None else value
        return np.multiply(s, upstream - np.sum(upstream * s, axis=-1, keepdims=True), out=out)

    def expr(self, xs=None):
        """List of SymPy expressions ``[exp(x_i) / sum_j exp(x_j)]`` (default symbols x0, x1, x2)."""
        from ..expressions.sympy_activations import expression

        return expression(self.name, xs)
