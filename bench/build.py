"""Build and test-suite benchmark: the strict site build (notebooks executed) and the whole
test suite, each timed as a fresh process on this machine.

Targets: ``mkdocs build --strict`` <= 60 s; the whole test suite (``pytest -n 2``, including
the browser tests, against the site just built) <= 5 min on 2 cores.

Run: python bench/build.py   (prints a table, writes bench/results/build.json)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import save, table

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"build_s": 60.0, "tests_s": 300.0}


def _timed(command, env) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main(builds: int = 3) -> dict:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        build_runs = [
            _timed([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)], env)
            for _ in range(builds)
        ]
        build = statistics.median(build_runs)
        test_env = dict(env, NNSPEC_SITE_DIR=str(site), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        tests = _timed([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider"], test_env)
    met = {"build_s": build <= TARGETS["build_s"], "tests_s": tests <= TARGETS["tests_s"]}
    report = f"Site build and test suite on {os.cpu_count()} cores (seconds)\n" + (
        table(
            ["what", "seconds", "target", "met"],
            [
                [
                    f"mkdocs build --strict (notebooks executed), median of {builds} "
                    f"({min(build_runs):.1f}-{max(build_runs):.1f})",
                    f"{build:.1f}",
                    "60",
                    "yes" if met["build_s"] else "NO",
                ],
                ["whole test suite, pytest -n 2", f"{tests:.1f}", "300", "yes" if met["tests_s"] else "NO"],
            ],
        )
    )
    print(report)
    payload = {
        "targets": TARGETS,
        "build_s": build,
        "build_runs_s": build_runs,
        "selection": f"build: median of {builds} runs; tests: one run",
        "tests_s": tests,
        "met": met,
    }
    print(f"wrote {save('build', payload, report)}")
    return {"build_s": build, "tests_s": tests}


if __name__ == "__main__":
    main()
