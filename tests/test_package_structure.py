"""Structure of the package: no module reaches into another module's private names.

A private name is one with a single leading underscore (``_cache``, ``_value``); dunders
are public protocol. A module may use its own private names freely, and subclasses use
their base class's hooks through ``self``/``cls``/``super()``. What is refused, read
from the source with `ast`:

* ``from .module import _name`` (importing a private function, class or constant) --
  importing a private *module* (``from . import _blas``) or a public name from one
  (``from ._erf import erf``) is how DESIGN.md splits the package, and is allowed;
* ``obj._name`` or ``getattr(obj, "_name")`` on anything but ``self``/``cls``/``super()``
  when no definition of ``_name`` (a function, class, assignment or ``self._name = ...``)
  is in the same module -- the object then comes from another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnspec"
OWNERS = {"self", "cls"}
#: Private names of *other libraries* whose documentation makes them the public protocol.
#: SymPy's printing guide says of a custom ``_sympystr``/``_latex`` method: "Always use
#: printer._print()" for sub-expressions (sympy/printing/printer.py, module docstring).
EXTERNAL_PROTOCOL = {"printer._print"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.AST) -> set[str]:
    """Every name the module defines: functions, classes, assignments, ``self.x = ...``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)
    return names


def _is_owner(node: ast.AST) -> bool:
    """``self``, ``cls`` or ``super()``: a class reaching its own (or inherited) hooks."""
    if isinstance(node, ast.Name):
        return node.id in OWNERS
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _module_exists(package: Path, dotted: str) -> bool:
    path = package.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(path: Path, package: Path = PACKAGE) -> list[str]:
    """``["file:line: what", ...]`` for the cross-module private accesses in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = _defined_names(tree)
    where = path.relative_to(package.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = ("." * node.level) + (node.module or "")
            base = node.module or ""
            for alias in node.names:
                if not _private(alias.name):
                    continue
                dotted = f"{base}.{alias.name}" if base else alias.name
                if node.level and _module_exists(path.parent, dotted):
                    continue  # a private module, imported as a module
                found.append(f"{where}:{node.lineno}: imports {alias.name} from {source}")
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            exempt = ast.unparse(node) in EXTERNAL_PROTOCOL
            if not (exempt or _is_owner(node.value) or node.attr in own):
                found.append(f"{where}:{node.lineno}: reads {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and not _is_owner(node.args[0])
            and node.args[1].value not in own
        ):
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_reaches_into_another_modules_private_names(path):
    assert violations(path) == []


def test_the_check_finds_planted_violations(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "_helper.py").write_text("def _secret():\n    return 1\n\ndef public():\n    return 2\n")
    (package / "mine.py").write_text(
        "from . import _helper\n"
        "from ._helper import public\n"
        "from ._helper import _secret\n"
        "import numpy as np\n"
        "class Mine:\n"
        "    def __init__(self):\n"
        "        self._cache = None\n"
        "    def run(self, other, layer):\n"
        "        layer._cache = other._cache\n"  # same module's private attribute: fine
        "        x = self._cache or super()._parent_hook()\n"
        "        y = other._value(x)\n"  # defined in no line of this module
        "        return getattr(layer, '_grad'), _helper._secret(), np.__name__\n"
    )
    found = violations(package / "mine.py", package)
    assert sorted(line.split(": ", 1)[1] for line in found) == [
        "getattr(layer, '_grad')",
        "imports _secret from ._helper",
        "reads _helper._secret",
        "reads other._value",
    ]
    assert violations(package / "_helper.py", package) == []
