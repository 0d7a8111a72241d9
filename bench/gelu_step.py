"""GELU's cost in a training step, against ReLU: the vectorized erf (SciPy) versus math.erfc.

An SGD step of an MLP 784-256-256-10 (softmax cross-entropy from logits, batch 256, float64)
is timed with ReLU, with nnspec's GELU, and with GELU as it was before (``math.erfc`` per
element through ``np.frompyfunc``, rebuilt here as a custom `Activation`). The three are timed
in alternation in each round, so load hits them alike, and each round gives the ratios
GELU/ReLU; a process reports the median over its rounds, and the table gives the median and
the range over processes. Also timed alone: value and derivative of GELU on a (256, 256) batch.

Run: python bench/gelu_step.py   (prints a table, writes bench/results/gelu_step.json)
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import in_processes, save, table

SIZES, BATCH, ROUNDS, STEPS = (784, 256, 256, 10), 256, 10, 3


def _old_gelu():
    from nnspec.activations import Activation

    erfc = np.frompyfunc(math.erfc, 1, 1)

    def cdf(z):
        return 0.5 * np.asarray(erfc(-z / math.sqrt(2)), dtype=np.float64)

    class OldGELU(Activation):
        name, complex_safe = "gelu", False

        def _value(self, z):
            finite = np.isfinite(z)
            return np.where(finite, np.where(finite, z, 0) * cdf(z), np.maximum(z, 0))

        def _grad(self, z):
            c = np.clip(z, -40, 40)
            return cdf(z) + c * np.exp(-0.5 * c * c) / math.sqrt(2 * math.pi)

    return OldGELU()


def _timed(function, number):
    start = time.perf_counter()
    for _ in range(number):
        function()
    return (time.perf_counter() - start) / number


def child() -> dict:
    import nnspec as ns

    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    old = _old_gelu()
    activations = {"relu": ns.relu, "gelu": ns.gelu, "gelu (math.erfc)": old}
    steps = {}
    for name, activation in activations.items():
        model = ns.MLP(SIZES, activation=activation, seed=0)
        steps[name] = ns.TrainStep(model, "cce", 0.01, from_logits=True)
        steps[name](X, Y)  # buffers allocated
    Z = rng.normal(size=(BATCH, SIZES[1]))
    alone = {
        "relu": lambda: (ns.relu(Z), ns.relu.grad(Z)),
        "gelu": lambda: (ns.gelu(Z), ns.gelu.grad(Z)),
        "gelu (math.erfc)": lambda: (old(Z), old.grad(Z)),
    }
    step_times = {name: [] for name in steps}
    alone_times = {name: [] for name in alone}
    for _ in range(ROUNDS):
        for name in steps:
            step_times[name].append(_timed(lambda name=name: steps[name](X, Y), STEPS))
            alone_times[name].append(_timed(alone[name], STEPS))
    result = {}
    for name in steps:
        result[name] = {
            "step_ms": statistics.median(step_times[name]) * 1e3,
            "step_ratio": statistics.median(a / r for a, r in zip(step_times[name], step_times["relu"])),
            "value_and_grad_ms": statistics.median(alone_times[name]) * 1e3,
        }
    return result


def main(processes: int = 3) -> dict:
    runs = in_processes(__file__, [], processes)
    rows, summary = [], {}
    for name in runs[0]:

        def spread(key, digits, name=name):
            values = [run[name][key] for run in runs]
            return statistics.median(
                values
            ), f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"

        step, step_text = spread("step_ms", 1)
        ratio, ratio_text = spread("step_ratio", 2)
        alone, alone_text = spread("value_and_grad_ms", 2)
        summary[name] = {"step_ms": step, "step_ratio_to_relu": ratio, "value_and_grad_ms": alone}
        rows.append([name, step_text, ratio_text, alone_text])
    report = (
        f"Training step {'-'.join(map(str, SIZES))}, batch {BATCH}, float64; median over "
        f"{processes} processes (range), each the median of {ROUNDS} interleaved rounds\n\n"
    )
    report += table(["activation", "step ms", "step / relu step", "f and f' of (256, 256), ms"], rows)
    print(report)
    save("gelu_step", {"processes": processes, "results": summary, "runs": runs}, report)
    return summary


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child()))
    else:
        main()
