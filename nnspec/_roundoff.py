r"""Round-off bounds of a network's loss and of its backpropagated gradient (internal).

`check_gradients` needs to know how exact its reference is. A sum $\sum_k t_k$ computed in
floating point is off by at most about $\epsilon \sum_k |t_k|$, so the bounds here are
$\epsilon$ times the magnitudes the computation adds up: the terms of the loss, the products
that sum to each pre-activation, and those that sum to each gradient entry, propagated with
$|W|$ and $|f'|$ (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3).
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "SAFETY", "gradient_round_off", "loss_round_off"]

#: Factor on every round-off estimate (``eps`` times the magnitudes summed).
SAFETY = 4.0
EPS = np.finfo(np.float64).eps


def _loss_terms(loss, Y, out, from_logits) -> float:
    """The sum of |terms| the loss adds up, divided as the loss divides (its round-off scale)."""
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        if loss.name == "categorical_crossentropy":
            rows = out.reshape(-1, out.shape[-1])
            y = np.broadcast_to(Y, out.shape).reshape(rows.shape)
            if from_logits:
                shift = rows.max(axis=-1, keepdims=True)
                lse = shift + np.log(np.sum(np.exp(rows - shift), axis=-1, keepdims=True))
                terms = np.abs(lse) * np.abs(y).sum(axis=-1, keepdims=True) + np.abs(y * rows)
            else:
                terms = np.where(y != 0, np.abs(y * np.log(np.clip(rows, 1e-300, None))), 0.0)
            return float(np.sum(terms)) / rows.shape[0]
        if loss.name == "binary_crossentropy":
            if from_logits:
                terms = np.logaddexp(0.0, out) + np.abs(out * Y)
            else:
                q = np.clip(out, 1e-300, 1.0)
                terms = np.where(Y != 0, np.abs(Y * np.log(q)), 0.0)
                terms += np.where(Y != 1, np.abs((1 - Y) * np.log1p(-np.minimum(q, 1 - 1e-16))), 0.0)
            return float(np.sum(terms)) / out.size
        if loss.name == "mse":
            return float(np.sum((out - Y) ** 2)) / out.size
    return abs(float(loss(Y, out, from_logits=from_logits)))


def _delta_bound(activation, Z, A, upstream):
    """A bound on |dL/dZ| from a bound ``upstream`` on |dL/dA| (softmax couples a row)."""
    if activation.name == "softmax":
        return A * (upstream + np.sum(upstream * A, axis=-1, keepdims=True))
    return upstream * np.abs(activation.grad(Z))


def _curvature(loss, Y, out, from_logits):
    """|d^2 L / d out^2| per output (the diagonal; a row's coupling bounded for softmax)."""
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        if loss.name == "mse":
            return np.full(out.shape, 2.0 / out.size)
        if loss.name == "binary_crossentropy":
            if from_logits:
                p = 1 / (1 + np.exp(-out))
                return p * (1 - p) / out.size
            q = np.clip(out, 1e-12, 1 - 1e-12)
            return (Y / q**2 + (1 - Y) / (1 - q) ** 2) / out.size
        if loss.name == "categorical_crossentropy":
            batch = out.size // out.shape[-1]
            if from_logits:
                shifted = np.exp(out - out.max(axis=-1, keepdims=True))
                p = shifted / shifted.sum(axis=-1, keepdims=True)
                return 2 * p * (1 - p) / batch
            return np.abs(Y) / np.clip(out, 1e-12, None) ** 2 / batch
    return np.zeros(out.shape)


def _forward_magnitudes(model, X):
    """Per layer: input |A|, pre-activation Z, |A| |W| + |b|; and the output."""
    inputs, pre, sums, values = [], [], [], X
    for layer in model.layers:
        W, b = layer.W.real, layer.b.real
        inputs.append(np.abs(values))
        pre.append(values @ W + b)
        sums.append(np.abs(values) @ np.abs(W) + np.abs(b))
        values = layer.activation(pre[-1])
    return inputs, pre, sums, values


def _backward_magnitudes(model, inputs, pre, sums, out, up):
    """Propagate a bound ``up`` on |dL/d out| to every layer: (sum of D M + |dL/dA| |A|, raw bounds)."""
    total, raw = 0.0, []
    outputs = [*inputs[1:], np.abs(out)]
    for i in reversed(range(len(model.layers))):
        layer = model.layers[i]
        total += float(np.sum(up * outputs[i]))
        D = _delta_bound(layer.activation, pre[i], outputs[i], up)
        total += float(np.sum(D * sums[i]))
        raw.insert(0, (inputs[i].T @ D, D.sum(axis=0)))
        up = D @ np.abs(layer.W.real).T
    return total, raw


def loss_round_off(model, X, Y, loss, from_logits=False) -> float:
    r"""A bound on the round-off of one loss evaluation, from the magnitudes it is summed from.

    A sum $\sum_k t_k$ computed in floating point is off by about $\epsilon \sum_k |t_k|$ at
    most. Along the network, with $M_l = |A_{l-1}| |W_l| + |b_l|$ the magnitudes that sum to
    $Z_l$ and $D_l \ge |\partial L / \partial Z_l|$ (propagated back with $|W|$ and $|f'|$):

    $$
    \sigma_L = s\,\epsilon \Big(\textstyle\sum |\text{loss terms}|
    + \sum |g| (|\hat y| + |y|) + \sum_l \sum D_l M_l
    + \sum_l \sum |\partial L/\partial A_l| \, |A_l|\Big)
    $$

    with $s$ = `SAFETY` and $g = \partial L / \partial \hat y$.
    """
    inputs, pre, sums, out = _forward_magnitudes(model, X)
    g = np.abs(loss.grad(Y, out, from_logits=from_logits))
    rounding = np.abs(out) + (np.abs(Y) if loss.name == "mse" else 0.0)
    total = _loss_terms(loss, Y, out, from_logits) + float(np.sum(g * rounding))
    total += _backward_magnitudes(model, inputs, pre, sums, out, g)[0]
    return SAFETY * EPS * total


def gradient_round_off(model, X, Y, loss, from_logits=False):
    r"""Per-entry round-off bounds of backpropagation, and of the output's own rounding.

    Returns two lists ``[(EW, Eb), ...]``:

    * $s\,\epsilon\,(\text{layers} + 1)\,|A_{l-1}|^\top D_l$ for $W_l$ (column sums of
      $D_l$ for $b_l$): the sums backpropagation adds up;
    * the output's rounding $\epsilon\,|\hat y|$ (and $\epsilon |y|$ where the loss subtracts
      the target, MSE) times the loss's curvature $|\partial^2 L / \partial \hat y^2|$,
      propagated the same way: how far apart two computations of the same gradient are when
      they round the output differently (the complex step's complex arithmetic does), the
      whole difference at a perfect fit.
    """
    inputs, pre, sums, out = _forward_magnitudes(model, X)
    g = np.abs(loss.grad(Y, out, from_logits=from_logits))
    rounding = np.abs(out) + (np.abs(Y) if loss.name == "mse" else 0.0)
    rho = SAFETY * EPS * rounding * _curvature(loss, Y, out, from_logits)
    scale = SAFETY * EPS * (len(model.layers) + 1)
    backprop = [
        (scale * EW, scale * Eb) for EW, Eb in _backward_magnitudes(model, inputs, pre, sums, out, g)[1]
    ]
    return backprop, _backward_magnitudes(model, inputs, pre, sums, out, rho)[1]
