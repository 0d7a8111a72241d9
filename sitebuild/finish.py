"""Build step after the generator: each built page typeset and checked, the playground added.

Every HTML page of the built site is read once: the checks (:mod:`sitebuild.checks`) run on
it, its exercise blocks become interactive exercises first (:mod:`sitebuild.exercises`), its formulas become MathML (:mod:`sitebuild.mathml`) and it is written back if any were
found; the pages are shared between two processes (the parser is pure Python). Then the
playground's runtime and the math font are copied in (:mod:`sitebuild.playground`). Problems on
any page fail the step with the list of them.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import checks, exercises, mathml, playground
from . import html as markup
from .errors import BuildError

WORKERS = min(2, os.cpu_count() or 1)


def page(path: Path, where: str) -> tuple[int, list[str]]:
    """Check and typeset one page in place; return (formulas typeset, problems found)."""
    text = path.read_text(encoding="utf-8")
    pieces = markup.tokens(text)
    found = checks.problems(pieces, where)
    done, count = mathml.typeset(pieces, where)
    if count:
        path.write_text(done, encoding="utf-8")
    return count, found


def _page(arguments: tuple[Path, str]) -> tuple[int, list[str], str]:
    try:
        return (*page(*arguments), "")
    except BuildError as error:  # carried back as text: one failure lists with the others
        return 0, [], str(error)


def run(site: Path) -> tuple[int, int, int]:
    """Finish the site built in ``site``; return (pages, formulas, playground files)."""
    if not (site / "index.html").is_file():
        raise BuildError(f"{site} holds no built site (no index.html): run the generator first")
    # exercises first: their prompts and solutions hold formulas that the MathML step typesets
    try:
        exercises.main(site)
    except exercises.ExerciseError as error:
        raise BuildError(str(error)) from None
    paths = sorted(site.rglob("*.html"))
    jobs = [(path, str(path.relative_to(site))) for path in paths]
    with ProcessPoolExecutor(WORKERS) as pool:
        results = list(pool.map(_page, jobs, chunksize=4))
    errors = [error for *_, error in results if error]
    found = [line for _, lines, _ in results for line in lines]
    if errors:
        raise BuildError("\n  ".join(errors))
    if found:
        raise BuildError(f"{len(found)} problem(s) in the built site:\n  " + "\n  ".join(found[:20]))
    files = playground.build(site)
    return len(paths), sum(count for count, *_ in results), len(files)
