r"""Dense layers and multilayer perceptrons with hand-written backpropagation.

A `Dense` layer maps a batch $X$ of shape ``(batch, fan_in)`` to
$A = f(Z)$, $Z = X W + b$, with ``W.shape == (fan_in, fan_out)`` (Keras'
layout). Given $\partial L/\partial A$ its backward pass is the chain rule:

$$
\delta = \frac{\partial L}{\partial A} \odot f'(Z), \quad
\frac{\partial L}{\partial W} = X^\top \delta, \quad
\frac{\partial L}{\partial b} = \sum_{\text{rows}} \delta, \quad
\frac{\partial L}{\partial X} = \delta W^\top .
$$

An `MLP` chains layers; ``backward`` runs them in reverse and returns
``[(dW, db), ...]`` in layer order.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from . import _blas, activations
from ._validation import (
    as_generator,
    describe,
    float_dtype,
    gradient_pair,
    gradient_pairs,
    inexact_array,
    positive_int,
)
from .activations import Activation
from .errors import ArgumentError, ShapeError
from .initializers import initializer
from .losses import loss as resolve_loss

__all__ = ["MLP", "Dense"]


class Dense:
    """A fully connected layer $A = f(XW + b)$.

    Parameters
    ----------
    fan_in, fan_out : int
        Input and output widths.
    activation : str or Activation
        Name in `ACTIVATIONS` (default ``"identity"``).
    init : str or Initializer
        Kernel initializer (default ``"glorot_uniform"``); the bias starts at 0.
    rng : numpy.random.Generator or int
        Source of the initial weights (default seed 0).
    dtype : float32 or float64

    Attributes
    ----------
    W : array, shape (fan_in, fan_out)
    b : array, shape (fan_out,)
    dW, db : arrays of the same shapes, the gradients of the latest `backward` (new arrays
        at every call unless ``out=`` names arrays to fill).

    Examples
    --------
    >>> layer = ns.Dense(3, 2, activation="tanh", rng=0)
    >>> X = np.ones((4, 3))
    >>> layer.forward(X).shape
    (4, 2)
    >>> dX = layer.backward(np.ones((4, 2)))  # sets layer.dW, layer.db
    >>> layer.dW.shape, layer.db.shape, dX.shape
    ((3, 2), (2,), (4, 3))
    >>> W0, dW = layer.W.copy(), layer.dW.copy()
    >>> _ = layer.backward_update(np.ones((4, 2)), ns.SGD(0.1))  # the same gradients, applied
    >>> bool(np.allclose(layer.W, W0 - 0.1 * dW))
    True
    """

    def __init__(
        self,
        fan_in,
        fan_out,
        activation: str | Activation = "identity",
        init="glorot_uniform",
        rng=0,
        dtype=np.float64,
    ):
        self.fan_in = positive_int(fan_in, "fan_in")
        self.fan_out = positive_int(fan_out, "fan_out")
        self.activation = activations.activation(activation)  # the argument shadows the function
        self.init = initializer(init)
        dtype = float_dtype(dtype)
        self.W = self.init((self.fan_in, self.fan_out), as_generator(rng), dtype)
        self.b = np.zeros(self.fan_out, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._cache = None
        self._workspace: dict = {}
        self.name = "Dense"

    @property
    def dtype(self) -> np.dtype:
        return self.W.dtype

    @property
    def num_parameters(self) -> int:
        """``fan_in * fan_out + fan_out``."""
        return self.W.size + self.b.size

    def parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)``, the arrays themselves (an optimizer updates them in place)."""
        return self.W, self.b

    def forward(self, X) -> np.ndarray:
        """Activations $f(XW + b)$, shape ``(batch, fan_out)``; keeps what backward needs."""
        return self._forward(self._check_input(X, self.name)).copy()

    def backward(self, dA, *, input_gradient: bool = True, out=None):
        """Given dL/dA, set ``dW`` and ``db`` and return dL/dX (None if not requested).

        All three are new arrays the caller owns (a later pass leaves them alone);
        ``out=(dW, db)``, shaped and typed like ``(W, b)``, asks for them to be refilled instead.
        """
        if out is not None:
            out = gradient_pair(out, (self.W, self.b), "out", self.name)
        return self._backward(dA, input_gradient, out, into_buffer=False)

    def _backward(self, dA, input_gradient: bool, out, *, into_buffer: bool):
        """`backward`, ``out`` checked; ``into_buffer``: dL/dX in the layer's buffer (MLP.backward)."""
        dA = self._check_upstream(dA)
        X, _, _, buffers = self._cache
        delta = self._delta(dA)
        dW, db = out if out is not None else (None, None)
        self.dW = np.matmul(X.T, delta, out=dW)
        self.db = np.matmul(buffers["ones"], delta, out=db)  # column sums, as a GEMV
        if not input_gradient:
            return None
        return np.matmul(delta, self.W.T, out=buffers["dX"] if into_buffer else None)

    def backward_update(self, dA, optimizer, *, input_gradient: bool = True, overwrite_dA: bool = False):
        r"""Backward pass that hands each parameter's gradient to ``optimizer``; returns dL/dX.

        dL/dX comes first, from the weights before the update; then
        ``optimizer.update_product(W, X, delta, scratch)`` (`nnspec.optim.SGD` fuses
        $W - \eta X^\top\delta$ into one BLAS call), or ``update(W, dW)`` for an optimizer
        without it, and ``update(b, db)``. ``dW``, ``db`` are not set (the layer's scratch
        holds them). ``overwrite_dA=True``: ``dA`` may be overwritten with $\delta$. A subclass
        overriding only `backward` gets its `backward` followed by ``update`` on ``dW``, ``db``.
        """
        dA = self._check_upstream(dA)
        X, _, _, buffers = self._cache
        delta = self._delta(dA, in_place=overwrite_dA)
        dX = np.matmul(delta, self.W.T, out=buffers["dX"]) if input_gradient else None
        update_product = getattr(optimizer, "update_product", None)
        if update_product is not None:
            update_product(self.W, X, delta, buffers["dW"])
        else:
            optimizer.update(self.W, np.matmul(X.T, delta, out=buffers["dW"]))
        optimizer.update(self.b, np.matmul(buffers["ones"], delta, out=buffers["db"]))
        return dX

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "backward" in cls.__dict__ and "backward_update" not in cls.__dict__:
            cls.backward_update = _backward_then_update

    def _check_upstream(self, dA) -> np.ndarray:
        if self._cache is None:
            raise ArgumentError("backward needs a forward pass first")
        A = self._cache[2]
        dA = dA if type(dA) is np.ndarray and dA.dtype.kind in "fc" else inexact_array(dA, "dA")
        if dA.shape != A.shape:
            raise ShapeError(f"dA has shape {dA.shape} but the layer's output has shape {A.shape}")
        return dA

    def _delta(self, dA: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        r"""$\delta = \partial L/\partial A \odot f'(Z)$ into its buffer (dA checked); ``in_place=True``
        lets a fused derivative (ReLU) write $\delta$ over ``dA``."""
        _, Z, A, buffers = self._cache
        if self.activation.fused:
            return np.multiply(dA, buffers["fprime"], out=dA if in_place else buffers["delta"])
        return self.activation.vjp(Z, dA, A, out=buffers["delta"])

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """Forward pass into this layer's buffers (X already checked); returns the buffer.

        A fused derivative (ReLU) overwrites Z with A in place, halving the memory touched;
        ReLU's derivative is the same from the cached ``Z`` (then ``A``).
        """
        dtype = X.dtype if X.dtype == self.W.dtype else np.result_type(X.dtype, self.W.dtype)
        buffers = self._buffers(X.shape[0], dtype)
        Z = np.matmul(X, self.W, out=buffers["Z"])
        _blas.add_to_rows(Z, self.b, buffers["ones"])
        if self.activation.fused:  # f and f' in one go; Z is not needed again, so A overwrites it
            A = self.activation.value_and_grad_into(Z, buffers["A"], buffers["fprime"])  # "A" is Z
        else:
            A = self.activation(Z, out=buffers["A"])
        self._cache = (X, Z, A, buffers)
        return A

    def _buffers(self, batch: int, dtype) -> dict:
        """Arrays reused from step to step, one set per (batch size, dtype)."""
        key = (batch, dtype)
        buffers = self._workspace.get(key)
        if buffers is None:
            if len(self._workspace) >= 4:  # e.g. a full batch, a last partial batch, a gradcheck copy
                self._workspace.clear()
            Z = np.empty((batch, self.fan_out), dtype)
            fused = self.activation.fused
            buffers = {
                "Z": Z,
                "A": Z if fused else np.empty((batch, self.fan_out), dtype),  # see _forward
                "delta": np.empty((batch, self.fan_out), dtype),
                "dX": np.empty((batch, self.fan_in), dtype),
                "dW": np.empty((self.fan_in, self.fan_out), dtype),
                "db": np.empty(self.fan_out, dtype),
                "ones": np.ones(batch, dtype),
                "fprime": np.empty((batch, self.fan_out), dtype),
            }
            self._workspace[key] = buffers
        return buffers

    def _check_input(self, X, where: str) -> np.ndarray:
        X = inexact_array(X, "X")
        if X.ndim != 2:
            raise ShapeError(
                f"X must be a 2-D batch of shape (batch, {self.fan_in}), got shape {X.shape}; "
                "a single sample x is x.reshape(1, -1)"
            )
        if X.shape[1] != self.fan_in:
            raise ShapeError(f"X has {X.shape[1]} columns but {where} expects {self.fan_in}")
        if X.dtype != self.W.dtype and X.dtype.kind != "c":
            X = X.astype(self.W.dtype)
        return X

    def copy(self, dtype=None) -> Dense:
        """An independent copy of the layer (same class), parameters optionally cast to ``dtype``."""
        twin = copy.copy(self)
        twin.W = self.W.astype(dtype or self.W.dtype, copy=True)
        twin.b = self.b.astype(dtype or self.b.dtype, copy=True)
        twin.dW, twin.db = np.zeros_like(twin.W), np.zeros_like(twin.b)
        twin._cache, twin._workspace = None, {}  # noqa: SLF001  (a Dense: its own buffers, reset)
        return twin

    def __repr__(self) -> str:
        return f"Dense({self.fan_in}, {self.fan_out}, activation={_spelled(self.activation)})"


_DENSE_BACKWARD = Dense.backward  # MLP.backward calls a replaced or overriding one instead


def _spelled(activation: Activation) -> str:
    """How to pass ``activation`` again: its registry name, or its repr when parameterized."""
    if activations.ACTIVATIONS.get(activation.name) == activation:
        return repr(activation.name)
    return repr(activation)


def _backward_then_update(layer, dA, optimizer, *, input_gradient=True, overwrite_dA=False):
    """`Dense.backward_update` for a subclass with its own ``backward``: that, then the updates."""
    dX = layer.backward(dA, input_gradient=input_gradient)
    optimizer.update(layer.W, layer.dW)
    optimizer.update(layer.b, layer.db)
    return dX


class MLP:
    """A multilayer perceptron: Dense layers of widths ``sizes``.

    Parameters
    ----------
    sizes : sequence of int
        Widths from input to output, e.g. ``(2, 4, 1)``: 2 inputs, a hidden layer of 4, 1 output.
    activation : str or Activation
        Hidden-layer activation (default ``"tanh"``).
    output : str or Activation
        Output-layer activation (default ``"identity"``).
    init : str
        Kernel initializer for every layer.
    seed : int or numpy.random.Generator
        Seed of the initial weights: the same seed gives the same network.
    dtype : float32 or float64

    Examples
    --------
    >>> import nnspec as ns
    >>> model = ns.MLP((2, 4, 1), seed=0)
    >>> model.forward(np.zeros((3, 2))).shape
    (3, 1)
    >>> model.num_parameters
    17
    """

    def __init__(
        self, sizes, activation="tanh", output="identity", init="glorot_uniform", seed=0, dtype=np.float64
    ):
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
            raise ArgumentError(
                f"sizes must be a sequence of at least 2 positive integers, got {describe(sizes)}"
            )
        self.sizes = tuple(positive_int(size, f"sizes[{i}]") for i, size in enumerate(sizes))
        rng = as_generator(seed, "seed")
        hidden, last = activations.activation(activation), activations.activation(output)
        self.layers = [
            Dense(n_in, n_out, hidden if i < len(self.sizes) - 2 else last, init, rng, dtype)
            for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]))
        ]

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype

    @property
    def num_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(layer.num_parameters for layer in self.layers)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W, b), ...]`` per layer: the arrays themselves, updated in place by an optimizer."""
        return [layer.parameters() for layer in self.layers]

    def forward(self, X) -> np.ndarray:
        """Network output for the batch ``X`` of shape ``(batch, sizes[0])`` (a new array)."""
        # layers are Dense, this module's class
        return self._forward(self.layers[0]._check_input(X, "layer 0")).copy()  # noqa: SLF001

    def backward(self, dY, *, out=None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Backpropagate dL/dY (shape of the last output): ``[(dW, db), ...]`` in layer order.

        The gradients are new arrays the caller owns: ``g1 = model.backward(d1);
        model.backward(d2)`` leaves ``g1`` as it was. ``out=grads`` (e.g. a previous step's
        gradients) refills those arrays instead and returns ``grads``: no allocation.
        """
        layers = self.layers
        if out is not None:
            out = gradient_pairs(out, [layer.parameters() for layer in layers])
        grad = dY
        for index in range(len(layers) - 1, -1, -1):
            layer, pair = layers[index], None if out is None else out[index]
            if type(layer).backward is _DENSE_BACKWARD:  # dL/dX stays in the layer's buffer
                grad = layer._backward(grad, index > 0, pair, into_buffer=True)  # noqa: SLF001  (a Dense, this module's class)
            else:  # a subclass's own backward, then its gradients copied where asked
                grad = layer.backward(grad, input_gradient=index > 0)
                if pair is not None:
                    pair[0][...], pair[1][...] = layer.dW, layer.db
                    layer.dW, layer.db = pair[0], pair[1]
        return out if out is not None else [(layer.dW, layer.db) for layer in layers]

    def backward_update(self, dY, optimizer, *, overwrite_dY: bool = False) -> None:
        """Backpropagate dL/dY and update every parameter in place with ``optimizer``.

        Each layer's `Dense.backward_update` hands its gradients to ``optimizer.update``
        (or ``update_product``) as soon as they are known, so no gradient is kept. This is
        what `nnspec.training.TrainStep` runs. ``overwrite_dY=True`` lets the last layer use
        ``dY`` as scratch.
        """
        grad = dY
        for index in range(len(self.layers) - 1, -1, -1):
            overwrite = overwrite_dY or index < len(self.layers) - 1  # dX buffers are scratch
            grad = self.layers[index].backward_update(
                grad, optimizer, input_gradient=index > 0, overwrite_dA=overwrite
            )

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """Forward pass through the layers' buffers; returns the last layer's buffer."""
        A = X
        for layer in self.layers:
            # layers are Dense, this module's class
            A = layer._forward(A)  # noqa: SLF001
        return A

    def loss_and_grads(self, X, Y, loss, *, from_logits: bool = False):
        """Loss of ``forward(X)`` against ``Y`` and its gradients ``[(dW, db), ...]`` (new arrays).

        With ``from_logits=True`` the network's output is read as logits (use
        ``output="identity"``) and the loss uses its stable form.
        """
        loss = resolve_loss(loss)
        output = self.forward(X)
        value = loss(Y, output, from_logits=from_logits)
        return value, self.backward(loss.grad(Y, output, from_logits=from_logits))

    def copy(self, dtype=None) -> MLP:
        """An independent copy, optionally with parameters cast to ``dtype`` (complex allowed).

        The copy keeps the classes of the model and of its layers, so a gradient check of a
        subclass (a layer with its own ``backward``) checks that subclass.
        """
        clone = copy.copy(self)
        clone.layers = [layer.copy(dtype) for layer in self.layers]
        return clone

    def __repr__(self) -> str:
        hidden = _spelled(self.layers[0].activation) if len(self.layers) > 1 else None
        return (
            f"MLP(sizes={self.sizes}, activation={hidden}, "
            f"output={_spelled(self.layers[-1].activation)}, dtype={self.dtype})"
        )
