"""``nnspec check``: backprop against SymPy (layer-wise, whole expression) and central differences.

Builds ``MLP(sizes, activation, output, seed=seed)`` and a seeded batch whose targets suit
the loss (one-hot rows for cce, 0/1 labels for bce, normal values for mse), then prints the
worst relative error per parameter for each reference (internal; see `cli`).

Kinks: where an activation has a kink (``relu``, ``leaky_relu``: ``Activation.smooth`` is
False) and a pre-activation $z$ lies within `KINK_MARGIN` of it, central differences
straddle the kink and measure the average of the two one-sided slopes, which is not the
derivative backprop computes (and with zero initial biases a whole row can sit exactly on
it: $z = 0$ after a layer whose units are all off). Such a point is moved off the kink before
anything is compared: the batch rows concerned are redrawn, and a unit that sits on the kink
for every row (a constant $z = b = 0$) gets a seeded bias of magnitude 0.1 to 0.5. The
output says how many rows and biases were moved. A wrong gradient still fails.

Costs: central differences take two forward passes per parameter, and the whole-expression
SymPy column builds one expression per batch row; the limits below come from measuring them
(``bench/check_costs.py``). Larger requests are refused before anything runs.
"""

from __future__ import annotations

import numpy as np

from .. import gradcheck, symbolic
from ..errors import ArgumentError
from ..losses import loss as resolve_loss
from ..network import MLP
from .time_limit import run_with_time_limit

__all__ = [
    "BATCH_WORK_LIMIT",
    "CENTRAL_WORK_LIMIT",
    "EXIT_FAILED",
    "EXIT_INCONCLUSIVE",
    "EXPRESSION_WORK_LIMIT",
    "KINK_MARGIN",
    "run_check",
]

#: Above this parameters x batch, ``check`` skips the whole-expression SymPy column: at 148
#: (2-4-4-1 tanh, batch 4) it took 9 s in a fresh process; kinked activations (Piecewise
#: derivatives) cost more, 1.1 s at 52 (2-3-1 relu, batch 4) and over 30 s at 148.
EXPRESSION_WORK_LIMIT = {"smooth": 160, "kinked": 60}
#: ``check`` refuses parameters**2 x batch above this (central differences: two forward
#: passes of the batch per parameter): 1.4e7 took 0.22 s, 1.5e9 over 30 s, so about 6 s here.
CENTRAL_WORK_LIMIT = 4 * 10**8
#: ``check`` refuses parameters x batch above this (the layer-wise SymPy column evaluates its
#: formulas row by row): 1.2e7 took 18 s, so about 3 s here.
BATCH_WORK_LIMIT = 2 * 10**6
#: A pre-activation closer than this to a kink is moved off it (100 central-difference steps).
KINK_MARGIN = 1e-3

#: Exit statuses of ``check``: 0 passed, 1 a gradient disagrees beyond its tolerance and error
#: bound, 3 no disagreement but some entry could not be resolved (2 is a usage or run-time error).
EXIT_FAILED, EXIT_INCONCLUSIVE = 1, 3
#: How a table cell marks an entry's outcome.
_MARKS = {"passed": "ok", "failed": "FAIL", "inconclusive": "unresolved"}

#: Column titles of the check table, by method.
_TITLES = {
    "layerwise": "SymPy layer-wise",
    "expression": "SymPy expression",
    "central": "central differences",
}


def _batch(args, loss, k: int):
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.batch, args.sizes[0]))
    if loss.name == "categorical_crossentropy":
        if k < 2:
            raise ArgumentError(f"cce needs at least 2 outputs, but --sizes ends in {k}")
        Y = np.eye(k)[rng.integers(0, k, size=args.batch)]
    elif loss.name == "binary_crossentropy":
        Y = rng.integers(0, 2, size=(args.batch, k)).astype(np.float64)
    else:
        Y = rng.standard_normal((args.batch, k))
    return X, Y


def _near_kinks(model, X):
    """Per kinked layer, a (batch, units) mask of pre-activations within `KINK_MARGIN` of 0."""
    masks, A = {}, X
    for index, layer in enumerate(model.layers):
        Z = A @ layer.W + layer.b
        if not layer.activation.smooth:
            masks[index] = np.abs(Z) < KINK_MARGIN
        A = layer.activation(Z)
    return masks


def _off_kinks(model, X, rng) -> tuple[int, int]:
    """Move the batch and biases off the kinks (see the module doc); return (rows, biases) moved."""
    rows_moved, biases_moved = set(), 0
    for _ in range(100):
        masks = _near_kinks(model, X)
        rows = set()
        for index, near in masks.items():
            for unit in np.flatnonzero(near.all(axis=0)):
                bias = model.layers[index].b
                bias[unit] = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.5)
                biases_moved += 1
            rows.update(np.flatnonzero(near.any(axis=1)).tolist())
        if not rows:
            return len(rows_moved), biases_moved
        chosen = sorted(rows)
        X[chosen] = rng.standard_normal((len(chosen), X.shape[1]))
        rows_moved.update(chosen)
    raise ArgumentError("check could not move the batch off the activation's kinks; try another --seed")


