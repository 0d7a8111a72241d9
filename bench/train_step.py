"""Training-step benchmark: nnspec's two training paths against their GEMM floor and PyTorch.

The network is a ReLU MLP with softmax cross-entropy from logits, trained by plain SGD. Timed:

* ``step``: the fused `TrainStep` that ``ns.train`` runs;
* ``manual``: the loop the pages teach, ``out = model.forward(X)``,
  ``grads = model.backward(loss.grad(Y, out, from_logits=True))``, ``SGD.step(params, grads)``;
* ``floor``: the step's matrix products alone (forward: one per layer; backward: every weight
  gradient and every input gradient but the first), into preallocated arrays with numpy;
* ``torch``: the same network and step in PyTorch (CPU), in its own processes, alternating with
  nnspec's: in one process PyTorch's OpenMP workers and OpenBLAS's spinning threads slow
  whichever runs second;
* ``fallback``: ``step`` and ``manual`` again in processes with ``NNSPEC_BLAS=numpy`` (no fused
  BLAS calls), to track what `nnspec._blas` gains;
* ``peak``: a 2048 x 2048 square GEMM in the same processes, the machine's practical GEMM peak
  against which the floor's own GFLOP/s is read.

Within a process every time is the median of interleaved blocks (each after one untimed call:
the steady state of a training loop). Every published figure is the median over ``PROCESSES``
processes, with the spread (min-max) beside it; ratios against PyTorch pair each nnspec process
with the PyTorch process run right after it. The main table is 784-256-256-10 at batch 256,
float32 and float64, one and all BLAS threads; the sweep is hidden widths 64, 256, 1024 by batch
32, 256, 1024 (784-w-w-10, float32, all threads).

Run: python bench/train_step.py [--quick]   (prints tables, writes bench/results/train_step.json
and .md; --quick: 2 processes and fewer repeats, to check the script, not to publish).
python bench/train_step.py --report [--note TEXT] re-renders the .md from the .json.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import in_process, interleaved_median, save, spread, table

MAIN = ((784, 256, 256, 10), 256)
WIDTHS, BATCHES = (64, 256, 1024), (32, 256, 1024)
SWEEP = [((784, w, w, 10), b) for w in WIDTHS for b in BATCHES]
PROCESSES = 5
PEAK_SIZE = 2048
TARGETS = {
    "step/floor": 1.15,
    "step/torch": 0.95,
    "manual/floor": 1.3,
    "manual/torch": 1.0,
    "small/torch": 1.0,  # both paths at width 64, batch 32
}
BLOCK_SECONDS = 0.01  # calls per timed block: about this long


def _data(sizes, batch, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], batch)]
    return X, Y


def floor_flops(sizes, batch) -> int:
    """Floating-point operations of the floor's products: 2 B n_in n_out each."""
    layers = list(itertools.pairwise(sizes))
    forward = sum(2 * batch * a * b for a, b in layers)
    return 3 * forward - 2 * batch * layers[0][0] * layers[0][1]  # no dL/dX for the input


def gemm_floor(weights, X):
    """The step's matrix products alone, into preallocated arrays."""
    batch, dtype = X.shape[0], X.dtype
    outputs = [np.empty((batch, W.shape[1]), dtype) for W in weights]
    weight_grads = [np.empty_like(W) for W in weights]
    input_grads = [np.empty((batch, W.shape[0]), dtype) for W in weights]
    inputs = [X, *outputs[:-1]]

    def run():
        for x, W, out in zip(inputs, weights, outputs):
            np.matmul(x, W, out=out)
        for i in reversed(range(len(weights))):
            np.matmul(inputs[i].T, outputs[i], out=weight_grads[i])
            if i:
                np.matmul(outputs[i], weights[i].T, out=input_grads[i])

    return run


def _timed(functions: dict, quick: bool) -> dict:
    """Medians per call, with blocks of about BLOCK_SECONDS."""
    for function in functions.values():  # warm up: buffers, BLAS threads, caches
        function()
    start = time.perf_counter()
    for function in functions.values():
        function()
    per_call = (time.perf_counter() - start) / len(functions)
    number = max(1, round(BLOCK_SECONDS / max(per_call, 1e-6)))
    return interleaved_median(functions, repeat=5 if quick else 7, number=number)


