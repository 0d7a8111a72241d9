"""What ``nnspec check`` costs: each reference's time against parameters and batch.

For each (sizes, batch) in a small grid, in a fresh process: the seconds of the SymPy
whole-expression column, the SymPy layer-wise column and central differences, each stopped at
``--cap`` seconds. ``nnspec check``'s limits (``nnspec/_check_command.py``) are set from this
table: the expression column runs only while parameters x batch stays where it took a few
seconds, and central differences are refused where parameters**2 x batch makes them slow.

Run: python bench/check_costs.py [--cap 30]   (prints a table, writes bench/results/check_costs.*)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRID = [
    ((2, 4, 4, 1), 1, "tanh"),
    ((2, 4, 4, 1), 4, "tanh"),
    ((2, 4, 4, 1), 4, "relu"),
    ((2, 3, 1), 4, "relu"),
    ((2, 4, 1), 4, "tanh"),
    ((4, 8, 8, 1), 4, "tanh"),
    ((10, 20, 10), 4, "relu"),
    ((4, 8, 8, 1), 100_000, "tanh"),
    ((30, 30, 30, 1), 4, "tanh"),
]


def child(sizes, batch: int, activation: str, cap: float) -> dict:
    import numpy as np

    import nnspec as ns
    from nnspec.cli.time_limit import run_with_time_limit  # a SIGALRM timer: this child owns its process
    from nnspec.errors import ExpressionTimeout

    model = ns.MLP(sizes, activation=activation, seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((batch, sizes[0])), rng.standard_normal((batch, sizes[-1]))
    record = {
        "sizes": list(sizes),
        "batch": batch,
        "activation": activation,
        "parameters": model.num_parameters,
    }
    runs = {
        "expression": lambda: ns.symbolic.check_backprop(model, X, Y, "mse", methods=("expression",)),
        "layerwise": lambda: ns.symbolic.check_backprop(model, X, Y, "mse", methods=("layerwise",)),
        "central": lambda: ns.check_gradients(model, X, Y, "mse", "central"),
    }
    for name, run in runs.items():
        if name == "expression" and model.num_parameters * batch > 500:
            record[name] = None  # not even tried: building it alone takes minutes
            continue
        started = time.perf_counter()
        try:
            run_with_time_limit(run, (), cap, name)
            record[name] = time.perf_counter() - started
        except ExpressionTimeout:
            record[name] = float("inf")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        sizes, batch = json.loads(args.child[0]), int(args.child[1])
        print(json.dumps(child(tuple(sizes), batch, args.child[2], args.cap)))
        return
    sys.path.insert(0, str(HERE))
    from _common import in_process, save

    records = []
    for sizes, batch, activation in GRID:
        records.append(
            in_process(__file__, [json.dumps(list(sizes)), str(batch), activation, "--cap", str(args.cap)])
        )
        print(records[-1], flush=True)

    def cell(value):
        return "not run" if value is None else f"> {args.cap:g}" if value == float("inf") else f"{value:.2f}"

    lines = [
        f"{'sizes':<12} {'act':<5} {'batch':>6} {'params':>6} {'P*B':>8} {'P^2*B':>10} {'expression':>10} {'layer-wise':>10} {'central':>8}"
    ]
    for r in records:
        p, b = r["parameters"], r["batch"]
        lines.append(
            f"{'-'.join(map(str, r['sizes'])):<12} {r['activation']:<5} {b:>6} {p:>6} {p * b:>8} {p * p * b:>10.3g} "
            f"{cell(r['expression']):>10} {cell(r['layerwise']):>10} {cell(r['central']):>8}"
        )
    report = f"seconds per reference of nnspec check (mse), one fresh process each, cap {args.cap:g} s\n"
    report += "\n".join(lines)
    print(report)

    save("check_costs", {"cap_s": args.cap, "records": records}, report)


if __name__ == "__main__":
    main()
