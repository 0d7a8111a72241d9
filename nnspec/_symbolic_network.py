r"""SymPy derivations behind `symbolic` (internal).

Everything here is derived by SymPy from the ``.expr`` definitions of the activations and
losses and compiled with ``lambdify(..., cse=True)``. Symbols get generated names only
(``u``, ``x_0_1``, ``w_0_1_2``, ...), and `compile_expressions` refuses any expression
holding a symbol or an undefined function that it did not generate, so nothing a user wrote
reaches lambdify as a name or as code.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from .activations import erf, erfc
from .errors import ArgumentError

__all__ = [
    "compile_expressions",
    "dense_local_derivatives",
    "elementwise_parts",
    "loss_row_gradient",
    "network_loss_gradient",
    "row_function_parts",
]


def _select(condlist, choicelist, default=np.nan):
    """``np.select`` that also takes 0/1 float conditions.

    SymPy prints a Piecewise nested in a condition (ELU of ELU) as a ``select`` over boolean
    choices with ``default=nan``, which returns floats; ``np.select`` refuses those as
    conditions. The last condition of a printed Piecewise is ``True``, so nan never occurs.
    """
    conditions = [np.asarray(c) if np.asarray(c).dtype == bool else np.asarray(c) != 0 for c in condlist]
    return np.select(conditions, choicelist, default=default)


_MODULES = [{"erf": erf, "erfc": erfc, "select": _select}, "numpy"]


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def compile_expressions(args, expressions, *, sources=None):
    """``lambdify(args, expressions, cse=True)`` after checking the expressions are ours.

    ``sources`` (default: ``expressions``) are the expressions checked: a derivative holds
    no symbol or function that its source lacks beyond SymPy's own, so checking the
    source of a large derivative is enough. Returns a function of ``len(args)`` arrays (or numbers) giving a list, one value per
    expression; constant expressions come back as Python numbers (callers broadcast).
    """
    allowed = set(args)
    for expression in expressions if sources is None else sources:
        if not isinstance(expression, (sp.Basic, int, float)):
            raise ArgumentError(
                f"a SymPy definition must be a SymPy expression, got {type(expression).__name__}"
            )
        if not isinstance(expression, sp.Basic):
            expression = sp.Number(expression)  # an int or float constant
        unknown = expression.free_symbols - allowed
        undefined = expression.atoms(AppliedUndef)
        if unknown or undefined:
            names = sorted(str(s) for s in unknown | undefined)
            raise ArgumentError(
                f"a SymPy definition refers to {', '.join(names)}, which nnspec did not generate; "
                "an activation's expr(x) may only use x and SymPy's built-in functions"
            )
    return sp.lambdify(list(args), list(expressions), modules=_MODULES, cse=True)


@functools.cache
def elementwise_parts(activation):
    r"""Compiled $f(u)$ and $f'(u)$ of an elementwise activation, for one symbol u.

    Returns ``(value, derivative)``, two functions of an array (same shape out).
    """
    u = _symbol("u")
    expression = activation.expr(u)
    value, derivative = (
        compile_expressions([u], [expression]),
        compile_expressions([u], [sp.diff(expression, u)]),
    )
    return (
        lambda z: np.broadcast_to(np.asarray(value(z)[0], dtype=np.float64), np.shape(z)),
        lambda z: np.broadcast_to(np.asarray(derivative(z)[0], dtype=np.float64), np.shape(z)),
    )


def _stack(values, shape):
    return np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in values], axis=-1)


@functools.cache
def row_function_parts(activation, k: int):
    r"""Compiled value and Jacobian $J_{ij} = \partial s_i / \partial u_j$ of a row function
    (softmax) of one row of ``k`` symbols.

    Returns ``(value, jacobian)``: ``value(Z)`` has the shape of ``Z`` (batch, k) and
    ``jacobian(Z)`` the shape (batch, k, k).
    """
    us = [_symbol(f"u_{j}") for j in range(k)]
    outputs = list(activation.expr(us))
    if len(outputs) != k:
        raise ArgumentError(f"{activation.name}.expr gave {len(outputs)} outputs for {k} inputs")
    value = compile_expressions(us, outputs)
    jacobian = compile_expressions(us, [sp.diff(s, u) for s in outputs for u in us])

    def value_of(Z):
        return _stack(value(*Z.T), Z.shape[:-1])

    def jacobian_of(Z):
        return _stack(jacobian(*Z.T), Z.shape[:-1]).reshape(*Z.shape, k)

    return value_of, jacobian_of


@functools.cache
def loss_row_gradient(loss, from_logits: bool, k: int):
    r"""Compiled $\partial \ell / \partial \hat y_j$ of the loss $\ell$ of one row of
    ``k`` outputs, as a function ``(Y, P) -> (batch, k)``.

    Every nnspec loss is the batch mean of its one-row value, $L = \frac1B \sum_b
    \ell(y_b, \hat y_b)$, so $\partial L / \partial \hat y_b = \frac1B \partial \ell /
    \partial \hat y_b$; that is checked here with SymPy on two rows before it is relied on.
    """
    ys = [[_symbol(f"y_{b}_{j}") for j in range(k)] for b in range(2)]
    ps = [[_symbol(f"p_{b}_{j}") for j in range(k)] for b in range(2)]
    row = loss.expr([ys[0]], [ps[0]], from_logits=from_logits)
    two_rows = loss.expr(ys, ps, from_logits=from_logits)
    other = row.subs(dict(zip(ys[0] + ps[0], ys[1] + ps[1])), simultaneous=True)
    if sp.simplify(two_rows - (row + other) / 2) != 0:
        raise ArgumentError(
            f"the layer-wise method needs a loss that is the batch mean of its rows; {loss!r} is not"
        )
    gradient = compile_expressions(ys[0] + ps[0], [sp.diff(row, p) for p in ps[0]])
    return lambda Y, P: _stack(gradient(*Y.T, *P.T), P.shape[:-1])


@functools.cache
def dense_local_derivatives():
    r"""Local derivatives of one summand of a Dense unit, $z = x w + b + r$.

    SymPy gives $\partial z/\partial w = x$, $\partial z/\partial x = w$ and
    $\partial z/\partial b = 1$ (``r``, the other summands, does not depend on them).
    Returns three compiled functions of ``(x, w)``; evaluated on a layer's input ``X`` and
    kernel ``W`` they give the factors that numpy contracts over the batch.
    """
    x, w, b, r = _symbol("x"), _symbol("w"), _symbol("b"), _symbol("r")
    z = x * w + b + r
    return tuple(compile_expressions([x, w], [sp.diff(z, v)]) for v in (w, x, b))


def _flat(rows):
    return [entry for row in rows for entry in row]


def _layer_outputs(activation, Z):
    if activation.elementwise:
        return [[activation.expr(z) for z in row] for row in Z]
    return [list(activation.expr(list(row))) for row in Z]


def network_loss_gradient(sizes, activations, loss, from_logits: bool, batch: int):
    r"""The whole scalar loss of a batch as one SymPy expression, differentiated by every parameter.

    Symbols: inputs ``x_b_i``, targets ``y_b_j``, kernels ``w_l_i_j``, biases ``b_l_j``.
    Returns a compiled function of ``(X, Y, [(W, b), ...])`` giving ``[(dW, db), ...]``.
    Its size grows with the batch, the widths and, through nested activations, the depth:
    it is the independent oracle for small networks.
    """
    xs = [[_symbol(f"x_{b}_{i}") for i in range(sizes[0])] for b in range(batch)]
    ys = [[_symbol(f"y_{b}_{j}") for j in range(sizes[-1])] for b in range(batch)]
    kernels = [
        [[_symbol(f"w_{l}_{i}_{j}") for j in range(n_out)] for i in range(n_in)]
        for l, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    ]
    biases = [[_symbol(f"b_{l}_{j}") for j in range(n_out)] for l, n_out in enumerate(sizes[1:])]
    rows = xs
    for W, bias, activation in zip(kernels, biases, activations):
        Z = [
            [sum(a * W[i][j] for i, a in enumerate(row)) + bias[j] for j in range(len(bias))] for row in rows
        ]
        rows = _layer_outputs(activation, Z)
    total = loss.expr(ys, rows, from_logits=from_logits)
    parameters = [s for W, bias in zip(kernels, biases) for s in [*_flat(W), *bias]]
    flat_inputs = _flat(xs) + _flat(ys)
    derivatives = [sp.diff(total, p) for p in parameters]
    compiled = compile_expressions(flat_inputs + parameters, derivatives, sources=[total])

    def gradients(X, Y, params):
        arrays = [X, Y, *(a for pair in params for a in pair)]
        values = np.concatenate([a.ravel() for a in arrays]).reshape(-1, 1)  # 1-element arrays:
        outputs = compiled(*values)  # np.select (Piecewise) needs array conditions
        flat = np.array([np.broadcast_to(v, (1,))[0] for v in outputs], dtype=np.float64)
        result, start = [], 0
        for W, b in params:
            dW = flat[start : start + W.size].reshape(W.shape)
            db = flat[start + W.size : start + W.size + b.size]
            result.append((dW, db))
            start += W.size + b.size
        return result

    return gradients
