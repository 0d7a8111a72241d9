"""Build step: render the site's figures from nnspec into ``docs/figures/*.svg`` (git-ignored).

Every module ``docs/figures/<topic>.py`` (except those starting with ``_``) registers functions
with ``@figure("name.svg")`` from ``docs/figures/_kit.py``; each returns a matplotlib Figure,
saved here as ``docs/figures/name.svg``. The generator (MkDocs or Zensical) copies the SVGs
like any other file of ``docs/``, and MkDocs' strict link check sees them. SVGs that no module
registers any more are deleted, so a renamed figure cannot linger.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import sys
from pathlib import Path

from .errors import BuildError
from .paths import DOCS

FIGURES = DOCS / "figures"


def registry(folder: Path = FIGURES) -> dict:
    """Import every figure module of ``folder``; return ``{name: function}`` in name order."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    kit = importlib.import_module("_kit")
    kit.REGISTRY.clear()
    for path in sorted(folder.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"nnspec_figures_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise BuildError(f"{path.relative_to(folder.parent.parent)}: cannot import: {error!r}") from error
    return dict(sorted(kit.REGISTRY.items()))


def render(make, style: dict) -> bytes:
    """Run one figure function under ``style``; return the SVG bytes (no timestamp in them)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(style):
        fig = make()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue()


def build(folder: Path = FIGURES) -> list[Path]:
    """Write every registered figure to ``folder``; return the files written."""
    makers = registry(folder)
    style = sys.modules["_kit"].STYLE
    written = []
    for name, make in makers.items():
        try:
            svg = render(make, style)
        except Exception as error:
            raise BuildError(f"figure {name} failed: {error!r}") from error
        target = folder / name
        if not target.exists() or target.read_bytes() != svg:
            target.write_bytes(svg)
        written.append(target)
    for stale in set(folder.glob("*.svg")) - set(written):
        stale.unlink()
    return written
