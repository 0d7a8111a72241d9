"""The exercises as a reader uses them: Chromium, keyboard only, the site served under /nnspec/.

On the backpropagation page, whose four exercises are of all three kinds (an expression, a
number, a choice), for every exercise: a listed wrong answer is told wrong with its feedback,
the solution's ``data-answer`` is told right, and an equivalent rewrite is told right. Then, on
its first exercise, a hostile input gets the parser's one-line refusal and the exercise keeps
working; a runaway answer is stopped at the time limit and the exercise works again once the
fresh runtime has loaded; a solved exercise stays solved after a reload. No request leaves
the site.

Why one page and not all eight: each page boots its own Pyodide runtime (about 15 s of CPU on
two cores), and the two tests share the page's. The verdict on every listed answer of every
exercise is computed by the same function with the same SymPy in
tests/test_exercise_answers.py, and test_site.py checks that every page shows its exercises;
this module checks what only a browser can: the page, the keyboard and the worker together.

Times are printed (cold: first focus to first verdict; warm: a later check), never asserted:
timing belongs in bench/. One browser context serves the whole module, so Pyodide's files come
from the browser's cache after the first page, as they do for a reader.
"""

from __future__ import annotations

import json
import time

import pytest

from nnspec.exercises import TIME_LIMIT, check_answer
from tests import site

pytestmark = pytest.mark.xdist_group("exercises")

PAGES = {source.removesuffix(".md"): specs for source, specs in site.exercises_by_page().items()}
VERDICT_SECONDS = 240  # covers a cold boot of Pyodide on a loaded 2-core machine
FINAL = ("correct", "wrong", "stopped", "failed")
HOSTILE = "__import__('os')"
# The first exercise's answer plus a zero that SymPy's simplify takes minutes to prove (over 60 s
# natively): the seeded points agree, so the checker simplifies, far past the time limit.
RUNAWAY = "({answer}) + sin(z)**80*cos(z)**80 - (sin(2*z)/2)**80"
TIMES: dict[str, list[float]] = {"cold": [], "first": [], "warm": []}


@pytest.fixture(scope="module")
def visit(browser, server, screenshot_dir):
    opened = site.Visit(browser, f"{server}/", wait_until="load")
    yield opened
    opened.close()
    (screenshot_dir / "exercise-times.json").write_text(json.dumps(TIMES, indent=1), encoding="utf-8")


def answer(page, exercise_id: str, text: str) -> dict:
    """Type (or choose) ``text`` with the keyboard, press Enter or Check, wait for the verdict."""
    exercise = page.locator(f"[data-exercise='{exercise_id}']")
    feedback = exercise.locator("[aria-live='polite']")
    feedback.evaluate("node => { node.textContent = ''; delete node.dataset.state; }")
    if exercise.get_attribute("data-kind") == "choice":
        radios = exercise.get_by_role("group", name="Your answer").get_by_role("radio")
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        radios.first.focus()
        page.keyboard.press("Space")  # focus alone does not choose; Space does, arrows move on
        for _ in range(values.index(text)):
            page.keyboard.press("ArrowDown")
        assert radios.nth(values.index(text)).is_checked()
        page.keyboard.press("Tab")
        assert exercise.get_by_role("button", name="Check").evaluate("b => b === document.activeElement")
        page.keyboard.press("Enter")
    else:
        field = exercise.get_by_label("Your answer", exact=True)
        field.focus()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(text)
        page.keyboard.press("Enter")
    start = time.monotonic()
    page.wait_for_function(
        """([node, states]) => states.includes(node.dataset.state) && !node.hasAttribute('aria-busy')""",
        arg=[feedback.element_handle(), list(FINAL)],
        timeout=VERDICT_SECONDS * 1000,
        polling=100,
    )
    return {
        "state": feedback.get_attribute("data-state"),
        "message": feedback.inner_text(),
        "seconds": time.monotonic() - start,
    }


def rewrite(spec: dict) -> str | None:
    return None if spec["kind"] == "choice" else f"({spec['answer']})*2/2"


# every kind of exercise: expression, number and choice
ROUND_TRIP = ["backpropagation"]


def test_the_round_trip_pages_hold_every_kind_of_exercise():
    assert {spec["kind"] for stem in ROUND_TRIP for spec in PAGES[stem]} == {"expression", "number", "choice"}


@pytest.mark.parametrize("stem", ROUND_TRIP)
def test_every_exercise_of_the_page(visit, server, stem, screenshot_dir):
    page = visit.page
    page.goto(f"{server}/{stem}/", wait_until="load")
    shown = page.locator("[data-exercise]").evaluate_all("nodes => nodes.map(n => n.dataset.exercise)")
    assert shown == [spec["id"] for spec in PAGES[stem]], f"{stem}/ does not show docs/exercises/{stem}.md"
    for number, spec in enumerate(PAGES[stem]):
        exercise = page.locator(f"[data-exercise='{spec['id']}']")
        solution = exercise.locator("details", has=page.locator("summary", has_text="Solution"))
        stored = solution.locator("[data-answer]").get_attribute("data-answer")
        assert stored == spec["answer"]
        wrong = spec["wrong"][0]
        told = answer(page, spec["id"], str(wrong["answer"]))
        kind = "warm" if number else "first" if TIMES["cold"] else "cold"
        TIMES[kind].append(round(told["seconds"], 2))
        assert told["state"] == "wrong" and wrong["feedback"] in told["message"], told
        if number == 0:
            page.screenshot(path=str(screenshot_dir / f"exercise-{stem}-wrong.png"), full_page=False)
        right = answer(page, spec["id"], stored)
        TIMES["warm"].append(round(right["seconds"], 2))
        assert right["state"] == "correct", right
        if number == 0:
            exercise.scroll_into_view_if_needed()
            exercise.screenshot(path=str(screenshot_dir / f"exercise-{stem}-right.png"))
        if rewrite(spec):
            assert answer(page, spec["id"], rewrite(spec))["state"] == "correct"
        assert "nnspec-exercise-solved" in exercise.get_attribute("class")
    assert not visit.foreign_requests(server), visit.foreign_requests(server)
    assert not visit.errors, visit.errors


def test_hostile_runaway_and_reloaded_answers_leave_the_exercise_working(visit, server):
    page = visit.page
    if page.url != f"{server}/backpropagation/":  # after the round trip: its runtime is ready
        page.goto(f"{server}/backpropagation/", wait_until="load")
    spec = PAGES["backpropagation"][0]
    assert spec["kind"] == "expression" and "z" in spec["variables"]  # RUNAWAY is in z
    refused = answer(page, spec["id"], HOSTILE)
    expected = check_answer(spec, HOSTILE)["message"]
    assert refused["state"] == "wrong" and refused["message"] == expected and "\n" not in refused["message"]
    assert answer(page, spec["id"], spec["answer"])["state"] == "correct"
    stopped = answer(page, spec["id"], RUNAWAY.format(answer=spec["answer"]))
    assert stopped["state"] == "stopped" and f"time limit of {TIME_LIMIT:g} s" in stopped["message"], stopped
    # the next check waits for the fresh runtime, then works
    assert answer(page, spec["id"], spec["answer"])["state"] == "correct"
    assert answer(page, spec["id"], spec["wrong"][0]["answer"])["state"] == "wrong"
    assert not visit.foreign_requests(server)
    # progress is kept across a reload: the exercise was solved above
    page.reload(wait_until="load")
    exercise = page.locator(f"[data-exercise='{spec['id']}']")
    assert "nnspec-exercise-solved" in exercise.get_attribute("class")
    assert "(solved)" in exercise.locator(".nnspec-exercise-title").inner_text()
