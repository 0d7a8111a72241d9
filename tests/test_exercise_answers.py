"""Every exercise of the site (docs/exercises/*.md): its stored answer is right, checked against
nnspec; the checker accepts it and an equivalent rewrite; every listed wrong answer is rejected.

An exercise's ``check`` says how its answer is verified:

* ``derive: {expr, wrt}``: the answer equals ``ns.derive(expr, wrt)`` mathematically;
* ``value: <expression>``: the answer equals that expression mathematically;
* ``compute: <python>`` (optional ``rtol``): the block, written in the repository (never reader
  text), sets ``result`` from nnspec's numeric side; a choice's answer is that id, a number
  within the tolerance (or ``rtol``) of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

import nnspec as ns
from nnspec.exercises import check_answer
from nnspec.expressions import expand_activations
from sitebuild.exercises import source_exercises

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "docs" / "exercises").glob("*.md"))
EXERCISES = [(path.stem, spec) for path in FILES for spec in source_exercises(path)]
PAGES = ("neuron", "learning-rate", "initialization", "loss", "chain-rule", "activations",
         "backpropagation", "gradient-checking")  # fmt: skip


def ids(item):
    return item[1]["id"]


def same(a, b) -> bool:
    return sp.simplify(expand_activations(sp.sympify(a) - sp.sympify(b))) == 0


def test_every_teaching_page_has_at_least_three_exercises():
    counts = {page: sum(1 for stem, _ in EXERCISES if stem == page) for page in PAGES}
    assert all(count >= 3 for count in counts.values()), counts
    all_ids = [spec["id"] for _, spec in EXERCISES]
    assert len(all_ids) == len(set(all_ids)), "exercise ids must be unique across the site"


@pytest.mark.parametrize("item", EXERCISES, ids=ids)
def test_stored_answer_is_right(item):
    _, spec = item
    check = spec.get("check") or {}
    assert set(check) & {"derive", "value", "compute"}, (
        f"{spec['id']}: no check says how its answer is verified"
    )
    answer = spec["answer"]
    if "derive" in check:
        derive = check["derive"]
        expected = ns.derive(derive["expr"], derive["wrt"])[derive["wrt"]]
        assert same(ns.parse(answer), expected), f"{answer} != {expected}"
    if "value" in check:
        assert same(ns.parse(answer), ns.parse(check["value"]))
    if "compute" in check:
        scope: dict = {}
        exec(compile(check["compute"], f"<exercise {spec['id']}>", "exec"), scope)  # repository text
        result = scope["result"]
        if spec["kind"] == "choice":
            assert result == answer
        elif spec["kind"] == "number":
            value = float(ns.parse(answer))
            allowed = max(float(spec["tolerance"]), float(check.get("rtol", 0)) * abs(value))
            assert abs(float(result) - value) <= allowed, (result, value, allowed)
        else:
            assert same(ns.parse(answer), result)


def rewrites(spec) -> list[str]:
    """Text that means the answer but is written differently."""
    answer = spec["answer"]
    if spec["kind"] == "choice":
        return []
    if spec["kind"] == "number":
        return [f"({answer})*2/2", repr(float(ns.parse(answer)))]
    expr = ns.parse(answer)
    forms = [f"({answer})*2/2", str(sp.expand(expr)), str(sp.factor(expr))]
    return [form for form in forms if form != answer]


@pytest.mark.parametrize("item", EXERCISES, ids=ids)
def test_answer_and_rewrites_are_accepted(item):
    _, spec = item
    for text in [spec["answer"], *rewrites(spec)]:
        result = check_answer(spec, text, timeout=30)
        assert result["correct"], (text, result)


@pytest.mark.parametrize("item", EXERCISES, ids=ids)
def test_listed_wrong_answers_are_rejected_with_their_feedback(item):
    _, spec = item
    assert spec["wrong"], "each exercise lists typical wrong answers"
    for entry in spec["wrong"]:
        result = check_answer(spec, str(entry["answer"]), timeout=30)
        assert not result["correct"], (entry, result)
        assert entry["feedback"] in result["message"], (entry, result)