def _allocations(step) -> dict:
    """tracemalloc's peak above the baseline over 5 steps, the net growth, and page faults."""
    step()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / 5
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_extra_bytes": peak - baseline, "growth_bytes": current - baseline, "minor_faults": faults}


def _peak_gflops(dtype) -> float:
    rng = np.random.default_rng(0)
    A, B = (rng.normal(size=(PEAK_SIZE, PEAK_SIZE)).astype(dtype) for _ in range(2))
    C = np.empty_like(A)
    seconds = _timed({"gemm": lambda: np.matmul(A, B, out=C)}, quick=True)["gemm"]
    return 2 * PEAK_SIZE**3 / seconds / 1e9


def nnspec_child(dtype, shapes, extras: bool, quick: bool) -> list:
    import nnspec as ns

    results = []
    for sizes, batch in shapes:
        X, Y = _data(sizes, batch, dtype)
        kwargs = {"activation": "relu", "init": "he_normal", "seed": 0, "dtype": dtype}
        fused, manual_model = ns.MLP(sizes, **kwargs), ns.MLP(sizes, **kwargs)
        step = ns.TrainStep(fused, "categorical_crossentropy", optimizer=ns.SGD(1e-3), from_logits=True)
        sgd, loss, params = ns.SGD(1e-3), ns.categorical_crossentropy, manual_model.parameters()

        def manual(model=manual_model, X=X, Y=Y, sgd=sgd, loss=loss, params=params):
            out = model.forward(X)
            grads = model.backward(loss.grad(Y, out, from_logits=True))
            sgd.step(params, grads)

        def fused_step(step=step, X=X, Y=Y):
            step(X, Y)

        floor = gemm_floor([layer.W.copy() for layer in fused.layers], X)
        times = _timed({"floor": floor, "step": fused_step, "manual": manual}, quick)
        row = {"sizes": list(sizes), "batch": batch, **{f"{k}_ms": v * 1e3 for k, v in times.items()}}
        row["floor_gflops"] = floor_flops(sizes, batch) / times["floor"] / 1e9
        if extras:
            row["allocations"] = {
                "step": _allocations(fused_step),
                "manual": _allocations(manual),
            }
            row["peak_gflops"] = _peak_gflops(dtype)
        results.append(row)
    from nnspec import _blas

    return {"rows": results, "blas_fused": _blas.available()}


