"""Figure of the performance page, drawn from the benchmark results in bench/results/."""

import json
from pathlib import Path

import numpy as np
from _kit import figure, plt

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def _load(name):
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def _bars(axis, rows, keys, colors, title, target=None):
    """Median bars with min-max whiskers, one group per (threads, dtype)."""
    labels = [f"{r['dtype']}\n{r['threads']} thr." for r in rows]
    x = np.arange(len(rows))
    width = 0.8 / len(keys)
    for i, (key, color) in enumerate(zip(keys, colors)):
        stats = [r.get(key) for r in rows]
        if any(s is None for s in stats):
            continue
        median = np.array([s["median"] for s in stats])
        low, high = median - [s["min"] for s in stats], [s["max"] for s in stats] - median
        axis.bar(
            x + (i - (len(keys) - 1) / 2) * width,
            median,
            width,
            yerr=[low, high],
            color=color,
            label=key,
            capsize=2,
            error_kw={"linewidth": 0.8},
        )
    if target is not None:
        axis.axhline(target, color="black", linestyle="--", linewidth=1)
    axis.axhline(1.0, color="black", linewidth=0.6)
    axis.set(title=title, xticks=x, xticklabels=labels)
    axis.legend(loc="upper left", fontsize=8)


@figure("performance.svg")
def benchmarks():
    train, symbolic, build = _load("train_step"), _load("symbolic"), _load("build")
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(11, 3.6))
    _bars(
        left,
        train["main"],
        ["step/floor", "manual/floor", "step/torch", "manual/torch"],
        ["#3f51b5", "#9fa8da", "#ef6c00", "#ffcc80"],
        "784-256-256-10, batch 256: ratios",
    )
    left.set_ylim(0, None)

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


@figure("performance-sweep.svg")
def sweep():
    train = _load("train_step")
    rows = train["sweep"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=False)
    batches = sorted({r["batch"] for r in rows})
    widths = sorted({r["sizes"][1] for r in rows})
    styles = {"step": "-", "manual": "--"}
    colors = dict(zip(widths, ["#3f51b5", "#ef6c00", "#2e7d32"]))
    for axis, against in zip(axes, ("floor", "torch")):
        for width in widths:
            for path, style in styles.items():
                stats = [
                    next(r for r in rows if r["batch"] == b and r["sizes"][1] == width).get(
                        f"{path}/{against}"
                    )
                    for b in batches
                ]
                if any(s is None for s in stats):
                    continue
                median = np.array([s["median"] for s in stats])
                err = [median - [s["min"] for s in stats], [s["max"] for s in stats] - median]
                axis.errorbar(
                    batches,
                    median,
                    yerr=err,
                    linestyle=style,
                    marker="o",
                    color=colors[width],
                    capsize=2,
                    label=f"width {width}, {path}",
                )
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set(
            xscale="log",
            yscale="log",
            xticks=batches,
            xticklabels=[str(b) for b in batches],
            xlabel="batch",
            title=f"time / {'GEMM floor' if against == 'floor' else 'PyTorch step'}",
        )
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
