"""The built site as a reader's browser sees it: Debian's Chromium driven by Playwright.

Every page in the navigation is loaded from a local server; the test records every request
and console message. Outside CI, a missing Chromium skips these tests with one message; with
CI=true it fails them. Screenshots go to a temporary folder, or to $NNSPEC_SCREENSHOTS.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import site

CHROMIUM = Path(os.environ.get("NNSPEC_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = site.nav_sources()
NOTEBOOKS = [page for page in PAGES if page.endswith(".ipynb")]
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = (
            f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install chromium` "
            "(or set NNSPEC_CHROMIUM to a Chromium/Chrome binary) to run the browser tests"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    chosen = os.environ.get("NNSPEC_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


class Visit:
    """One page load with everything the browser did recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "requestfailed", lambda request: self.failures.append(f"{request.url}: {request.failure}")
        )
        self.page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failures.append(f"{response.url}: {response.status}")
            ),
        )
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url, wait_until="networkidle")

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def loaded(browser, base_url):
    """Each page loaded once per test process, shared by the read-only checks below."""
    cache: dict[str, Visit] = {}

    def load(source: str) -> Visit:
        if source not in cache:
            cache[source] = Visit(browser, base_url + site.url_of(source))
        return cache[source]

    yield load
    for page in cache.values():
        page.close()


@pytest.fixture
def visit(browser, base_url):
    """A fresh load, for checks that interact with the page."""
    opened = []

    def open_page(source: str) -> Visit:
        opened.append(Visit(browser, base_url + site.url_of(source)))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def _source_formula_count(source: str) -> int | None:
    """Formulas in a page's source: a Markdown page's, or a notebook's Markdown cells."""
    path = site.DOCS / source
    if source.endswith(".ipynb"):
        return site.count_formulas_in_notebook(path)
    text = path.read_text(encoding="utf-8")
    if ":::" in text:  # mkdocstrings page: its formulas come from docstrings, counted in the HTML
        return None
    return site.count_formulas_in_markdown(text)


@pytest.mark.parametrize("source", PAGES)
def test_page_loads_cleanly_and_stays_local(loaded, source, screenshot_dir):
    page = loaded(source)
    shot = screenshot_dir / (source.replace("/", "_").rsplit(".", 1)[0] + ".png")
    page.page.screenshot(path=str(shot), full_page=True)
    assert page.errors == [], f"console errors on {source}"
    assert page.failures == [], f"failed requests on {source}"
    foreign = sorted({url for url in page.requests if urlsplit(url).hostname not in ("127.0.0.1", None)})
    assert foreign == [], f"{source} requested third-party hosts"


@pytest.mark.parametrize("source", PAGES)
def test_every_formula_is_typeset(loaded, source):
    page = loaded(source).page
    visible = page.evaluate(
        """() => {
            const copy = document.querySelector('article').cloneNode(true);
            copy.querySelectorAll('pre, code, script, style, math').forEach(e => e.remove());
            return copy.textContent;
        }"""
    )
    assert not RAW_MATH.findall(visible), f"untypeset TeX delimiters on {source}"
    assert page.locator("article merror").count() == 0
    expected = _source_formula_count(source)
    if source.endswith(".ipynb"):
        # Markdown cells are counted against the notebook; LaTeX outputs (made by running it)
        # must each hold typeset math.
        typeset = page.locator("article .jp-MarkdownOutput math").count()
        latex_outputs = page.locator("article .jp-RenderedLatex")
        for index in range(latex_outputs.count()):
            assert latex_outputs.nth(index).locator("math").count() >= 1, (
                f"{source}: LaTeX output {index} untypeset"
            )
    else:
        typeset = page.locator("article math").count()
    if expected is not None:
        assert typeset == expected, f"{source}: {typeset} formulas typeset, {expected} in the source"
    # each formula really has a box (MathML is rendered, not ignored)
    heights = page.evaluate(
        "() => [...document.querySelectorAll('article math')].map(m => m.getBoundingClientRect().height)"
    )
    assert all(height > 0 for height in heights)


@pytest.mark.parametrize("source", PAGES)
def test_figures_load_and_have_alt_text(loaded, source):
    page = loaded(source).page
    images = page.evaluate(
        """() => [...document.querySelectorAll('article img')].map(i => ({
            src: i.getAttribute('src'), alt: i.getAttribute('alt'), width: i.naturalWidth, complete: i.complete}))"""
    )
    for image in images:
        assert image["complete"] and image["width"] > 0, f"{source}: {image['src']} did not load"
        assert image["alt"] and image["alt"].strip(), f"{source}: {image['src']} has no alt text"


def test_search_for_glorot_offers_the_initialization_page(visit):
    page = visit("index.md").page
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("glorot", delay=30)
    page.wait_for_selector(".md-search-result__item a", timeout=15000)
    hrefs = page.locator(".md-search-result__item a").evaluate_all("links => links.map(a => a.href)")
    target = next(
        (href for href in hrefs if urlsplit(href).path.rstrip("/").endswith("/initialization")), None
    )
    assert target is not None, f"no result for the initialization page among {hrefs}"
    page.locator(f".md-search-result__item a[href='{target}']").first.click()
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path.rstrip("/").endswith("/initialization")
    assert "initialized" in page.locator("h1").first.inner_text()


@pytest.mark.parametrize("source", NOTEBOOKS)
def test_notebook_pages_show_executed_outputs(loaded, source):
    page = loaded(source).page
    assert page.locator(".jp-OutputArea-output").count() > 0
    assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert page.locator(".jp-OutputArea-output:has-text('Traceback')").count() == 0


def test_light_dark_toggle_changes_the_background(visit):
    page = visit("index.md").page
    background = "() => getComputedStyle(document.body).backgroundColor"
    before = page.evaluate(background)
    page.locator("label[for^='__palette']:visible").first.click()
    page.wait_for_function(
        f"() => getComputedStyle(document.body).backgroundColor !== '{before}'", timeout=5000
    )
    after = page.evaluate(background)
    assert after != before
    page.locator("label[for^='__palette']:visible").first.click()
    page.wait_for_function(
        f"() => getComputedStyle(document.body).backgroundColor === '{before}'", timeout=5000
    )