def _compare(model, X, Y, loss, args, methods) -> dict:
    reports = symbolic.check_backprop(model, X, Y, loss, from_logits=args.from_logits, methods=methods)
    reports["central"] = gradcheck.check_gradients(model, X, Y, loss, "central", from_logits=args.from_logits)
    return reports


def _check_size(args, parameters: int) -> None:
    request = f"--sizes {','.join(map(str, args.sizes))} --batch {args.batch} is too large to check"
    if parameters**2 * args.batch > CENTRAL_WORK_LIMIT:
        raise ArgumentError(
            f"{request}: {parameters} parameters squared times the batch is {parameters**2 * args.batch:.3g}, "
            f"above {CENTRAL_WORK_LIMIT:.3g} (central differences run two forward passes per parameter)"
        )
    if parameters * args.batch > BATCH_WORK_LIMIT:
        raise ArgumentError(
            f"{request}: {parameters} parameters times the batch is {parameters * args.batch:.3g}, above "
            f"{BATCH_WORK_LIMIT:.3g} (the SymPy layer-wise reference evaluates every row)"
        )


def run_check(args) -> int:
    loss = resolve_loss(args.loss)
    output = args.output
    if output is None:
        defaults = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}
        output = "identity" if args.from_logits else defaults.get(loss.name, "identity")
    if loss.name in ("binary_crossentropy", "categorical_crossentropy") and not args.from_logits:
        probabilities = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}[loss.name]
        if output not in (probabilities, "softmax"):
            raise ArgumentError(
                f"--output {output} gives logits, not probabilities: add --from-logits (or use "
                f"--output {probabilities}) for --loss {args.loss}"
            )
    # refused before the network is built: a network too large to check may not even fit in memory
    _check_size(args, sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(args.sizes, args.sizes[1:])))
    model = MLP(args.sizes, activation=args.activation, output=output, seed=args.seed)
    X, Y = _batch(args, loss, args.sizes[-1])
    rows, biases = _off_kinks(model, X, np.random.default_rng([args.seed, 1]))
    kind = "smooth" if all(layer.activation.smooth for layer in model.layers) else "kinked"
    methods = ("layerwise", "expression")
    if model.num_parameters * args.batch > EXPRESSION_WORK_LIMIT[kind]:
        methods = ("layerwise",)
    reports = run_with_time_limit(_compare, (model, X, Y, loss, args, methods), args.timeout, "check")
    print(
        f"{model!r}, loss {loss.name}{', from logits' if args.from_logits else ''}, "
        f"batch {args.batch}, seed {args.seed}: {model.num_parameters} parameters"
    )
    if rows or biases:
        print(
            f"kinks: moved {rows} batch row(s) and {biases} bias(es) so that no pre-activation lies within "
            f"{KINK_MARGIN:g} of the kink of {model.layers[0].activation.name}"
        )
    if "expression" not in reports:
        print(
            f"SymPy expression column skipped: {model.num_parameters} parameters x batch {args.batch} is more "
            f"than {EXPRESSION_WORK_LIMIT[kind]} ({kind} activations), too large for one expression"
        )
    print("worst relative error between backprop and each reference, per parameter:")
    print(_table(reports))
    entries = [(method, entry) for method, report in reports.items() for entry in report.entries]
    for method, entry in entries:
        if entry.status == "failed":
            print(
                f"MISMATCH {entry.name} vs {_TITLES[method]} at index {entry.index}: backprop {entry.analytic:.17g}, "
                f"reference {entry.reference:.17g}, difference {entry.difference:.3g} > tolerance "
                f"{entry.applied_tolerance:.3g} + error bound {entry.bound:.3g}"
            )
    for method, entry in entries:
        if entry.status == "inconclusive":
            print(f"UNRESOLVED {entry.name} vs {_TITLES[method]} at index {entry.index}: {entry.reason}")
    status = max((report.status for report in reports.values()), key=gradcheck.STATUSES.index)
    if status == "failed":
        return EXIT_FAILED
    if status == "inconclusive":
        print(
            "inconclusive: no gradient disagrees beyond its error bound, but the references above could not "
            "resolve every entry (exit 3)"
        )
        return EXIT_INCONCLUSIVE
    print(
        f"all {len(reports['central'].entries)} parameter gradients agree with backprop ({len(reports)} references)"
    )
    return 0


def _table(reports) -> str:
    """Worst relative error per parameter (rows) and reference (columns), then each tolerance."""
    methods = list(reports)
    names = [entry.name for entry in reports["central"].entries]
    cells = {
        (m, e.name): f"{e.relative_error:.1e} {_MARKS[e.status]}" for m in methods for e in reports[m].entries
    }
    rows = [["parameter", *(_TITLES[m] for m in methods)]]
    rows += [[name, *(cells.get((m, name), "-") for m in methods)] for name in names]
    rows.append(["tolerance", *(f"{reports[m].entries[0].tolerance:.0e}" for m in methods)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )
