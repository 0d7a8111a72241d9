"""Helpers for the tests of the built site: building it, serving it, listing its pages."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

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
    """Serves the site under ``prefix`` (as GitHub Pages serves it under /nnspec/); 404 elsewhere."""

    prefix = "/"

    def translate_path(self, path):
        route = urlsplit(path).path
        if not route.startswith(self.prefix):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, format, *args):
        pass


def serve(directory: Path, prefix: str = "/"):
    """Serve ``directory`` on 127.0.0.1 at a free port under the URL path ``prefix``.

    Returns ``(base_url, stop)``; ``base_url`` has no trailing slash (``http://127.0.0.1:PORT``
    or ``http://127.0.0.1:PORT/nnspec``), so ``base_url + url_of(source)`` is a page's address.
    """
    handler_class = type("Handler", (QuietHandler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}{prefix.rstrip('/')}", stop


MACOS_BUNDLES = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)


def find_chromium() -> Path | None:
    """The browser for the site tests: $NNSPEC_CHROMIUM, else chromium, chromium-browser or
    google-chrome on PATH, else macOS's app bundle; None when there is none."""
    chosen = os.environ.get("NNSPEC_CHROMIUM")
    if chosen:
        return Path(chosen) if Path(chosen).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((Path(bundle) for bundle in MACOS_BUNDLES if Path(bundle).is_file()), None)


FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


NAVIGATION_SECONDS = 180


class Visit:
    """One page load in a fresh browser context with everything the browser did recorded.

    ``requests`` holds every URL the page and its workers asked for, ``failures`` the failed
    requests and HTTP errors, ``errors`` console errors and uncaught exceptions.
    """

    def __init__(
        self,
        browser,
        url: str,
        *,
        color_scheme: str = "light",
        wait_until: str = "networkidle",
        init_script: str | None = None,
    ):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        # Nothing may leave the test server: any other request is recorded, then refused.
        origin = urlsplit(url)._replace(path="", query="", fragment="").geturl()
        self.context.route(
            lambda target: (
                not target.startswith(origin + "/") and urlsplit(target).scheme in ("http", "https")
            ),
            lambda route: route.abort("blockedbyclient"),
        )
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.on(
            "requestfailed", lambda request: self.failures.append(f"{request.url}: {request.failure}")
        )
        self.context.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failures.append(f"{response.url}: {response.status}")
            ),
        )
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # networkidle on the playground waits for Pyodide's whole download: slow on a busy machine
        self.page.goto(url, wait_until=wait_until, timeout=NAVIGATION_SECONDS * 1000)

    def foreign_requests(self, base_url: str) -> list[str]:
        """Requests that went anywhere but the test server (``data:`` and ``blob:`` are local)."""
        origin = urlsplit(base_url)._replace(path="", query="", fragment="").geturl()
        return sorted(
            {
                url
                for url in self.requests
                if not url.startswith(origin + "/") and urlsplit(url).scheme not in ("data", "blob")
            }
        )

    def close(self):
        self.context.close()
