"""MkDocs hook: make the site's figures from nnspec at build time (never committed images).

Every module in docs/figures/ (except those starting with ``_``) registers functions with
``@figure("name.svg")``; each is run and saved as SVG to ``figures/name.svg`` in the built
site, and added to MkDocs' file list so that links to it are validated like any page.
Pages must give every image alt text: an ``<img>`` without it fails the build.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

FIGURES = Path(__file__).resolve().parent.parent / "figures"
IMAGE = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\balt="([^"]*)"')


def _load_registry() -> dict:
    if str(FIGURES) not in sys.path:
        sys.path.insert(0, str(FIGURES))
    kit = importlib.import_module("_kit")
    kit.REGISTRY.clear()
    for path in sorted(FIGURES.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"nnspec_figures_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return dict(kit.REGISTRY)


def render_all() -> dict[str, bytes]:
    """Run every registered figure function; return {name: SVG bytes}."""
    registry = _load_registry()
    import matplotlib.pyplot as plt
    from _kit import STYLE

    rendered = {}
    for name, make in registry.items():
        with plt.rc_context(STYLE):
            try:
                fig = make()
            except Exception as error:
                raise PluginError(f"figure {name} failed: {error!r}") from error
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            plt.close(fig)
        rendered[name] = buffer.getvalue()
    return rendered


def on_files(files, config):
    for name, svg in render_all().items():
        files.append(File.generated(config, f"figures/{name}", content=svg))
    return files


def on_page_content(html, page, config, files):
    for tag in IMAGE.findall(html):
        alt = ALT.search(tag)
        if not alt or not alt.group(1).strip():
            raise PluginError(f"{page.file.src_uri}: image without alt text: {tag}")
    return html
