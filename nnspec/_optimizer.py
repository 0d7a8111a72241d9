r"""The optimizer contract (internal; public as `nnspec.optim.Optimizer`).

An optimizer turns a gradient into an in-place change of its parameter through
``update(param, grad)``; ``step(params, grads)`` applies it to every pair of two nested
structures. The concrete rules live in `nnspec.optim` (SGD, momentum) and `nnspec._adaptive`
(AdaGrad, RMSProp, Adam, AdamW); this module holds what they share.
"""

from __future__ import annotations

import numpy as np

from ._validation import describe, positive_float
from .errors import ArgumentError, ShapeError

__all__ = ["Optimizer", "flatten", "fraction"]


def flatten(tree, name: str) -> list[np.ndarray]:
    """The arrays of a nested list/tuple structure, in order."""
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in flatten(item, name)]
    raise ArgumentError(f"{name} must be arrays or (nested) lists/tuples of arrays, got {describe(tree)}")


def fraction(value, name: str) -> float:
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
    Optimizers that keep state (momentum, moment estimates) keep it per parameter array
    object.
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
        flat_params, flat_grads = flatten(params, "params"), flatten(grads, "grads")
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
