"""The built site as a reader's browser sees it: Debian's Chromium driven by Playwright.

Every page in the navigation is loaded once from a local server (the ``loaded`` fixture of
tests/conftest.py, shared with test_accessibility.py); the test records every request and
console message. On the Zensical build the browser loads one page of each kind
(``site.browser_pages``). Every page of both builds is also read from its HTML: each formula
of its source typeset, each exercise shown with its solution folded (the images' alt text and
the hosts a page loads from are checked by the build itself, ``sitebuild.checks``, and the
links by test_links.py). Outside CI, a missing Chromium skips these tests with one message; with
CI=true it fails them (tests/conftest.py finds the browser). Screenshots go to screenshots/
(git-ignored), or to $NNSPEC_SCREENSHOTS.
"""

from __future__ import annotations

import re

import pytest

from tests import site

PAGES = site.browser_pages()
EVERY_PAGE = site.nav_sources()
NOTEBOOKS = [page for page in PAGES if page.startswith("notebooks/")]
EXERCISES = site.exercises_by_page()
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[")


@pytest.mark.parametrize("source", site.per_page(PAGES))
def test_page_loads_cleanly_and_stays_local(loaded, base_url, source, screenshot_dir):
    page = loaded(source)
    shot = screenshot_dir / (source.replace("/", "_").rsplit(".", 1)[0] + ".png")
    page.page.screenshot(path=str(shot))  # what a reader sees first (a test artifact, not a check)
    assert page.errors == [], f"console errors on {source}"
    assert page.failures == [], f"failed requests on {source}"
    assert page.foreign_requests(base_url) == [], f"{source} requested another host"


@pytest.mark.parametrize("source", site.per_page(PAGES))
def test_every_formula_is_typeset(loaded, site_dir, source):
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
    # every formula of the page's HTML (test_every_formula_is_typeset_in_the_html counts them
    # against the source) is a MathML element of the page the browser shows
    typeset = page.locator("article math").count()
    assert typeset == sum(
        token.tag == "math" and token.kind == "start" for token in site.built_article(site_dir, source)
    )
    # each formula really has a box (MathML is rendered, not ignored)
    heights = page.evaluate(
        "() => [...document.querySelectorAll('article math')].map(m => m.getBoundingClientRect().height)"
    )
    assert all(height > 0 for height in heights)


@pytest.mark.parametrize("source", site.per_page(PAGES))
def test_figures_load_and_have_alt_text(loaded, source):
    page = loaded(source).page
    images = page.evaluate(
        """() => [...document.querySelectorAll('article img')].map(i => ({
            src: i.getAttribute('src'), alt: i.getAttribute('alt'), width: i.naturalWidth, complete: i.complete}))"""
    )
    for image in images:
        assert image["complete"] and image["width"] > 0, f"{source}: {image['src']} did not load"
        assert image["alt"] and image["alt"].strip(), f"{source}: {image['src']} has no alt text"


@pytest.mark.parametrize("source", site.per_page(NOTEBOOKS))
def test_notebook_pages_show_executed_outputs(loaded, source):
    page = loaded(source).page
    outputs = page.locator("article .nnspec-output")
    assert outputs.count() > 0
    assert outputs.filter(has_text="Traceback").count() == 0
    # the LaTeX a cell displays is typeset like the page's own formulas
    assert page.locator("article .nnspec-output math").count() > 0


def test_formulas_use_the_self_hosted_math_font(browser, base_url):
    visit = site.Visit(browser, base_url + site.url_of("chain-rule.md"))  # a fresh cache
    try:
        page = visit.page
        families = page.evaluate(
            "() => [...document.querySelectorAll('article math')].map(m => getComputedStyle(m).fontFamily)"
        )
        assert families and all(family.startswith('"STIX Two Math"') for family in families)
        page.evaluate("() => document.fonts.ready")
        loaded_faces = page.evaluate(
            "() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replaceAll('\"', ''))"
        )
        assert "STIX Two Math" in loaded_faces, f"the math font did not load: {loaded_faces}"
        assert base_url + "/fonts/stix-two-math.woff2" in visit.requests
    finally:
        visit.close()


def test_the_search_finds_a_page_by_a_word_on_it(browser, base_url):
    """The whole search index, loaded as a reader's browser loads it (the tab that visits every
    page serves a trimmed one): "/" opens the search, and a word that only a non-home page
    uses lists that page among the results."""
    visit = site.Visit(browser, base_url + "/")
    try:
        page = visit.page
        page.keyboard.press("/")
        page.keyboard.type("robbins")
        # a result links to its page with the words to highlight (both themes add ?h=)
        found = page.locator("a[href*='/learning-rate-practice/?h=robbins']")
        found.first.wait_for(state="attached", timeout=30_000)
        assert visit.errors == [] and visit.failures == []
    finally:
        visit.close()


@pytest.mark.parametrize("source", site.per_page([page for page in sorted(EXERCISES) if page in PAGES]))
def test_each_page_shows_its_exercises_with_their_solutions(loaded, source):
    """Every exercise of docs/exercises/<page>.md, in order, with its solution folded away and
    its answer field labelled (the checks themselves: tests/test_exercises_browser.py)."""
    page = loaded(source).page
    shown = page.locator("[data-exercise]").evaluate_all("nodes => nodes.map(n => n.dataset.exercise)")
    assert shown == [spec["id"] for spec in EXERCISES[source]]
    for spec in EXERCISES[source]:
        exercise = page.locator(f"[data-exercise='{spec['id']}']")
        solution = exercise.locator("details", has=page.locator("summary", has_text="Solution"))
        assert solution.get_attribute("open") is None
        assert solution.locator("[data-answer]").get_attribute("data-answer") == spec["answer"]
        if spec["kind"] == "choice":
            assert exercise.get_by_role("group", name="Your answer").get_by_role("radio").count() >= 2
        else:
            assert exercise.get_by_label("Your answer", exact=True).count() == 1
        assert exercise.get_by_role("button", name="Check").count() == 1


@pytest.mark.parametrize("source", EVERY_PAGE)
def test_every_formula_is_typeset_in_the_html(site_dir, source):
    """Each formula of the page's source is MathML in the built page, none left as TeX.

    A notebook's formulas are its Markdown cells' and its LaTeX outputs' (made by running it);
    an API reference page's come from docstrings and are not counted."""
    starts = [token for token in site.built_article(site_dir, source) if token.kind == "start"]
    assert not [token for token in starts if "arithmatex" in token.classes or token.tag == "merror"]
    expected = site.count_formulas(source)
    typeset = sum(token.tag == "math" for token in starts)
    if expected is not None:
        assert typeset == expected, f"{source}: {typeset} formulas typeset, {expected} in the source"


@pytest.mark.parametrize("source", sorted(EXERCISES))
def test_each_page_shows_its_exercises_in_the_html(site_dir, source):
    """Every page's exercises in its HTML, as the browser test sees them on the pages it loads:
    in order, the solution folded, the answer field labelled, a Check button."""
    shown = site.exercises_in_html(site.built_article(site_dir, source))
    assert [exercise["id"] for exercise in shown] == [spec["id"] for spec in EXERCISES[source]]
    for exercise, spec in zip(shown, EXERCISES[source]):
        assert exercise["solution_open"] is False and exercise["answer"] == spec["answer"], exercise
        if spec["kind"] == "choice":
            assert "Your answer" in exercise["legends"] and exercise["radios"] >= 2, exercise
        else:
            assert exercise["labels"].count("Your answer") == 1 and exercise["text_inputs"] == 1, exercise
        assert exercise["buttons"].count("Check") == 1, exercise
