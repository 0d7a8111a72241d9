"""Helpers for the tests of the built site: building it, serving it, listing its pages.

The browser is found, the site served and its HTML read by the build's own modules
(``sitebuild.browser``, ``sitebuild.serve``, ``sitebuild.html``), so the tests and the build
share one implementation of each.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sitebuild import exercises
from sitebuild import html as markup
from sitebuild import serve as serving
from sitebuild.browser import LOOKED_FOR as LOOKED_FOR
from sitebuild.browser import find_chromium as find_chromium

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


def given_site_dir() -> Path | None:
    """The built site named by $NNSPEC_SITE_DIR (relative to the repository), or None: then the
    tests build the site themselves, with MkDocs (tests/conftest.py)."""
    given = os.environ.get("NNSPEC_SITE_DIR")
    if not given:
        return None
    path = Path(given)
    return path if path.is_absolute() else ROOT / path


def built_by(site_dir: Path | None) -> str:
    """The generator that built ``site_dir``, from its home page's ``<meta name="generator">``:
    "mkdocs" or "zensical" (None, a site still to be built by the tests: "mkdocs")."""
    if site_dir is None:
        return "mkdocs"
    home = site_dir / "index.html"
    if not home.is_file():
        return "unknown"
    match = re.search(r'<meta name="generator" content="([a-z]+)', home.read_text("utf-8"))
    return match.group(1) if match else "unknown"


# One page of each kind: the home page, a teaching page (figures, exercises, wide formulas),
# the longest specification page, an executed notebook, the playground, an API reference
# page (mkdocstrings) and the command-line reference.
KINDS = [
    "index.md",
    "chain-rule.md",
    "specification/losses.md",
    "notebooks/backprop-by-hand.md",
    "playground.md",
    "reference/gradcheck.md",
    "cli-reference.md",
]


def browser_pages() -> list[str]:
    """The pages the browser tests load, one by one: every page of the navigation on the MkDocs
    build (the published site); on the Zensical build, one page of each kind (``KINDS``). Its
    pages hold the same HTML from the same Markdown and build steps, and the theme around them
    is the same on every page; test_site.py reads every page from its HTML too."""
    return list(KINDS) if built_by(given_site_dir()) == "zensical" else nav_sources()


def exercises_by_page() -> dict[str, list[dict]]:
    """Each page's exercises as sitebuild reads them: docs/exercises/<page>.md is shown on
    <page>.md, so the keys are page sources ("chain-rule.md")."""
    return {
        f"{path.stem}.md": exercises.source_exercises(path)
        for path in sorted((DOCS / "exercises").glob("*.md"))
    }


def per_page(sources: list[str]) -> list:
    """``sources`` as parameters that keep each page's tests in one test process (``make test``
    runs ``--dist loadgroup``): the page is then loaded once for all its checks."""
    import pytest

    return [
        pytest.param(source, id=source, marks=pytest.mark.xdist_group(f"page {source}")) for source in sources
    ]


def url_of(source: str) -> str:
    """Site path of a page source under use_directory_urls: 'a/b.md' -> '/a/b/'."""
    stem = re.sub(r"\.(md|ipynb)$", "", source)
    if stem == "index":
        return "/"
    if stem.endswith("/index"):
        return "/" + stem[: -len("index")]
    return f"/{stem}/"


@functools.cache
def _markdown():
    """A Markdown converter with the extensions and options mkdocs.yml gives the generators
    (made once: loading the extensions takes longer than converting a page; reset before use)."""
    import markdown

    names, configs = [], {}
    for item in yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        names.append(name)
        if options:
            configs[name] = options
    return markdown.Markdown(extensions=names, extension_configs=configs)


def count_formulas(source: str) -> int | None:
    """Formulas in a page's source, as the generators' arithmatex finds them: the page is
    converted with mkdocs.yml's Markdown extensions and its formula elements are counted.

    Exercises are counted as the build renders them (:mod:`sitebuild.exercises`).
    A notebook is counted in the page the site build wrote from it (``docs/notebooks/x.md``:
    its Markdown cells and LaTeX outputs). None for a mkdocstrings page: its formulas come
    from docstrings.
    """
    path = DOCS / source
    if source.endswith(".ipynb"):
        path = path.with_suffix(".md")
    text = path.read_text(encoding="utf-8")
    if ":::" in text:
        return None
    # exercise blocks (included from docs/exercises/) become prompts, hints and solutions with
    # formulas of their own in the build's last step, as they do here
    rendered = exercises.expand(_markdown().reset().convert(text), source)
    return sum(
        1
        for token in markup.tokens(rendered)
        if token.kind == "start" and token.tag in ("span", "div") and "arithmatex" in token.classes
    )


def built_article(site_dir: Path, source: str) -> list:
    """The tokens of the built page's ``<article>`` (its content, without the theme around it)."""
    page = site_dir / url_of(source).strip("/") / "index.html"
    pieces = markup.tokens(page.read_text(encoding="utf-8"))
    start = next(i for i, t in enumerate(pieces) if t.tag == "article" and t.kind == "start")
    depth = 0
    for end in range(start, len(pieces)):
        if pieces[end].tag == "article":
            depth += {"start": 1, "end": -1}.get(pieces[end].kind, 0)
            if depth == 0:
                return pieces[start : end + 1]
    raise ValueError("the page's <article> has no end tag")


