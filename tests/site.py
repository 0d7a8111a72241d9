"""Helpers for the tests of the built site: building it, serving it, listing its pages."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def nav_sources(config_path: Path = ROOT / "mkdocs.yml") -> list[str]:
    """Every page in mkdocs.yml's navigation, as source paths relative to docs/."""
    text = config_path.read_text(encoding="utf-8")
    nav = yaml.safe_load(text)["nav"]
    pages: list[str] = []

    def walk(item):
        if isinstance(item, str):
            pages.append(item)
        elif isinstance(item, list):
            for child in item:
                walk(child)
        elif isinstance(item, dict):
            for child in item.values():
                walk(child)

    walk(nav)
    return [page for page in pages if page.endswith((".md", ".ipynb"))]


def url_of(source: str) -> str:
    """Site path of a page source under use_directory_urls: 'a/b.md' -> '/a/b/'."""
    stem = re.sub(r"\.(md|ipynb)$", "", source)
    if stem == "index":
        return "/"
    if stem.endswith("/index"):
        return "/" + stem[: -len("index")]
    return f"/{stem}/"


FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]+`")
DISPLAY = re.compile(r"\$\$.+?\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?(?<![\\$])\$")


def count_formulas_in_markdown(text: str) -> int:
    """Number of $...$ and $$...$$ formulas outside code, as arithmatex finds them."""
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    displays = len(DISPLAY.findall(text))
    return displays + len(INLINE.findall(DISPLAY.sub("", text)))


def count_formulas_in_notebook(path: Path) -> int:
    """Formulas in a notebook's Markdown cells (outputs are made when the build runs it)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return sum(
        count_formulas_in_markdown("".join(cell["source"]))
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
    )


def build(destination: Path) -> Path:
    """Build the site strictly into ``destination`` (notebooks executed)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(destination)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return destination


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 at a free port; returns (base_url, stop)."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", stop
