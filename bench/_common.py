"""Shared helpers of the benchmarks: timing, separate processes, tables and JSON results.

These machines are shared and noisy, so every benchmark compares things measured side by side
in one run and reports ratios. The training-step benchmark takes the median of repeated blocks
within a process and publishes the median over separate processes with the spread (min-max),
never the best run.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def interleaved_median(functions: dict, repeat: int, number: int = 1) -> dict:
    """Median time per call of each function over ``repeat`` blocks of ``number`` calls.

    The functions take turns, so load hits all alike; each timed block follows one untimed
    call of the same function, so it is timed in its steady state, as in a training loop.
    """
    times: dict = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            function()
            start = time.perf_counter()
            for _ in range(number):
                function()
            times[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) for name, values in times.items()}


def spread(values) -> dict:
    """``{"median", "min", "max", "values"}`` of a list of numbers (one per process)."""
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def in_process(script: str, args: list[str], threads: str = "all", extra_env: dict | None = None):
    """Run ``script --child args`` in a fresh Python process and return the JSON line it prints.

    ``threads="1"`` pins BLAS and OpenMP to one thread; ``"all"`` leaves their default, every
    core. ``extra_env`` adds variables (e.g. ``NNSPEC_BLAS=numpy``).
    """
    env = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}
    if threads != "all":
        env.update(dict.fromkeys(THREAD_VARIABLES, threads))
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, script, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} --child {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def in_processes(script: str, args: list[str], processes: int, threads: str = "all") -> list[dict]:
    """`in_process` ``processes`` times, one after the other."""
    return [in_process(script, args, threads) for _ in range(processes)]


def machine() -> dict:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
            for p in threadpool_info()
        ]
    except ImportError:
        config = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
        blas = config.get("Build Dependencies", {}).get("blas", {}) if isinstance(config, dict) else {}
        info["blas"] = [f"{blas.get('name')} {blas.get('version')}"] if blas else []
    return info


def table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table with aligned columns."""
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save(
    name: str, payload: dict, report: str, date: str | None = None, machine_info: dict | None = None
) -> Path:
    """Write ``results/<name>.json`` (the data) and ``results/<name>.md`` (the printed report,
    which docs/performance.md includes). ``date`` and ``machine_info`` default to now and here."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "date": date or time.strftime("%Y-%m-%d"),
        "machine": machine_info or machine(),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    info = payload["machine"]
    where = (
        f"{payload['date']}, {info['cpu']}, {info['cpus']} cores, Python {info['python']}, "
        f"numpy {info['numpy']} ({', '.join(info['blas']) or 'BLAS unknown'})"
    )
    text = f"```text\n{report.rstrip()}\n\nmeasured {where}\n```\n"
    (RESULTS / f"{name}.md").write_text(text, encoding="utf-8")
    return path
