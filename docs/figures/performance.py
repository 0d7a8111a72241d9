"""Figure of the performance page, drawn from the benchmark results in bench/results/."""

import json
from pathlib import Path

import numpy as np
from _kit import figure, plt

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def _load(name):
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


@figure("performance.svg")
def benchmarks():
    train, symbolic, build = _load("train_step"), _load("symbolic"), _load("build")
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(10, 3.4))

    labels = [f"{r['dtype']}\n{r['threads']} thr." for r in train["results"]]
    ratios = [r["ratio"] for r in train["results"]]
    left.bar(labels, ratios, color=["#3f51b5" if r <= train["target_ratio"] else "#e57373" for r in ratios])
    colds = [min(run["cold_ratio"] for run in r["runs"]) for r in train["results"]]
    left.scatter(labels, colds, marker="_", s=500, color="black", label="cold reading", zorder=3)
    left.axhline(train["target_ratio"], color="black", linestyle="--", linewidth=1, label="target 1.15")
    top = max(1.3, max(ratios + colds) + 0.05)
    left.set(title="training step / GEMM floor", ylim=(1.0, top))
    left.legend(loc="upper left", fontsize=8)

    widths = ["-".join(map(str, w["sizes"])) for w in symbolic["widths"]]
    x = np.arange(len(widths))
    layerwise = [w["layerwise_s"] for w in symbolic["widths"]]
    limit = symbolic["expression_limit_s"]
    expression = [w["expression_s"] if w["expression_s"] is not None else limit for w in symbolic["widths"]]
    middle.bar(x - 0.2, layerwise, 0.4, label="layer-wise", color="#3f51b5")
    bars = middle.bar(x + 0.2, expression, 0.4, label="expression", color="#9e9e9e")
    for bar, w in zip(bars, symbolic["widths"]):
        if w["expression_s"] is None:
            middle.annotate(
                "stopped", (bar.get_x() + bar.get_width() / 2, limit), ha="center", va="bottom", fontsize=7
            )
    middle.set(title="derive + compile (s)", yscale="log", xticks=x, xticklabels=widths)
    middle.legend(loc="upper left", fontsize=8)

    names = ["site build", "test suite"]
    seconds = [build["build_s"], build["tests_s"]]
    targets = [build["targets"]["build_s"], build["targets"]["tests_s"]]
    right.bar(names, seconds, color="#3f51b5", label="measured")
    right.scatter(names, targets, marker="_", s=900, color="black", label="target")
    right.set(title="seconds on 2 cores")
    right.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
