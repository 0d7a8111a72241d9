"""Serve a built site locally under its URL path, and rebuild it when a source changes.

``python -m sitebuild serve site`` serves ``site/`` at ``http://127.0.0.1:8000/nnspec/`` (the
path of ``site_url`` in mkdocs.yml, as GitHub Pages serves it) and, once a second, looks at the
modification times of ``docs/``, ``nnspec/``, ``sitebuild/`` and ``mkdocs.yml``: after a change
it runs the rebuild command (``make build``; about a minute, the notebooks are executed again)
and serves the new site. The tests serve the built site with the same :class:`Handler`.
"""

from __future__ import annotations

import functools
import http.server
import shlex
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .paths import DOCS, ROOT

WATCHED = (DOCS, ROOT / "nnspec", ROOT / "sitebuild", ROOT / "mkdocs.yml")
# Written by the build itself: watching them would rebuild forever.
GENERATED = ("docs/figures/*.svg", "docs/notebooks/*.md")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` under the URL path ``prefix``; 404 anywhere else. Quiet."""

    prefix = "/"

    def translate_path(self, path):
        route = urlsplit(path).path
        if not route.startswith(self.prefix):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, format, *args):
        pass


def start(directory: Path, prefix: str = "/", port: int = 0):
    """Serve ``directory`` on 127.0.0.1 (``port`` 0: a free one) under ``prefix`` in a thread.

    Returns ``(base_url, stop)``; ``base_url`` has no trailing slash.
    """
    handler_class = type("PrefixHandler", (Handler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}{prefix.rstrip('/')}", stop


def site_prefix(config: Path = ROOT / "mkdocs.yml") -> str:
    """The URL path of ``site_url`` in mkdocs.yml, e.g. ``/nnspec/``."""
    url = yaml.safe_load(config.read_text(encoding="utf-8")).get("site_url") or "/"
    return urlsplit(url).path or "/"


def snapshot() -> dict[Path, float]:
    """Modification time of every watched source file (generated files left out)."""
    generated = {path for pattern in GENERATED for path in ROOT.glob(pattern)}
    times = {}
    for watched in WATCHED:
        files = [watched] if watched.is_file() else watched.rglob("*")
        for path in files:
            if path.is_file() and path not in generated and "__pycache__" not in path.parts:
                times[path] = path.stat().st_mtime
    return times


def run(site: Path, port: int, rebuild: str) -> int:
    """Serve ``site`` until interrupted, rebuilding it with ``rebuild`` after each change."""
    url, stop = start(site.resolve(), site_prefix(), port)
    print(f"Serving {site} at {url}/ (Ctrl-C stops); rebuilding with `{rebuild}` on change")
    seen = snapshot()
    try:
        while True:
            time.sleep(1.0)
            now = snapshot()
            if now != seen:
                print("A source changed: rebuilding ...", flush=True)
                result = subprocess.run(shlex.split(rebuild), cwd=ROOT, check=False)
                print("Rebuilt." if result.returncode == 0 else "The rebuild failed; serving the last site.")
                seen = snapshot()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0
