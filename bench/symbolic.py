"""Symbolic-gradient benchmark: the layer-wise method against the whole-expression method.

For each network, in a fresh process: the time to derive and compile the gradient functions
(first call minus a cached call), for the layer-wise and the expression method; the fitted
exponent of the layer-wise cost against depth; and the time to evaluate the compiled
layer-wise gradient next to ``model.backward`` (interleaved). Every figure is the median over
separate processes, with the min-max spread in the JSON, never the best run.

Targets: derive + compile <= 0.5 s at widths (8,16,16,1); depth exponent <= 1.2 over depths
2-8 at width 4; layer-wise >= 50x faster to derive than the expression method at (8,16,16,1);
evaluation within 3x ``model.backward``. The expression method is stopped after a time limit;
the speed-up is then a lower bound.

Run: python bench/symbolic.py   (prints tables, writes bench/results/symbolic.json)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleaved_median, save, table

WIDTHS = [(2, 4, 4, 1), (4, 8, 8, 1), (8, 16, 16, 1)]
DEPTHS = range(2, 9)
BATCH = 32
EXPRESSION_LIMIT_S = 60.0
TARGETS = {"derive_s": 0.5, "depth_exponent": 1.2, "speedup": 50.0, "evaluation_ratio": 3.0}


def _problem(sizes):
    import nnspec as ns

    rng = np.random.default_rng(0)
    model = ns.MLP(sizes, activation="tanh", output="identity", seed=0)
    return model, rng.normal(size=(BATCH, sizes[0])), rng.normal(size=(BATCH, sizes[-1]))


def child_derive(method: str, sizes) -> dict:
    import nnspec as ns

    model, X, Y = _problem(sizes)
    ns.symbolic.clear_cache()
    start = time.perf_counter()
    ns.symbolic.gradients(model, X, Y, "mse", method)
    first = time.perf_counter() - start
    start = time.perf_counter()
    ns.symbolic.gradients(model, X, Y, "mse", method)
    cached = time.perf_counter() - start
    return {"method": method, "sizes": list(sizes), "derive_s": first - cached, "cached_s": cached}


def child_evaluate(sizes) -> dict:
    import nnspec as ns

    model, X, Y = _problem(sizes)
    upstream = ns.mse.grad(Y, model.forward(X))
    functions = {
        "layerwise": lambda: ns.symbolic.gradients(model, X, Y, "mse", "layerwise"),
        "backward": lambda: model.backward(upstream),
        "loss_and_grads": lambda: model.loss_and_grads(X, Y, "mse"),
    }
    for function in functions.values():
        function()
    times = interleaved_median(functions, repeat=30, number=20)
    return {name: seconds * 1e6 for name, seconds in times.items()}


def _run(args, timeout=None):
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(args)],
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_derive(method, sizes, processes, timeout=None, samples=None):
    """Median derive + compile time over ``processes`` fresh processes (None if any was stopped)."""
    runs = [_run({"kind": "derive", "method": method, "sizes": sizes}, timeout) for _ in range(processes)]
    finished = [run["derive_s"] for run in runs if run is not None]
    if samples is not None:
        samples.append(
            {
                "method": method,
                "sizes": list(sizes),
                "seconds": finished,
                "stopped": len(runs) - len(finished),
            }
        )
    return statistics.median(finished) if len(finished) == len(runs) else None


def main(processes: int = 3) -> dict:
    rows, widths, samples = [], [], []
    for sizes in WIDTHS:
        layerwise = _median_derive("layerwise", sizes, processes, samples=samples)
        expression = _median_derive("expression", sizes, 1, timeout=EXPRESSION_LIMIT_S, samples=samples)
        speedup = (expression if expression is not None else EXPRESSION_LIMIT_S) / layerwise
        widths.append(
            {
                "sizes": sizes,
                "layerwise_s": layerwise,
                "expression_s": expression,
                "speedup_at_least": speedup,
            }
        )
        rows.append(
            [
                "-".join(map(str, sizes)),
                f"{layerwise:.3f}",
                f"{expression:.1f}" if expression is not None else f"> {EXPRESSION_LIMIT_S:.0f} (stopped)",
                f"{'' if expression is not None else '>= '}{speedup:.0f}x",
            ]
        )
    lines = [
        f"Derive + compile time (s), tanh network, mse: layer-wise the median of {processes} processes, "
        "expression one process (stopped past its limit)"
    ]
    lines.append(table(["widths", "layer-wise", "expression", "speed-up"], rows))

    depths = [
        (depth, _median_derive("layerwise", (4,) * depth + (1,), processes, samples=samples))
        for depth in DEPTHS
    ]
    exponent = float(np.polyfit(np.log([d for d, _ in depths]), np.log([t for _, t in depths]), 1)[0])
    lines.append(f"\nLayer-wise derive + compile against depth (width 4): fitted exponent {exponent:.2f}")
    lines.append(table(["depth", "seconds"], [[d, f"{t:.3f}"] for d, t in depths]))

    evaluations = [_run({"kind": "evaluate", "sizes": WIDTHS[-1]}) for _ in range(processes)]
    best = {name: statistics.median(e[name] for e in evaluations) for name in evaluations[0]}
    ratios = [e["layerwise"] / e["backward"] for e in evaluations]
    ratio = statistics.median(ratios)
    lines.append(
        f"\nEvaluation at {'-'.join(map(str, WIDTHS[-1]))}, batch {BATCH} (microseconds, medians of "
        f"{processes} processes; ratio range {min(ratios):.2f}-{max(ratios):.2f})"
    )
    lines.append(
        table(
            ["layer-wise gradients", "model.backward", "model.loss_and_grads", "layer-wise / backward"],
            [
                [
                    f"{best['layerwise']:.0f}",
                    f"{best['backward']:.0f}",
                    f"{best['loss_and_grads']:.0f}",
                    f"{ratio:.2f}",
                ]
            ],
        )
    )
    last = widths[-1]
    verdict = {
        "derive_s": last["layerwise_s"] <= TARGETS["derive_s"],
        "depth_exponent": exponent <= TARGETS["depth_exponent"],
        "speedup": last["speedup_at_least"] >= TARGETS["speedup"],
        "evaluation_ratio": ratio <= TARGETS["evaluation_ratio"],
    }
    lines.append(
        "\nTargets met: " + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in verdict.items())
    )
    report = "\n".join(lines)
    print(report)
    result = {
        "targets": TARGETS,
        "expression_limit_s": EXPRESSION_LIMIT_S,
        "widths": widths,
        "depths": [{"depth": d, "layerwise_s": t} for d, t in depths],
        "depth_exponent": exponent,
        "evaluation_us": best,
        "evaluation_ratio": ratio,
        "evaluation_ratio_range": [min(ratios), max(ratios)],
        "selection": f"median over {processes} processes",
        "samples": samples,
        "met": verdict,
    }
    print(f"wrote {save('symbolic', result, report)}")
    return result


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        args = json.loads(sys.argv[2])
        if args["kind"] == "derive":
            print(json.dumps(child_derive(args["method"], tuple(args["sizes"]))))
        else:
            print(json.dumps(child_evaluate(tuple(args["sizes"]))))
    else:
        main()
