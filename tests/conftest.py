"""Fixtures shared by the tests of the built site (test_site.py, test_links.py,
test_accessibility.py, test_playground.py, test_exercises_browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import site


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The built site: $NNSPEC_SITE_DIR when the caller built it already (make test does),
    otherwise a fresh strict MkDocs build, with the build steps, in a temporary folder."""
    path = site.given_site_dir()
    if path is not None:
        if not (path / "index.html").exists():
            pytest.fail(f"NNSPEC_SITE_DIR={path} holds no built site (no index.html)")
        return path
    return site.build(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def base_url(site_dir):
    url, stop = site.serve(site_dir)
    yield url
    stop()


@pytest.fixture(scope="module")
def server(site_dir):
    """The built site served under the sub-path it is published at (``/nnspec/``)."""
    url, stop = site.serve(site_dir, prefix="/nnspec/")
    yield url
    stop()


@pytest.fixture(scope="session")
def browser():
    """Chromium driven by Playwright. Outside CI a missing browser skips the test with one
    message; with CI=true it fails it."""
    chromium = site.find_chromium()
    if chromium is None:
        message = (
            f"no Chromium found ({site.LOOKED_FOR}): install it with `sudo apt-get install chromium`, "
            "or set NNSPEC_CHROMIUM to a Chromium/Chrome binary, to run the browser tests"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=site.FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def loaded(browser, base_url):
    """A page of the site, loaded (light mode, network idle) for the read-only checks of
    test_site.py and test_accessibility.py. One browser tab per test process goes from page to
    page, as a reader's does: a fresh context per page costs Chromium about 0.7 s more. ``make
    test`` sends each page's tests to one process together (``site.per_page``), so a page is
    loaded once for all of them."""
    tab: site.Visit | None = None
    shown: str | None = None

    def load(source: str) -> site.Visit:
        nonlocal tab, shown
        if tab is None:
            tab = site.Visit(browser, base_url + site.url_of(source))
        elif source != shown:
            tab.go(base_url + site.url_of(source))
        shown = source
        return tab

    yield load
    if tab is not None:
        tab.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where the browser tests save screenshots: $NNSPEC_SCREENSHOTS, else screenshots/ in the
    repository (git-ignored test artifacts, never committed)."""
    path = Path(os.environ.get("NNSPEC_SCREENSHOTS") or site.ROOT / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
