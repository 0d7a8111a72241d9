"""Paired comparison of the training step and the manual loop across two versions of nnspec.

On a busy machine, timings from separate processes spread far more than the few per cent a
change to the training path is allowed. This benchmark compares versions *inside one
process*: it exports nnspec from a git revision under another package name
(``nnspec_ref``), imports a second copy of the working tree's nnspec with the fused BLAS
calls turned off (``nnspec_numpy``, the ``NNSPEC_BLAS=numpy`` fallback), and times the
three side by side, alternating block by block, on the main shape of `train_step.py`
(784-256-256-10, batch 256, ReLU, softmax cross-entropy from logits, SGD). Each process
yields a ratio per path (this tree / the revision, the fallback / this tree); the report
gives the median over processes with the spread (min-max), one and all BLAS threads,
float32 and float64.

Timing is CPU time by default: ``time.thread_time`` with one thread (every product runs in
the calling thread) and ``time.process_time`` with all threads, which also counts the
BLAS workers' spinning. CPU time is what another process's load does not inflate; ``--wall``
uses ``time.perf_counter`` instead.

Run: python bench/train_step_compare.py REVISION [--processes N] [--wall]
(writes bench/results/train_step_compare.json and .md).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import THREAD_VARIABLES, save, spread, table

ROOT = Path(__file__).resolve().parent.parent
SIZES, BATCH = (784, 256, 256, 10), 256
VARIANTS = ("nnspec", "nnspec_ref", "nnspec_numpy")
REPEATS = 15


def _paths(package: str, dtype):
    """The fused step and the manual loop of one nnspec copy, on the same data for all."""
    import numpy as np

    ns = importlib.import_module(package)
    if package == "nnspec_numpy":  # this tree with the fused calls off, as NNSPEC_BLAS=numpy
        blas = importlib.import_module(f"{package}._blas")
        blas._routines = lambda: None
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, SIZES[0])).astype(dtype)
    Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], BATCH)]
    kwargs = {"activation": "relu", "init": "he_normal", "seed": 0, "dtype": dtype}
    fused, model = ns.MLP(SIZES, **kwargs), ns.MLP(SIZES, **kwargs)
    step = ns.TrainStep(fused, "categorical_crossentropy", optimizer=ns.SGD(1e-3), from_logits=True)
    sgd, loss, params = ns.SGD(1e-3), ns.categorical_crossentropy, model.parameters()

    def manual():
        out = model.forward(X)
        sgd.step(params, model.backward(loss.grad(Y, out, from_logits=True)))

    return {"step": lambda: step(X, Y), "manual": manual}


def child(dtype: str, order: list[str], wall: bool) -> dict:
    functions = {}
    for package in order:
        for path, function in _paths(package, dtype).items():
            functions[f"{path}|{package}"] = function
    for function in functions.values():
        for _ in range(3):
            function()
    one_thread = os.environ.get("OPENBLAS_NUM_THREADS") == "1"
    clock = time.perf_counter if wall else (time.thread_time if one_thread else time.process_time)
    start = clock()
    next(iter(functions.values()))()
    number = max(1, round(0.01 / max(clock() - start, 1e-6)))
    samples = {name: [] for name in functions}
    for _ in range(REPEATS):
        for name, function in functions.items():
            function()
            start = clock()
            for _ in range(number):
                function()
            samples[name].append((clock() - start) / number)
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}


def _packages(revision: str, folder: Path) -> None:
    """``nnspec_ref`` from ``revision`` and ``nnspec_numpy`` from this tree, in ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "nnspec"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "nnspec").rename(folder / "nnspec_ref")
    shutil.copytree(ROOT / "nnspec", folder / "nnspec_numpy", ignore=shutil.ignore_patterns("__pycache__"))


def main(revision: str, processes: int, wall: bool) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        _packages(revision, Path(folder))
        for threads in ("1", "all"):
            for dtype in ("float32", "float64"):
                runs = []
                for index in range(processes):
                    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
                    if threads == "1":
                        env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
                    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), folder])
                    order = list(VARIANTS) if index % 2 == 0 else list(VARIANTS)[::-1]
                    spec = json.dumps({"dtype": dtype, "order": order, "wall": wall})
                    done = subprocess.run(
                        [sys.executable, __file__, "--child", spec], env=env, capture_output=True, text=True
                    )
                    if done.returncode:
                        raise RuntimeError(done.stderr)
                    runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
                row = {"threads": threads, "dtype": dtype, "runs": runs}
                for path in ("step", "manual"):
                    row[f"{path}_ms"] = spread([r[f"{path}|nnspec"] for r in runs])
                    row[f"{path}_ref_ms"] = spread([r[f"{path}|nnspec_ref"] for r in runs])
                    row[f"{path}/ref"] = spread([r[f"{path}|nnspec"] / r[f"{path}|nnspec_ref"] for r in runs])
                    row[f"{path} numpy/fused"] = spread(
                        [r[f"{path}|nnspec_numpy"] / r[f"{path}|nnspec"] for r in runs]
                    )
                rows.append(row)
    text = report(rows, revision, processes, wall)
    print(text)
    save(
        "train_step_compare", {"revision": revision, "processes": processes, "wall": wall, "rows": rows}, text
    )
    return rows


def _cell(s: dict, digits: int = 3) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def report(rows, revision, processes, wall) -> str:
    clock = "wall time" if wall else "CPU time"
    headers = ["threads", "dtype", "step ms", "manual ms", "step/ref", "manual/ref"]
    headers += ["numpy/fused step", "numpy/fused manual"]
    keys = ("step/ref", "manual/ref", "step numpy/fused", "manual numpy/fused")
    lines = [
        [
            r["threads"],
            r["dtype"],
            _cell(r["step_ms"], 2),
            _cell(r["manual_ms"], 2),
            *(_cell(r[k]) for k in keys),
        ]
        for r in rows
    ]
    title = (
        f"This tree against {revision}, MLP 784-256-256-10, batch 256, in one process per run: "
        f"medians over {processes} processes (min-max), {clock}"
    )
    return title + "\n" + table(headers, lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        spec = json.loads(sys.argv[2])
        print(json.dumps(child(spec["dtype"], spec["order"], spec["wall"])))
    else:
        arguments = sys.argv[1:]
        count = int(arguments[arguments.index("--processes") + 1]) if "--processes" in arguments else 8
        main(arguments[0] if arguments else "HEAD", count, "--wall" in arguments)
