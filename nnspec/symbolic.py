r"""A SymPy mirror of an MLP: gradients derived symbolically, two ways, to check backprop.

``method="expression"`` writes the whole scalar loss of a batch as one SymPy expression, with
a symbol for every input, target, weight and bias (``x_0_1``, ``y_0_0``, ``w_0_1_2``,
``b_1_0``), differentiates it by every parameter and compiles the result with
``lambdify(..., cse=True)``. Nothing is shared with backpropagation: it is the independent
oracle, and its cost grows quickly with size (small networks only).

``method="layerwise"`` makes the chain rule explicit. SymPy derives only size-independent
local derivatives, each once:

* $f'(u)$ of each elementwise activation for one scalar symbol (for softmax, the
  $k \times k$ Jacobian of one row);
* $\partial \ell / \partial \hat y$ of the loss of one row of $k$ outputs;
* the local derivatives of one summand $z = xw + b + r$ of a Dense unit:
  $\partial z/\partial w = x$, $\partial z/\partial x = w$, $\partial z/\partial b = 1$.

numpy then composes them over the batch, layer by layer from the output:
$\delta = g \odot f'(Z)$, $\partial L/\partial W = X^\top \delta$,
$\partial L/\partial b = \sum_{\text{rows}} \delta$, $g \leftarrow \delta W^\top$;
the index structure (unit $j$ depends on $W_{ij}$ only through $x_i W_{ij}$)
is numpy's, the derivative formulas are SymPy's. Its cost grows linearly with depth.

Compiled functions are cached per network structure (widths, activations, loss,
``from_logits``, and the batch size for the expression method); see `cache_info`.

Examples
--------
>>> import nnspec as ns
>>> model = ns.MLP((2, 3, 1), activation="tanh", seed=0)
>>> X, Y = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[1.0], [0.0]])
>>> reports = ns.symbolic.check_backprop(model, X, Y, "mse")
>>> [(method, report.passed) for method, report in reports.items()]
[('layerwise', True), ('expression', True)]
"""

from __future__ import annotations

import functools

import numpy as np

from . import _symbolic_network as parts
from ._report import GradientReport, compare_gradients
from ._validation import describe, finite_array, positive_float
from .errors import ArgumentError, ShapeError
from .losses import loss as resolve_loss

__all__ = ["METHODS", "cache_info", "check_backprop", "clear_cache", "gradients"]

METHODS = ("layerwise", "expression")


def _structure(model, loss, from_logits):
    layers = getattr(model, "layers", None)
    if not layers or not all(hasattr(layer, "W") and hasattr(layer, "activation") for layer in layers):
        raise ArgumentError(f"model must be an nnspec MLP, got {describe(model)}")
    sizes = (layers[0].W.shape[0], *(layer.W.shape[1] for layer in layers))
    if not isinstance(from_logits, bool):
        raise ArgumentError(f"from_logits must be True or False, got {from_logits!r}")
    if from_logits and not loss.accepts_logits:
        raise ArgumentError(f"{loss.name} has no from-logits form; from_logits=True needs a cross-entropy")
    return sizes, tuple(layer.activation for layer in layers), loss, from_logits


def _float64_parameters(model):
    params = []
    for index, layer in enumerate(model.layers):
        if layer.W.dtype.kind != "f" or layer.b.dtype.kind != "f":
            raise ArgumentError(
                f"layer {index} has dtype {layer.W.dtype}; symbolic gradients need real weights"
            )
        params.append((layer.W.astype(np.float64), layer.b.astype(np.float64)))
    return params


def _data(X, Y, sizes):
    X = finite_array(X, "X").astype(np.float64)
    Y = finite_array(Y, "Y").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != sizes[0]:
        raise ShapeError(f"X must have shape (batch, {sizes[0]}), got {X.shape}")
    if Y.shape != (X.shape[0], sizes[-1]):
        raise ShapeError(
            f"Y must have shape ({X.shape[0]}, {sizes[-1]}) to match X and the output, got {Y.shape}"
        )
    return X, Y


@functools.lru_cache(maxsize=64)
def _layerwise_plan(sizes, activations, loss, from_logits):
    layers = []
    for activation, width in zip(activations, sizes[1:]):
        if activation.elementwise:
            value, derivative = parts.elementwise_parts(activation)
            layers.append((value, lambda Z, g, derivative=derivative: g * derivative(Z)))
        else:
            value, jacobian = parts.row_function_parts(activation, width)
            layers.append((value, lambda Z, g, jacobian=jacobian: np.einsum("bi,bij->bj", g, jacobian(Z))))
    return layers, parts.loss_row_gradient(loss, from_logits, sizes[-1]), parts.dense_local_derivatives()


def _layerwise(structure, X, Y, params):
    layers, loss_gradient, (dz_dw, dz_dx, dz_db) = _layerwise_plan(*structure)
    saved, A = [], X
    for (W, b), (value, _) in zip(params, layers):
        Z = A @ W + b
        saved.append((A, Z))
        A = value(Z)
    g = loss_gradient(Y, A) / X.shape[0]  # L is the batch mean of the row losses
    grads = []
    for (W, _), (A_in, Z), (_, backward) in zip(params[::-1], saved[::-1], layers[::-1]):
        delta = backward(Z, g)
        grads.append((dz_dw(A_in, W)[0].T @ delta, dz_db(A_in, W)[0] * delta.sum(axis=0)))
        g = delta @ dz_dx(A_in, W)[0].T
    return grads[::-1]


