"""pytest plugin for mutation testing only: run each notebook's code cells in this process.

nbmake (the plugin `make test` uses) runs a notebook in a Jupyter kernel, a separate process,
so mutmut's in-process switch between mutants cannot reach it. Under `make mutate` this plugin
collects ``docs/notebooks/*.ipynb`` instead and executes their code cells in order, in one
namespace, in the test process: a cell that raises fails the notebook's test.
"""

from __future__ import annotations

import json

import pytest


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