# the elements whose text exercises_in_html reads, and where it keeps it
_READ_TEXT_OF = {"label": "labels", "legend": "legends", "button": "buttons"}


def exercises_in_html(pieces: list) -> list[dict]:
    """Each exercise a built page shows, read from its HTML tokens: its id, whether its solution
    is folded, the solution's answer, its answer field's label and its buttons."""
    found: list[dict] = []
    current: dict | None = None
    inside: list[str] = []  # the open elements whose text is being read
    for token in pieces:
        if token.kind in ("start", "startend") and token.attr("data-exercise"):
            current = {
                "id": token.attr("data-exercise"),
                "solution_open": None,
                "answer": None,
                "labels": [],
                "legends": [],
                "radios": 0,
                "text_inputs": 0,
                "buttons": [],
            }
            found.append(current)
        if current is None:
            continue
        if token.kind in ("start", "startend"):
            if token.tag == "details" and "nnspec-exercise-solution" in token.classes:
                current["solution_open"] = token.attr("open") is not None
            if token.attr("data-answer") is not None:
                current["answer"] = token.attr("data-answer")
            if token.tag == "input":
                kind = token.attr("type")
                current["radios" if kind == "radio" else "text_inputs"] += kind in ("radio", "text")
            if token.kind == "start" and token.tag in _READ_TEXT_OF:
                inside.append(token.tag)
                current[_READ_TEXT_OF[token.tag]].append("")
        elif token.kind == "end" and inside and token.tag == inside[-1]:
            inside.pop()
        elif token.kind == "text" and inside:
            current[_READ_TEXT_OF[inside[-1]]][-1] += markup.text_content(token.raw)
    return found