@functools.lru_cache(maxsize=16)
def _expression_plan(sizes, activations, loss, from_logits, batch):
    return parts.network_loss_gradient(sizes, activations, loss, from_logits, batch)


def gradients(model, X, Y, loss, method="layerwise", *, from_logits=False):
    r"""Gradients of ``loss(Y, model.forward(X))`` by every weight and bias, from SymPy.

    Parameters
    ----------
    model : MLP
        Its weights are read as float64.
    X : array, shape (batch, sizes[0])
    Y : array, shape (batch, sizes[-1])
    loss : str or Loss
    method : {"layerwise", "expression"}
        See the module docstring: local derivatives composed with numpy, or the whole loss
        expression differentiated by every parameter.
    from_logits : bool
        Read the output as logits (cross-entropies only).

    Returns
    -------
    list of (dW, db)
        float64 arrays shaped like each layer's ``W`` and ``b``, in layer order.

    Notes
    -----
    Each activation's SymPy form is its ``expr``, built from its parameters
    (``LeakyReLU(slope=0.2)`` differentiates with slope 1/5). The compiled forms are SymPy's plain definitions (``1/(1 + exp(-x))``, ``exp(x_i) /
    sum_j exp(x_j)``, ``log(p)``), not the overflow-safe forms of `activations`
    and `losses`, and the loss is not clipped: keep pre-activations and logits
    moderate (|z| below a few hundred) and probabilities away from 0 and 1.
    """
    if method not in METHODS:
        raise ArgumentError(f"method must be 'layerwise' or 'expression', got {method!r}")
    structure = _structure(model, resolve_loss(loss), from_logits)
    params = _float64_parameters(model)
    X, Y = _data(X, Y, structure[0])
    with np.errstate(under="ignore"):
        if method == "layerwise":
            result = _layerwise(structure, X, Y, params)
        else:
            result = _expression_plan(*structure, X.shape[0])(X, Y, params)
    return [(np.asarray(dW, dtype=np.float64), np.asarray(db, dtype=np.float64)) for dW, db in result]


def check_backprop(
    model, X, Y, loss, *, from_logits=False, methods=METHODS, tolerance=1e-12, raise_exception=False
) -> dict[str, GradientReport]:
    r"""Compare ``model.loss_and_grads`` (backpropagation) with each symbolic method.

    An entry passes when $|a - s| \le \tau \max(|a|, |s|) + E$ (see `compare_gradients`)
    with $E = 10\,\epsilon\,G$ ($G$ the largest gradient entry) for the entries smaller
    than ``floor = 10 eps G / tolerance`` and 0 for the others: entries too small to carry
    ``tolerance`` relative precision next to the largest ones, whose round-off they share,
    are compared absolutely, and count as resolved.

    Parameters
    ----------
    model : MLP (float64)
    X, Y, loss, from_logits
        As for `gradients`.
    methods : sequence of {"layerwise", "expression"}
    tolerance : float
        Largest relative error that passes (default 1e-12: both sides are exact formulas
        evaluated in float64).
    raise_exception : bool
        Raise `GradientMismatch` for the first method that fails.

    Returns
    -------
    dict
        ``{method: GradientReport}`` in the order of ``methods``.

    Examples
    --------
    Activations with parameters are derived with them (here the slope 0.2 of every
    negative pre-activation enters both the backprop and the SymPy gradients):

    >>> model = ns.MLP((2, 4, 1), activation=ns.LeakyReLU(slope=0.2), seed=0)
    >>> X, Y = np.array([[0.5, -1.0], [-2.0, 0.25]]), np.array([[1.0], [0.0]])
    >>> reports = ns.symbolic.check_backprop(model, X, Y, "mse")
    >>> all(report.passed for report in reports.values())
    True
    """
    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(methods)
    if not methods or any(m not in METHODS for m in methods):
        raise ArgumentError(
            f"methods must be a non-empty sequence of 'layerwise', 'expression'; got {methods!r}"
        )
    tolerance = positive_float(tolerance, "tolerance")
    if np.dtype(getattr(model, "dtype", np.float64)) != np.float64:
        raise ArgumentError(
            f"the model is {model.dtype}; comparing backprop with exact symbolic gradients at "
            "tolerance 1e-12 needs float64: check model.copy(dtype=np.float64)"
        )
    _, analytic = model.copy().loss_and_grads(X, Y, loss, from_logits=from_logits)
    largest = max(float(np.max(np.abs(g))) for pair in analytic for g in pair)
    floor = max(10 * np.finfo(np.float64).eps * largest / tolerance, np.finfo(np.float64).tiny)
    reports = {}
    for method in methods:
        reference = gradients(model, X, Y, loss, method, from_logits=from_logits)
        reports[method] = compare_gradients(
            analytic, reference, method=method, tolerance=tolerance, floor=floor
        )
        if raise_exception:
            reports[method].raise_if_failed()
    return reports


def cache_info() -> dict:
    """``{"layerwise": CacheInfo, "expression": CacheInfo}``: hits, misses and size of the caches of
    compiled functions per network structure."""
    return {"layerwise": _layerwise_plan.cache_info(), "expression": _expression_plan.cache_info()}


def clear_cache() -> None:
    """Forget every compiled function (the next call derives and compiles again)."""
    for cached in (
        _layerwise_plan,
        _expression_plan,
        parts.elementwise_parts,
        parts.row_function_parts,
        parts.loss_row_gradient,
        parts.dense_local_derivatives,
    ):
        cached.cache_clear()
