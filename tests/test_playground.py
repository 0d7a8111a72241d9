"""The playground as a reader uses it: Chromium opens the page, fills the labelled fields,
presses Differentiate and reads the live region; every answer is compared with nnspec run in
Python on the same input.

The site is served under /nnspec/, as on GitHub Pages. One page serves the whole module
(Pyodide takes seconds to boot on two cores), so the tests share a browser page and run in
one process (``xdist_group``; ``make test`` passes ``--dist loadgroup``).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import zipfile
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sympy as sp

import nnspec as ns
from tests import site

pytestmark = pytest.mark.xdist_group("playground")

PINS = site.ROOT / "sitebuild" / "playground-wheels.txt"
BOOT_SECONDS = 180  # generous: Pyodide boots in ~15 s here, far longer on a loaded machine
SHARED = {"expr": "sin(x**2)", "wrt": "x", "at": "x=0.5"}
# Records every text the loading status shows, from before the page's own script runs.
RECORD_STATUS = """
window.nnspecStatuses = [];
new MutationObserver(() => {
  const status = document.getElementById("nnspec-status");
  const text = status && status.textContent;
  const seen = window.nnspecStatuses;
  if (text && seen[seen.length - 1] !== text) seen.push(text);
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
LIVE = "article [aria-live='polite']"


def wait_until_ready(page):
    page.wait_for_function(
        """() => {
            const text = document.getElementById('nnspec-status').textContent;
            if (text.includes('failed')) throw new Error(text);
            return text.startsWith('Ready');
        }""",
        timeout=BOOT_SECONDS * 1000,
        polling=200,
    )


def wait_for_answer(page, previous, timeout=BOOT_SECONDS):
    """Wait until the live region holds a new, finished answer (not the one in ``previous``)."""
    page.wait_for_function(
        """([selector, previous]) => {
            const live = document.querySelector(selector);
            return !live.hasAttribute('aria-busy') && live.textContent.trim() !== ''
                && live.innerHTML !== previous;
        }""",
        arg=[LIVE, previous],
        timeout=timeout * 1000,
        polling=100,
    )


def differentiate(page, expr, wrt, at="", *, steps=False, simplify="auto", time_limit=None):
    page.get_by_label("Expression", exact=True).fill(expr)
    page.get_by_label("With respect to", exact=True).fill(wrt)
    page.get_by_label("At", exact=True).fill(at)
    page.get_by_label("Simplify", exact=True).select_option(simplify)
    if time_limit is not None:
        page.get_by_label("Time limit (s)").fill(str(time_limit))
    page.get_by_label("chain-rule steps").set_checked(steps)
    previous = page.locator(LIVE).inner_html()
    page.get_by_role("button", name="Differentiate").click()
    wait_for_answer(page, previous)
    return page.locator(LIVE)


def shown_partials(live) -> dict[str, dict]:
    """What the live region shows for each partial derivative."""
    return live.evaluate(
        """live => Object.fromEntries([...live.querySelectorAll('[data-name]')].map(s => [s.dataset.name, {
            text: s.querySelector('code').textContent,
            mathHeight: s.querySelector('math') ? s.querySelector('math').getBoundingClientRect().height : 0,
            mathFont: s.querySelector('math') ? getComputedStyle(s.querySelector('math')).fontFamily : '',
            merrors: s.querySelectorAll('merror').length,
            simplify: s.querySelector('.nnspec-simplify').textContent,
            value: s.querySelector('.nnspec-partial-value')
                ? s.querySelector('.nnspec-partial-value').textContent : null,
        }]))"""
    )


def assert_same_math(shown_text: str, expected: sp.Expr):
    """The copyable text, read back by nnspec's parser, equals ``expected`` mathematically."""
    assert sp.simplify(ns.parse(shown_text) - expected) == 0, f"{shown_text!r} != {expected}"


def shown_number(text: str) -> float:
    """The number at the end of a line such as 'Value at the point: 0.25' or '...: f = 0.5'."""
    return float(re.split(r"[:=]", text)[-1])


@pytest.fixture(scope="module")
def playground(browser, server, screenshot_dir):
    """The playground opened from a shared link, once for the module."""
    visit = site.Visit(
        browser, f"{server}/playground/?{urlencode(SHARED)}", wait_until="load", init_script=RECORD_STATUS
    )
    wait_until_ready(visit.page)
    wait_for_answer(visit.page, "")
    yield visit
    visit.page.screenshot(path=str(screenshot_dir / "playground.png"), full_page=True)
    visit.close()


def test_loading_starts_with_the_page_and_shows_each_stage(playground):
    statuses = playground.page.evaluate("() => window.nnspecStatuses")
    stages = [
        next((i for i, text in enumerate(statuses) if word in text), None)
        for word in ("Pyodide", "SymPy", "nnspec", "Ready")
    ]
    assert None not in stages and stages == sorted(stages), statuses
    # the ready line names what was loaded: the pinned wheels and the checkout's nnspec
    pins = dict(re.findall(r"^([a-z]+)==(\S+)", PINS.read_text(encoding="utf-8"), re.MULTILINE))
    ready = statuses[-1]
    assert f"SymPy {pins['sympy']}," in ready and f"mpmath {pins['mpmath']}," in ready, ready
    assert f"nnspec {importlib.metadata.version('nnspec')}," in ready, ready


def test_a_shared_link_fills_the_fields_and_shows_its_derivative(playground):
    page = playground.page
    assert page.get_by_label("Expression", exact=True).input_value() == SHARED["expr"]
    assert page.get_by_label("With respect to", exact=True).input_value() == SHARED["wrt"]
    assert page.get_by_label("At", exact=True).input_value() == SHARED["at"]
    partials = shown_partials(page.locator(LIVE))
    assert list(partials) == ["x"]
    assert_same_math(partials["x"]["text"], ns.derive(SHARED["expr"], "x")["x"])
    x = sp.Symbol("x", real=True)
    expected = float(sp.diff(sp.sin(x**2), x).subs(x, sp.Rational(1, 2)))
    assert shown_number(partials["x"]["value"]) == pytest.approx(expected, rel=1e-12)


CASES = [
    ("tanh(w*x + b)", "w, b"),
    ("sigmoid(w*x + b)", "w"),
    ("log(1 + exp(a*x))/sqrt(x)", "a, x"),
    ("x**3*exp(-x)", "x"),
    ("softplus(z)*erf(z/2)", "z"),
]


@pytest.mark.parametrize(("expr", "wrt"), CASES)
def test_each_partial_is_typeset_and_equals_python_derive(playground, expr, wrt):
    live = differentiate(playground.page, expr, wrt)
    names = [name.strip() for name in wrt.split(",")]
    expected = ns.derive(expr, names)
    partials = shown_partials(live)
    assert list(partials) == names
    for name in names:
        shown = partials[name]
        assert shown["mathHeight"] > 0 and shown["merrors"] == 0, f"d/d{name} is not typeset"
        assert shown["mathFont"].startswith('"STIX Two Math"')
        assert shown["simplify"].startswith("Simplification: ") and len(shown["simplify"]) > 16
        assert_same_math(shown["text"], expected[name])


def test_values_at_a_point_equal_python(playground):
    expr, point = "sigmoid(w*x + b)", {"w": 0.5, "x": 2.0, "b": -1.0}
    at = ", ".join(f"{name}={value}" for name, value in point.items())
    live = differentiate(playground.page, expr, "w, b", at)
    expression = ns.parse(expr)
    symbols = {symbol.name: symbol for symbol in expression.free_symbols}
    where = {symbols[name]: value for name, value in point.items()}
    partials = shown_partials(live)
    for name in ("w", "b"):
        expected = float(sp.diff(expression, symbols[name]).subs(where))
        assert shown_number(partials[name]["value"]) == pytest.approx(expected, rel=1e-12)
    value_line = live.locator(".nnspec-value").inner_text()
    assert shown_number(value_line) == pytest.approx(float(expression.subs(where)), rel=1e-12)


def test_chain_rule_steps_are_the_ones_python_prints(playground):
    live = differentiate(playground.page, "sigmoid(tanh(3*x))", "x", "x=0.5", steps=True)
    steps = live.locator("[data-steps='x']")
    shown = steps.locator("pre").inner_text()
    assert shown.strip() == str(ns.chain_rule("sigmoid(tanh(3*x))", "x", at="x=0.5")).strip()
    typeset = steps.locator("math")
    assert typeset.count() == 1 and typeset.locator("merror").count() == 0
    assert typeset.evaluate("m => m.getBoundingClientRect().height") > 50  # several rows


def test_the_fields_round_trip_through_the_address(playground):
    page = playground.page
    differentiate(page, "x*y + 1", "y", "x=2, y=3", steps=True, simplify="none")
    query = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/nnspec/playground/"
    assert {key: values[0] for key, values in query.items()} == {
        "expr": "x*y + 1",
        "wrt": "y",
        "at": "x=2, y=3",
        "simplify": "none",
        "steps": "1",
    }


HOSTILE = [
    '__import__("os").system("id")',
    "x.__class__",
    "sin(x",
    "exec('1')",
    "x +* 2",
    "x**y**z**9999999",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_gives_the_clis_one_line_error_and_the_page_keeps_working(playground, text):
    page = playground.page
    live = differentiate(page, text, "x")
    with pytest.raises(ns.ArgumentError) as refused:
        ns.derive(text, "x")
    expected = " ".join(str(refused.value).split())
    shown = live.locator(".nnspec-error").inner_text()
    assert "\n" not in shown
    assert shown == f"error: {expected}"
    assert "(column " in expected
    live = differentiate(page, "x**2", "x")
    assert_same_math(shown_partials(live)["x"]["text"], 2 * sp.Symbol("x", real=True))


def test_a_runaway_derivation_is_stopped_and_a_fresh_python_takes_over(playground):
    page = playground.page
    # sympy.simplify of this derivative runs for minutes (over 120 s in CPython on this machine)
    runaway = " + ".join(f"tanh(tanh(x*y{i} + z)**3 + x)**5" for i in range(4))
    live = differentiate(page, runaway, "x", simplify="full", time_limit=1)
    assert "did not finish within the time limit of 1 s" in live.inner_text()
    assert not page.locator("#nnspec-status").inner_text().startswith("Ready")  # a new one loads
    wait_until_ready(page)
    live = differentiate(page, "exp(2*x)", "x", time_limit=10)
    x = sp.Symbol("x", real=True)
    assert_same_math(shown_partials(live)["x"]["text"], 2 * sp.exp(2 * x))


def _luminance(css: str) -> float:
    red, green, blue = (float(part) for part in re.findall(r"[\d.]+", css)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_dark_mode_keeps_fields_and_answers_readable(playground, screenshot_dir):
    page = playground.page
    toggle = page.locator("label[for^='__palette']:visible").first
    toggle.click()  # the reader's switch to the dark scheme
    try:
        page.wait_for_function(
            "() => document.body.getAttribute('data-md-color-scheme') === 'slate'", timeout=5000
        )
        page.screenshot(path=str(screenshot_dir / "playground-dark.png"), full_page=True)
        colours = page.evaluate(
            """() => {
                const style = (s) => getComputedStyle(document.querySelector(s));
                return {
                    field: style('#nnspec-expr').color, fieldBackground: style('#nnspec-expr').backgroundColor,
                    math: style("article [aria-live='polite'] math").color,
                    text: style('article').color, page: getComputedStyle(document.body).backgroundColor,
                };
            }"""
        )
    finally:
        page.locator("label[for^='__palette']:visible").first.click()
    assert _luminance(colours["page"]) < 100, colours  # the dark scheme is on
    assert _luminance(colours["field"]) - _luminance(colours["fieldBackground"]) > 100, colours
    assert colours["math"] == colours["text"], colours


def test_the_playground_is_usable_with_the_keyboard_alone(playground):
    """Tab reaches every field in order, keys fill and set them, Enter on the button gives the
    derivative, and Tab then reaches the answer's copy button."""
    page = playground.page
    page.get_by_label("Simplify", exact=True).select_option("auto")
    page.get_by_label("chain-rule steps").set_checked(False)
    page.mouse.click(5, 5)  # the header: Tab starts again from the top of the page
    focused = "() => document.activeElement.id"
    for _ in range(100):  # past the header and the navigation
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "nnspec-expr":
            break
    else:
        pytest.fail("Tab never reached the Expression field")
    order = []
    for text in ("sin(a*y)", "a", "a=2, y=0.5"):
        order.append(page.evaluate(focused))
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    order.append(page.evaluate(focused))
    page.keyboard.press("ArrowDown")  # auto -> full
    page.keyboard.press("Tab")
    order.append(page.evaluate(focused))
    page.keyboard.press("Tab")
    order.append(page.evaluate(focused))
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    order.append(page.evaluate(focused))
    assert order == [
        "nnspec-expr",
        "nnspec-wrt",
        "nnspec-at",
        "nnspec-simplify",
        "nnspec-timeout",
        "nnspec-steps",
        "nnspec-differentiate",
    ]
    assert page.locator("#nnspec-simplify").input_value() == "full"
    assert page.locator("#nnspec-steps").is_checked()
    previous = page.locator(LIVE).inner_html()
    page.keyboard.press("Enter")
    wait_for_answer(page, previous)
    live = page.locator(LIVE)
    [(name, shown)] = shown_partials(live).items()
    a = sp.Symbol("a", real=True)
    assert name == "a" and shown["simplify"].endswith("full")
    assert_same_math(shown["text"], sp.diff(ns.parse("sin(a*y)"), a))
    assert live.locator("h3", has_text="Chain-rule steps").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#nnspec-result') !== null")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Copy"


def test_nothing_was_requested_from_any_other_host(playground, server):
    # last in the module: covers every load and derivation above, the restarted worker included
    assert playground.foreign_requests(server) == []
    assert any(url.endswith("/nnspec/pyodide/pyodide.asm.wasm") for url in playground.requests)
    assert playground.failures == []
    assert playground.errors == []


def test_the_download_is_about_the_20_mb_the_page_says(site_dir):
    # the page: "about 20 MB fetched once when the page opens" (the runtime and the wheels)
    page = (site.DOCS / "playground.md").read_text(encoding="utf-8")
    assert "about 20 MB" in page
    size = sum(path.stat().st_size for path in (site_dir / "pyodide").iterdir())
    assert 15e6 <= size <= 25e6, f"{size / 1e6:.1f} MB"


def test_the_nnspec_wheel_holds_this_checkouts_code(site_dir):
    manifest = json.loads((site_dir / "pyodide" / "playground.json").read_text(encoding="utf-8"))
    (name,) = [wheel for wheel in manifest["wheels"] if wheel.startswith("nnspec-")]
    with zipfile.ZipFile(site_dir / "pyodide" / name) as wheel:
        shipped = {path: wheel.read(path) for path in wheel.namelist() if path.endswith(".py")}
    checkout = {
        path.relative_to(site.ROOT).as_posix(): path.read_bytes()
        for path in (site.ROOT / "nnspec").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert shipped == checkout


def test_the_page_lists_exactly_the_parsers_functions():
    page = (site.DOCS / "playground.md").read_text(encoding="utf-8")
    section = page.split("## What you can type", 1)[1].split("`pi`", 1)[0]
    listed = {name for span in re.findall(r"`([a-z_ ]+)`", section) for name in span.split()}
    assert listed == set(ns.expressions.FUNCTIONS)