def build(destination: Path) -> Path:
    """Build the site strictly into ``destination`` as ``make build`` does: the build steps
    before (figures, notebooks executed), MkDocs, the build steps after (MathML, playground)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    for command in (
        [sys.executable, "-m", "sitebuild", "prepare"],
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(destination)],
        [sys.executable, "-m", "sitebuild", "finish", str(destination)],
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True)
    return destination


def serve(directory: Path, prefix: str = "/"):
    """Serve ``directory`` on 127.0.0.1 at a free port under the URL path ``prefix``.

    Returns ``(base_url, stop)``; ``base_url`` has no trailing slash (``http://127.0.0.1:PORT``
    or ``http://127.0.0.1:PORT/nnspec``), so ``base_url + url_of(source)`` is a page's address.
    """
    return serving.start(directory, prefix)


FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


NAVIGATION_SECONDS = 180
# The theme stores the reader's palette choice under "<site path>.__palette" (MkDocs Material
# and Zensical alike); dropped before the page's own scripts read it.
FORGET_PALETTE = """for (const key of Object.keys(localStorage)) {
    if (key.endsWith(".__palette")) localStorage.removeItem(key);
}"""
# The theme's full-text search index: one file for the whole site (MkDocs Material:
# search/search_index.json; Zensical: search.json), fetched and indexed on every page load.
SEARCH_INDEX = re.compile(r"/search(/search_index)?\.json$")


class Visit:
    """One page load in a fresh browser context with everything the browser did recorded.

    ``requests`` holds every URL the page and its workers asked for, ``failures`` the failed
    requests and HTTP errors, ``errors`` console errors and uncaught exceptions.

    ``trim_search_index``: answer the search index's request with the real file cut down to
    the home page's entries. Every page load starts the theme's search worker, which builds a
    full-text index of the whole site: about 0.6 s of Chromium's CPU per page with MkDocs
    Material, 0.3 s with Zensical, 40 % and 20 % of a page load. The tab that goes through
    every page (``loaded``) trims it; the whole index is searched in test_site.py.

    ``forget_palette``: each page loads in the system's scheme (``color_scheme``), whatever a
    toggle chose on an earlier page (the theme keeps that choice in the browser's storage).
    """

    def __init__(
        self,
        browser,
        url: str,
        *,
        color_scheme: str = "light",
        wait_until: str = "networkidle",
        init_script: str | None = None,
        viewport: tuple[int, int] = (1280, 900),
        trim_search_index: bool = False,
        forget_palette: bool = False,
    ):
        width, height = viewport
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=color_scheme
        )
        if init_script:
            self.context.add_init_script(init_script)
        if forget_palette:
            self.context.add_init_script(FORGET_PALETTE)
        self.page = self.context.new_page()
        # Nothing may leave the test server: any other request is recorded, then refused.
        origin = urlsplit(url)._replace(path="", query="", fragment="").geturl()
        self.context.route(
            lambda target: (
                not target.startswith(origin + "/") and urlsplit(target).scheme in ("http", "https")
            ),
            lambda route: route.abort("blockedbyclient"),
        )
        if trim_search_index:
            self.context.route(
                lambda target: SEARCH_INDEX.search(urlsplit(target).path) is not None,
                self._serve_trimmed_search_index,
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

    @staticmethod
    def _serve_trimmed_search_index(route) -> None:
        response = route.fetch()
        index = response.json()
        # MkDocs Material lists the entries under "docs", Zensical under "items"
        [entries] = [key for key, value in index.items() if isinstance(value, list)]
        index[entries] = [entry for entry in index[entries] if entry["location"].split("#")[0] == ""]
        route.fulfill(response=response, json=index)

    def go(self, url: str, *, wait_until: str = "networkidle") -> None:
        """Load another page of the same site in this context, recording afresh (what the browser
        cached from earlier pages, fonts and scripts, is not asked for again)."""
        self.requests.clear()
        self.failures.clear()
        self.errors.clear()
        self.page.goto(url, wait_until=wait_until, timeout=NAVIGATION_SECONDS * 1000)

    def switch_scheme(self, scheme: str) -> None:
        """Switch the page to "dark" or "light" as a reader does, with the palette toggle in the
        header; wait until it applies. (The page's colours then equal those of a page loaded
        in that scheme: axe's colour rules pass and fail the same nodes on both.)"""
        label = "Switch to dark mode" if scheme == "dark" else "Switch to light mode"
        wanted = "slate" if scheme == "dark" else "default"
        self.page.locator(f"[title='{label}']:visible").click()
        self.page.wait_for_function(
            "wanted => document.body.getAttribute('data-md-color-scheme') === wanted", arg=wanted
        )

    @property
    def scheme(self) -> str:
        """The scheme the page shows: "light" or "dark"."""
        return "dark" if self.page.get_attribute("body", "data-md-color-scheme") == "slate" else "light"

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