def torch_child(dtype, shapes, quick: bool) -> list:
    import torch

    torch.manual_seed(0)
    if os.environ.get("OMP_NUM_THREADS") == "1":
        torch.set_num_threads(1)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    results = []
    for sizes, batch in shapes:
        layers = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
        net = torch.nn.Sequential(*layers).to(tdtype)
        optimizer = torch.optim.SGD(net.parameters(), lr=1e-3)
        X, Y = _data(sizes, batch, dtype)
        x, y = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
        loss = torch.nn.CrossEntropyLoss()

        def run(net=net, optimizer=optimizer, x=x, y=y, loss=loss):
            optimizer.zero_grad()
            loss(net(x), y).backward()
            optimizer.step()

        times = _timed({"torch": run}, quick)
        results.append({"sizes": list(sizes), "batch": batch, "torch_ms": times["torch"] * 1e3})
    return {"rows": results, "torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def _child(spec: dict) -> dict:
    dtype = np.dtype(spec["dtype"])
    shapes = [(tuple(sizes), batch) for sizes, batch in spec["shapes"]]
    if spec["kind"] == "torch":
        return torch_child(dtype, shapes, spec["quick"])
    return nnspec_child(dtype, shapes, spec["extras"], spec["quick"])


def _run(kind, dtype, shapes, threads, quick, extras=False, env=None) -> dict:
    spec = {"kind": kind, "dtype": dtype, "shapes": shapes, "quick": quick, "extras": extras}
    return in_process(__file__, [json.dumps(spec)], threads, env)


def _torch_available() -> bool:
    """Whether PyTorch is installed (looked up, not imported: only the child processes use it)."""
    return importlib.util.find_spec("torch") is not None


def measure(shapes, dtype, threads, processes, quick, extras, fallback, with_torch):
    """Alternate nnspec, PyTorch and fallback processes; per shape, lists over processes."""
    runs = {"nnspec": [], "torch": [], "fallback": []}
    for _ in range(processes):
        runs["nnspec"].append(_run("nnspec", dtype, shapes, threads, quick, extras))
        if with_torch:
            runs["torch"].append(_run("torch", dtype, shapes, threads, quick))
        if fallback:
            runs["fallback"].append(
                _run("nnspec", dtype, shapes, threads, quick, env={"NNSPEC_BLAS": "numpy"})
            )
    rows = []
    for i, (sizes, batch) in enumerate(shapes):
        own = [run["rows"][i] for run in runs["nnspec"]]
        row = {
            "sizes": list(sizes),
            "batch": batch,
            "dtype": dtype,
            "threads": threads,
            "processes": processes,
        }
        row["runs"] = own
        for key in ("floor_ms", "step_ms", "manual_ms", "floor_gflops"):
            row[key] = spread([r[key] for r in own])
        for path in ("step", "manual"):
            row[f"{path}/floor"] = spread([r[f"{path}_ms"] / r["floor_ms"] for r in own])
        if runs["torch"]:
            theirs = [run["rows"][i]["torch_ms"] for run in runs["torch"]]
            row["torch_ms"] = spread(theirs)
            row["torch_runs"] = theirs
            for path in ("step", "manual"):
                row[f"{path}/torch"] = spread([r[f"{path}_ms"] / t for r, t in zip(own, theirs)])
        if runs["fallback"]:
            other = [run["rows"][i] for run in runs["fallback"]]
            row["fallback_runs"] = other
            for path in ("step", "manual"):
                row[f"fallback {path}/floor"] = spread([r[f"{path}_ms"] / r["floor_ms"] for r in other])
                row[f"fallback {path}/{path}"] = spread(
                    [r[f"{path}_ms"] / o[f"{path}_ms"] for r, o in zip(other, own)]
                )
        if extras:
            row["peak_gflops"] = spread([r["peak_gflops"] for r in own])
            row["floor/peak"] = spread([r["floor_gflops"] / r["peak_gflops"] for r in own])
            row["allocations"] = {
                path: {
                    key: max(r["allocations"][path][key] for r in own)
                    for key in ("peak_extra_bytes", "growth_bytes", "minor_faults")
                }
                for path in ("step", "manual")
            }
        rows.append(row)
    meta = {"blas_fused": runs["nnspec"][0]["blas_fused"]}
    if runs["torch"]:
        meta.update(torch=runs["torch"][0]["torch"], torch_threads=runs["torch"][0]["torch_threads"])
    return rows, meta


def _cell(s: dict | None, digits=2) -> str:
    if s is None:
        return "n/a"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def _met(s: dict | None, target: float) -> str:
    return "n/a" if s is None else ("yes" if s["median"] <= target else "NO")


def report(main_rows, sweep_rows, processes) -> str:
    out = f"Training step, MLP 784-256-256-10, batch 256: medians over {processes} processes (min-max)\n"
    rows = []
    for r in main_rows:
        rows.append(
            [
                r["threads"],
                r["dtype"],
                f"{r['floor_ms']['median']:.2f}",
                _cell(r["step/floor"]),
                _cell(r.get("step/torch")),
                _cell(r["manual/floor"]),
                _cell(r.get("manual/torch")),
                _cell(r.get("fallback step/floor")),
            ]
        )
    out += table(
        [
            "threads",
            "dtype",
            "floor ms",
            "step/floor",
            "step/torch",
            "manual/floor",
            "manual/torch",
            "NNSPEC_BLAS=numpy step/floor",
        ],
        rows,
    )
    out += "\n\nTargets (median <= target)\n"
    rows = [
        [r["threads"], r["dtype"]]
        + [_met(r.get(k), TARGETS[k]) for k in ("step/floor", "step/torch", "manual/floor", "manual/torch")]
        for r in main_rows
    ]
    out += table(
        ["threads", "dtype"]
        + [f"{k} <= {TARGETS[k]}" for k in ("step/floor", "step/torch", "manual/floor", "manual/torch")],
        rows,
    )
    out += "\n\nThread scaling: time with 1 thread / time with all threads (medians)\n"
    rows = []
    for dtype in ("float32", "float64"):
        one, every = (
            next(r for r in main_rows if r["dtype"] == dtype and r["threads"] == t) for t in ("1", "all")
        )
        rows.append(
            [dtype]
            + [f"{one[k]['median'] / every[k]['median']:.2f}" for k in ("floor_ms", "step_ms", "manual_ms")]
        )
    out += table(["dtype", "floor", "step", "manual"], rows)
    out += "\n\nGEMM floor against the machine's GEMM peak (2048 x 2048 matmul, same processes)\n"
    rows = [
        [
            r["threads"],
            r["dtype"],
            f"{r['floor_gflops']['median']:.1f}",
            f"{r['peak_gflops']['median']:.1f}",
            f"{100 * r['floor/peak']['median']:.0f}%",
        ]
        for r in main_rows
    ]
    out += table(["threads", "dtype", "floor GFLOP/s", "peak GFLOP/s", "floor/peak"], rows)
    out += "\n\nMemory per step after the first (worst process): tracemalloc peak above the buffers, net growth, minor page faults\n"
    rows = []
    for r in main_rows:
        for path in ("step", "manual"):
            a = r["allocations"][path]
            rows.append(
                [
                    r["threads"],
                    r["dtype"],
                    path,
                    f"{a['peak_extra_bytes'] / 1024:.1f} KiB",
                    f"{a['growth_bytes']} B",
                    f"{a['minor_faults']:.1f}",
                ]
            )
    out += table(["threads", "dtype", "path", "peak extra", "growth", "faults/step"], rows)
    out += f"\n\nSize sweep, 784-w-w-10, float32, all threads: medians over {processes} processes (min-max)\n"
    rows = [
        [
            r["sizes"][1],
            r["batch"],
            f"{r['floor_ms']['median']:.3f}",
            _cell(r["step/floor"]),
            _cell(r["manual/floor"]),
            _cell(r.get("step/torch")),
            _cell(r.get("manual/torch")),
        ]
        for r in sweep_rows
    ]
    out += table(
        ["width", "batch", "floor ms", "step/floor", "manual/floor", "step/torch", "manual/torch"], rows
    )
    small = next(r for r in sweep_rows if r["sizes"][1] == min(WIDTHS) and r["batch"] == min(BATCHES))
    limit = TARGETS["small/torch"]
    out += (
        f"\n\nTarget at width {min(WIDTHS)}, batch {min(BATCHES)} (median <= {limit}): "
        f"step/torch {_met(small.get('step/torch'), limit)}, "
        f"manual/torch {_met(small.get('manual/torch'), limit)}"
    )
    return out + "\n"


def main(quick: bool = False) -> dict:
    processes = 2 if quick else PROCESSES
    with_torch = _torch_available()
    main_rows, meta = [], {}
    for threads in ("1", "all"):
        for dtype in ("float32", "float64"):
            rows, meta = measure([MAIN], dtype, threads, processes, quick, True, True, with_torch)
            main_rows += rows
    sweep_rows, _ = measure(SWEEP, "float32", "all", processes, quick, False, False, with_torch)
    payload = {
        "selection": "median",
        "processes": processes,
        "quick": quick,
        "targets": TARGETS,
        "peak_size": PEAK_SIZE,
        **meta,
        "main": main_rows,
        "sweep": sweep_rows,
    }
    text = report(main_rows, sweep_rows, processes) + _footer(payload)
    print(text)
    path = save("train_step", payload, text)
    print(f"wrote {path}")
    return payload


def _footer(payload) -> str:
    if "torch" not in payload:
        return "\nPyTorch is not installed (pip install -e '.[bench]'): its columns are n/a.\n"
    note = f"\nPyTorch {payload['torch']} ({payload['torch_threads']} threads with all threads)."
    if payload["quick"]:
        note += " QUICK RUN (--quick): a check of the script, not figures to publish."
    if payload.get("note"):
        note += f"\nNote: {payload['note']}"
    return note + "\n"


def rerender(note: str | None = None) -> str:
    """Rewrite train_step.md from train_step.json (after a change to the report's layout);
    ``note`` replaces the run's note (e.g. that the machine was busy)."""
    from _common import RESULTS

    payload = json.loads((RESULTS / "train_step.json").read_text(encoding="utf-8"))
    if note is not None:
        payload["note"] = note
    text = report(payload["main"], payload["sweep"], payload["processes"]) + _footer(payload)
    save(
        "train_step",
        {k: v for k, v in payload.items() if k not in ("benchmark", "date", "machine")},
        text,
        date=payload["date"],
        machine_info=payload["machine"],
    )
    return text


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(_child(json.loads(sys.argv[2]))))
    elif "--report" in sys.argv:
        print(rerender(sys.argv[sys.argv.index("--note") + 1] if "--note" in sys.argv else None))
    else:
        main(quick="--quick" in sys.argv)
