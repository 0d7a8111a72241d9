"""pytest plugin for mutation testing only: run each notebook's code cells in this process.

nbmake (the plugin `make test` uses) runs a notebook in a Jupyter kernel, a separate process,
so mutmut's in-process switch between mutants cannot reach it. Under `make mutate` this plugin
collects ``docs/notebooks/*.ipynb`` instead and executes their code cells in order, in one
namespace, in the test process: a cell that raises fails the notebook's test.

It also multiplies nnspec's wall-clock time limits (the SymPy work of ``ns.derive``,
``ns.chain_rule``, ``ns.parse``) by `SLACK`: on a loaded machine a correct page could
otherwise time out and count as a kill. A limit that is still hit is reported with the limit
the page asked for, so a page that shows a time-out (docs/expressions.md) reads the message
it documents.

And it empties nnspec's caches of compiled SymPy functions, and SymPy's own cache, when a run
starts: mutmut forks each mutant's run from a process that has already run every page, and a
function compiled there, or a SymPy result cached there (``evalf`` of a network function, say),
would hide a mutant of the code that made it.
"""

from __future__ import annotations

import json

import pytest

SLACK = 20


def pytest_configure(config):
    from nnspec import expressions
    from nnspec.errors import ExpressionTimeout
    from nnspec.expressions import parser as _parser
    from nnspec.expressions.time_limit import MAX_TIMEOUT, timeout_error

    for module in (_parser, expressions):
        limited = module.run_with_time_limit
        if getattr(limited, "slack", False):
            continue

        def patient(function, args, seconds, what, limited=limited):
            # None (no limit) and every value nnspec refuses pass through unchanged, so the
            # pages' blocks about refused limits see the refusal they document
            if not (type(seconds) in (int, float) and 0 < seconds <= MAX_TIMEOUT):
                return limited(function, args, seconds, what)
            try:
                return limited(function, args, min(seconds * SLACK, MAX_TIMEOUT), what)
            except ExpressionTimeout:
                raise timeout_error(what, seconds) from None

        patient.slack = True
        module.run_with_time_limit = patient


def pytest_sessionstart(session):
    from sympy.core.cache import clear_cache

    from nnspec import symbolic

    symbolic.clear_cache()
    clear_cache()


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".ipynb" and "notebooks" in file_path.parts:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="notebook")


class NotebookItem(pytest.Item):
    def runtest(self):
        cells = json.loads(self.path.read_text(encoding="utf-8"))["cells"]
        namespace = {"__name__": "__notebook__"}
        for number, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            exec(compile(source, f"{self.path.name}[cell {number}]", "exec"), namespace)  # our own notebooks

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
