"""``nnspec check``: backprop against SymPy (layer-wise, whole expression) and central differences.

Builds ``MLP(sizes, activation, output, seed=seed)`` and a seeded batch whose targets suit
the loss (one-hot rows for cce, 0/1 labels for bce, normal values for mse), then prints the
worst relative error per parameter for each reference (internal; see `cli`).
"""

from __future__ import annotations

import numpy as np

from . import gradcheck, symbolic
from .errors import ArgumentError
from .losses import loss as resolve_loss
from .network import MLP

__all__ = ["CHECK_PARAMETER_LIMIT", "EXPRESSION_PARAMETER_LIMIT", "run_check"]

#: Above this many parameters ``check`` skips the whole-expression SymPy column (too slow).
EXPRESSION_PARAMETER_LIMIT = 300
#: ``check`` refuses larger networks: central differences need two forward passes per parameter.
CHECK_PARAMETER_LIMIT = 10_000

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


def run_check(args) -> int:
    loss = resolve_loss(args.loss)
    output = args.output
    if output is None:
        defaults = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}
        output = "identity" if args.from_logits else defaults.get(loss.name, "identity")
    model = MLP(args.sizes, activation=args.activation, output=output, seed=args.seed)
    if model.num_parameters > CHECK_PARAMETER_LIMIT:
        raise ArgumentError(
            f"--sizes {','.join(map(str, args.sizes))} gives {model.num_parameters} parameters; check takes at "
            f"most {CHECK_PARAMETER_LIMIT} (central differences run two forward passes per parameter)"
        )
    X, Y = _batch(args, loss, args.sizes[-1])
    methods = ("layerwise", "expression")
    if model.num_parameters > EXPRESSION_PARAMETER_LIMIT:
        methods = ("layerwise",)
    reports = symbolic.check_backprop(model, X, Y, loss, from_logits=args.from_logits, methods=methods)
    reports["central"] = gradcheck.check_gradients(model, X, Y, loss, "central", from_logits=args.from_logits)
    print(
        f"{model!r}, loss {loss.name}{', from logits' if args.from_logits else ''}, "
        f"batch {args.batch}, seed {args.seed}: {model.num_parameters} parameters"
    )
    if "expression" not in reports:
        print(
            f"SymPy expression column skipped: {model.num_parameters} parameters is more than "
            f"{EXPRESSION_PARAMETER_LIMIT}, too many for one expression"
        )
    print("worst relative error between backprop and each reference, per parameter:")
    print(_table(reports))
    failures = [
        (method, entry) for method, report in reports.items() for entry in report.entries if not entry.passed
    ]
    for method, entry in failures:
        print(
            f"MISMATCH {entry.name} vs {_TITLES[method]} at index {entry.index}: backprop {entry.analytic:.17g}, "
            f"reference {entry.reference:.17g}, relative error {entry.relative_error:.3g} > {entry.tolerance:.3g}"
        )
    if failures:
        return 1
    print(
        f"all {len(reports['central'].entries)} parameter gradients agree with backprop ({len(reports)} references)"
    )
    return 0


def _table(reports) -> str:
    """Worst relative error per parameter (rows) and reference (columns), then each tolerance."""
    methods = list(reports)
    names = [entry.name for entry in reports["central"].entries]
    cells = {
        (m, e.name): f"{e.relative_error:.1e} {'ok' if e.passed else 'FAIL'}"
        for m in methods
        for e in reports[m].entries
    }
    rows = [["parameter", *(_TITLES[m] for m in methods)]]
    rows += [[name, *(cells.get((m, name), "-") for m in methods)] for name in names]
    rows.append(["tolerance", *(f"{reports[m].entries[0].tolerance:.0e}" for m in methods)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )
