"""Mutation score of the pages: how many one-token mutants of ``nnspec/`` do the pages kill?

mutmut 3 (configured in pyproject.toml, ``[tool.mutmut]``) mutates ``nnspec/`` and runs only
the pages' blocks and the notebooks (``docs/``) against each mutant; ``tests/`` is not part of
the killing suite. A full run tries every mutant (hours on two cores); ``--sample N`` tries a
seeded random sample of N mutants, the same N for the same seed and the same code.

Writes ``bench/results/mutation.json`` (score, its 95 % Wilson interval, every tried mutant's
status, the survivors with their diffs) and ``bench/results/mutation.md``.

Usage::

    python bench/mutation.py --sample 500 --seed 2   # what `make mutate` runs
    python bench/mutation.py --all                   # every mutant
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: Survivors judged equivalent (no page could tell them from the original), with the reason.
#: Keyed by mutmut's name, which changes when the mutated function changes: re-judge then.
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.json"
MUTMUT = [sys.executable, "-m", "mutmut"]
KILLED = {"killed", "timeout", "segfault"}  # a test failed, hung or crashed: the pages noticed


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _meta_files() -> list[Path]:
    return sorted((ROOT / "mutants" / "nnspec").rglob("*.py.meta"))


def generate() -> list[str]:
    """Create the mutants (mutmut's own generator) and return every mutant's name, sorted."""
    code = (
        "from mutmut.__main__ import copy_src_dir, copy_also_copy_files, create_mutants\n"
        "import os\nos.makedirs('mutants/bench/results', exist_ok=True)  # mutmut copies files, not their folders\n"
        "copy_src_dir(); copy_also_copy_files(); create_mutants(1)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    names = []
    for meta in _meta_files():
        names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def statuses() -> dict[str, str]:
    from mutmut.stats import status_by_exit_code

    found = {}
    for meta in _meta_files():
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[name] = status_by_exit_code[code]
    return found


def diffs(names: list[str]) -> dict[str, str]:
    """mutmut's diff of each mutant against the original code, in one process."""
    code = (
        "import json, sys\n"
        "from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant\n"
        "names = json.load(sys.stdin)\n"
        "print(json.dumps({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, input=json.dumps(names), capture_output=True, text=True
    )
    found = json.loads(shown.stdout.strip().splitlines()[-1]) if shown.returncode == 0 else {}
    return {
        name: "\n".join(line for line in found.get(name, "").splitlines()[2:] if line.strip())
        for name in names
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sample", type=int, default=200, help="mutants to try (default 200)")
    group.add_argument("--all", action="store_true", help="try every mutant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the results from mutmut's last run, run nothing"
    )
    parser.add_argument("--rerun", nargs="+", default=[], help="mutants to run again before the report")
    args = parser.parse_args(argv)

    if not args.report_only:
        # mutmut keeps which test runs which function between runs and refreshes it by file
        # hashes; a page block is named by its first line, so an edited block can keep a stale
        # entry. Collect afresh every time (a few minutes).
        (ROOT / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    everything = generate()
    if args.all or args.sample >= len(everything):
        chosen = everything
    else:
        chosen = sorted(random.Random(args.seed).sample(everything, args.sample))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
    started = datetime.now(timezone.utc)
    to_run = [] if args.report_only else (args.rerun or chosen)
    if to_run:
        command = [*MUTMUT, "run", "--max-children", str(args.max_children), *to_run]
        subprocess.run(command, cwd=ROOT, env=env, check=False)
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    previous = RESULTS / "mutation.json"
    if (args.report_only or args.rerun) and previous.exists():
        seconds += json.loads(previous.read_text()).get("wall_seconds", 0)

    status = statuses()
    tried = {name: status.get(name, "not checked") for name in chosen}
    killed = sum(s in KILLED for s in tried.values())
    checked = sum(s != "not checked" for s in tried.values())
    survivors = sorted(name for name, s in tried.items() if s not in KILLED and s != "not checked")
    low, high = wilson(killed, checked)
    judged = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    equivalent = {name: judged[name] for name in survivors if name in judged}
    relevant = checked - len(equivalent)
    result = {
        "tool": "mutmut 3",
        "killing_suite": "docs/ (the pages' python blocks and the notebooks), nothing from tests/",
        "mutants_total": len(everything),
        "sampled": len(chosen),
        "seed": None if args.all else args.seed,
        "checked": checked,
        "killed": killed,
        "score": killed / checked if checked else None,
        "score_95ci": [low, high],
        "equivalent": equivalent,
        "score_non_equivalent": killed / relevant if relevant else None,
        "score_non_equivalent_95ci": list(wilson(killed, relevant)),
        "wall_seconds": round(seconds),
        "date": started.strftime("%Y-%m-%d"),
        "statuses": tried,
        "survivors": [
            {"name": name, "status": tried[name], "diff": text} for name, text in diffs(survivors).items()
        ],
    }
    if not checked:  # keep the last results: the pages' blocks read them
        print("no mutant was checked", file=sys.stderr)
        return 1
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mutation.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# Mutation score of the pages",
        "",
        f"{killed} of {checked} mutants killed by the pages alone: **{100 * result['score']:.1f} %** "
        f"(95 % interval {100 * low:.1f}-{100 * high:.1f} %); "
        f"{'every mutant' if args.all else f'a sample of {len(chosen)} of {len(everything)}, seed {args.seed}'}, "
        f"{result['date']}, {seconds / 60:.0f} min.",
        "",
        f"Without the {len(equivalent)} survivors judged equivalent (below): {killed} of {relevant}, "
        f"**{100 * killed / relevant:.1f} %** of the non-equivalent mutants.",
        "",
        "## Judged equivalent",
        "",
        *[f"- `{name}`: {reason}" for name, reason in equivalent.items()],
        "",
        "## Survivors",
        "",
    ]
    for entry in result["survivors"]:
        lines += [f"### `{entry['name']}` ({entry['status']})", "", "```diff", entry["diff"], "```", ""]
    (RESULTS / "mutation.md").write_text("\n".join(lines))
    print(lines[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
