"""Accessibility of the built site: axe-core on every page in light and dark mode, and wide
formulas scrolled from the keyboard. The playground used with the keyboard alone is tested in
test_playground.py, on the page its other tests share (Pyodide boots once).

axe-core (npm, pinned in package.json and package-lock.json; ``npm ci`` installs it) is put
into each page by Playwright from ``node_modules`` (inline: no request, no CDN) and run on
the whole document once the fonts have loaded. A page passes with no violation of serious or
critical impact (WCAG 2.x A and AA rules and axe's best practices alike).

Each page is loaded once: every rule runs in light mode; then the reader's palette toggle
switches it to dark mode and the rules that depend on colour run again (the document is the
same, only its colours change; the results equal those of a page loaded in dark mode).

On the Zensical build (``make build-zensical``) axe runs on one page of each kind
(``site.KINDS``), not on all 49: the pages' content is the same HTML from the same Markdown and
build steps, and the theme around it, which is what differs, is the same on every page.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests import site

AXE = site.ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHECKED = site.browser_pages()  # every page; one of each kind on the Zensical build
BLOCKING = ("serious", "critical")
# axe-core's rules that read colours (its "cat.color" tag): the ones a change of scheme can change
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
RUN_AXE = """async (rules) => {
    await document.fonts.ready;
    await new Promise(requestAnimationFrame);
    const options = {resultTypes: ["violations"]};
    if (rules) options.runOnly = {type: "rule", values: rules};
    const result = await axe.run(document, options);
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ")),
    }));
}"""


def violations(page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's violations on ``page`` as it is now (``rules``: only these; None: all)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(site.ROOT)} is missing: run `npm ci` (make install does)")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, rules)


def report(found: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}): {len(v['nodes'])} nodes, e.g. {v['nodes'][:3]}"
        for v in found
    )


def test_the_colour_rules_are_the_ones_axe_tags_color():
    """The dark-mode pass runs every rule of axe-core's "cat.color" tag (read from axe itself)."""
    script = f"const axe = require({json.dumps(str(AXE))}); " + (
        "console.log(JSON.stringify(axe.getRules(['cat.color']).map(r => r.ruleId)))"
    )
    shown = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    # color-contrast-enhanced is WCAG AAA, off unless asked for (as in the light-mode pass)
    enabled = [rule for rule in json.loads(shown.stdout) if rule != "color-contrast-enhanced"]
    assert sorted(enabled) == sorted(COLOUR_RULES)


# after the page's other checks: the page is left in dark mode (the next page loads in light)
@pytest.mark.last_in_group
@pytest.mark.parametrize("source", site.per_page(CHECKED))
def test_no_serious_or_critical_violation(loaded, source):
    visit = loaded(source)
    light = [v for v in violations(visit.page) if v["impact"] in BLOCKING]
    visit.switch_scheme("dark")
    dark = [v for v in violations(visit.page, COLOUR_RULES) if v["impact"] in BLOCKING]
    assert light == [], f"{source} in light mode:\n{report(light)}"
    assert dark == [], f"{source} in dark mode:\n{report(dark)}"


def test_a_formula_wider_than_the_page_scrolls_from_the_keyboard(browser, base_url):
    """On a phone-sized screen some display formulas overflow: each such one is focusable and
    named, the arrow key scrolls it; one that fits is no tab stop."""
    visit = site.Visit(
        browser, base_url + site.url_of("chain-rule.md"), wait_until="load", viewport=(360, 800)
    )
    try:
        page = visit.page
        page.evaluate("() => document.fonts.ready")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('article .nnspec-math')].map(b => ({
                overflows: b.scrollWidth > b.clientWidth + 1, tabindex: b.getAttribute('tabindex'),
                role: b.getAttribute('role'), label: b.getAttribute('aria-label')}))"""
        )
        wide = [box for box in boxes if box["overflows"]]
        narrow = [box for box in boxes if not box["overflows"]]
        assert wide and narrow, "expected formulas that overflow 360 px and formulas that fit"
        assert all(box["tabindex"] == "0" and box["role"] == "group" and box["label"] for box in wide)
        assert all(box["tabindex"] is None and box["role"] is None for box in narrow)
        first = page.locator("article .nnspec-math[tabindex='0']").first
        first.focus()
        assert first.evaluate("b => b.scrollLeft") == 0
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        # keyboard scrolling is animated: on a busy machine it may not have moved yet
        first.evaluate(
            """b => new Promise((moved, stuck) => {
                const start = performance.now();
                (function poll() {
                    if (b.scrollLeft > 0) moved();
                    else if (performance.now() - start > 10000) stuck(new Error('scrollLeft stayed 0'));
                    else requestAnimationFrame(poll);
                })();
            })"""
        )
    finally:
        visit.close()
