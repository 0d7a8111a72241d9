"""Fixtures shared by the tests of the built site (test_site.py, test_links.py,
test_accessibility.py, test_playground.py, test_exercises_browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import site

UNGROUPED = pytest.StashKey[set]()


def _group_of(item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep the tests of one page (one ``xdist_group``) next to each other, in file order (those
    marked ``last_in_group`` after the others), and note the grouped tests pytest-xdist's
    ``--dist loadgroup`` failed to keep in one process.

    Collection order is file by file: every page's accessibility test, then every page's first
    test_site.py test, and so on. The shared tab (``loaded``) would then load each page once per
    test, about a second each time; grouped, each page is loaded once for all its checks.

    pytest-xdist marks a grouped test by appending "@group" to its node id; with pytest 9.2 that
    no longer takes effect (pytest-xdist#1386) and the groups are silently spread over the
    processes: each page loaded once per test again, the playground's Python booted twice.
    Those tests then fail (``_groups_hold``) rather than pass slowly."""
    if hasattr(config, "workerinput") and getattr(config.option, "loadgroup", False):
        config.stash[UNGROUPED] = {
            item.nodeid
            for item in items
            if (group := _group_of(item)) and not item.nodeid.endswith("@" + group)
        }
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        group = _group_of(item)
        if group is not None:
            first_seen.setdefault(group, index)
    position = {id(item): index for index, item in enumerate(items)}
    items.sort(
        key=lambda item: (
            first_seen.get(_group_of(item), position[id(item)]),
            item.get_closest_marker("last_in_group") is not None,
            position[id(item)],
        )
    )


@pytest.fixture(autouse=True)
def _groups_hold(request):
    """Fails a grouped test that pytest-xdist spread over the processes (see above)."""
    if request.node.nodeid in request.config.stash.get(UNGROUPED, set()):
        pytest.fail(
            f"pytest {pytest.__version__} with this pytest-xdist does not keep an xdist_group in one "
            "process under --dist loadgroup (pytest-xdist#1386): install pytest<9.2, as "
            "pyproject.toml's test extra asks",
            pytrace=False,
        )


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
    loaded once for all of them. The tab serves the search index cut down to the home page's
    entries (``site.Visit``): building the whole one costs Chromium 0.3-0.6 s per page. Each
    page loads in light mode; the accessibility test, which switches the page to dark mode,
    runs last on its page (``last_in_group``), so the page is never switched back."""
    tab: site.Visit | None = None
    shown: str | None = None

    def load(source: str) -> site.Visit:
        nonlocal tab, shown
        if tab is None:
            tab = site.Visit(
                browser, base_url + site.url_of(source), trim_search_index=True, forget_palette=True
            )
        elif source != shown:
            tab.go(base_url + site.url_of(source))
            if tab.scheme != "light":
                pytest.fail(f"{source} loaded in dark mode: the palette of an earlier page was kept")
        elif tab.scheme != "light":  # a check after the dark-mode pass (run last, as a rule)
            tab.switch_scheme("light")
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
