"""sitebuild/exercises.py: each exercise block, rendered with the site's Markdown extensions,
becomes the element the browser contract describes (read back with the stdlib's html.parser)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml

from sitebuild.exercises import ExerciseError, expand, expand_search_index, load, main, source_exercises

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "docs" / "exercises").glob("*.md"))


def site_markdown(text: str) -> str:
    """``text`` rendered with the Markdown extensions of mkdocs.yml (snippets aside)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, options = [], {}
    for entry in config["markdown_extensions"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        if name == "pymdownx.snippets":
            continue
        names.append(name)
        if settings:
            options[name] = settings
    return markdown.Markdown(extensions=names, extension_configs=options).convert(text)


VOID = frozenset({"input", "br", "img", "hr", "meta", "link", "wbr"})


class Tree(HTMLParser):
    """Elements as (tag, attributes, text inside, ancestors' tags and attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self.open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "ancestors": list(self.open)}
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def find(self, tag=None, **attrs):
        return [
            e
            for e in self.elements
            if (tag is None or e["tag"] == tag)
            and all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def inside(element, container) -> bool:
    return any(a is container for a in element["ancestors"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_rendered_exercises_follow_the_browser_contract(path):
    specs = source_exercises(path)
    tree = Tree(expand(site_markdown(path.read_text(encoding="utf-8"))))
    exercises = [e for e in tree.elements if "data-exercise" in e["attrs"]]
    assert [e["attrs"]["data-exercise"] for e in exercises] == [s["id"] for s in specs]
    assert not tree.find("code", **{"class": "language-yaml"}), "an exercise block was left unexpanded"
    for spec, exercise in zip(specs, exercises):
        attrs = exercise["attrs"]
        assert attrs["data-kind"] == spec["kind"]
        assert json.loads(attrs["data-wrong"]) == spec["wrong"]
        assert json.loads(attrs["data-variables"]) == (spec.get("variables") or [])
        mine = [e for e in tree.elements if inside(e, exercise)]
        if spec["kind"] == "choice":
            (legend,) = [e for e in mine if e["tag"] == "legend"]
            assert legend["text"] == "Your answer" and legend["ancestors"][-1]["tag"] == "fieldset"
            radios = [e for e in mine if e["tag"] == "input" and e["attrs"].get("type") == "radio"]
            assert [r["attrs"]["value"] for r in radios] == [str(c["id"]) for c in spec["choices"]]
            assert all(r["ancestors"][-1]["tag"] == "label" for r in radios), "each radio sits in its label"
        else:
            (label,) = [e for e in mine if e["tag"] == "label"]
            assert label["text"] == "Your answer"
            (field,) = [
                e for e in mine if e["tag"] == "input" and e["attrs"].get("id") == label["attrs"]["for"]
            ]
            assert field["attrs"]["type"] == "text"
        (button,) = [e for e in mine if e["tag"] == "button"]
        assert button["text"] == "Check" and button["attrs"]["type"] == "submit"
        (live,) = [e for e in mine if e["attrs"].get("aria-live") == "polite"]
        assert live["text"] == ""
        summaries = [e for e in mine if e["tag"] == "summary"]
        assert [s["text"] for s in summaries] == ["Hint", "Solution"]
        assert all(s["ancestors"][-1]["tag"] == "details" for s in summaries)
        details = {s["text"]: s["ancestors"][-1] for s in summaries}
        (answer,) = [e for e in mine if "data-answer" in e["attrs"]]
        assert inside(answer, details["Solution"])
        assert answer["attrs"]["data-answer"] == spec["answer"] == answer["text"]


def test_math_is_left_for_the_mathml_step():
    html = expand(site_markdown((ROOT / "docs" / "exercises" / "chain-rule.md").read_text(encoding="utf-8")))
    assert r'<span class="arithmatex">\(\dfrac{d}{dx} \sin(x^2)\)</span>' in html


def test_the_code_of_a_prompt_is_highlighted_not_expanded():
    html = expand(
        site_markdown((ROOT / "docs" / "exercises" / "backpropagation.md").read_text(encoding="utf-8"))
    )
    tree = Tree(html)
    (bug,) = tree.find(data_exercise="backpropagation-find-the-bug")
    prompt_code = [
        e for e in tree.elements if e["tag"] == "code" and inside(e, bug) and "d_z = d_h" in e["text"]
    ]
    assert prompt_code, "the prompt's code block is shown"


def test_text_is_escaped_in_attributes_and_prompt():
    body = (
        'id: t\nkind: expression\nprompt: "<b>bold</b> & $a<b$"\nanswer: x\nvariables: [x]\n'
        'hint: h\nsolution: s\nwrong: [{answer: "2*x", feedback: "a \\"quote\\" <i>"}]\n'
        "check: {value: x}\n"
    )
    html = expand(site_markdown(f"```yaml {{.exercise}}\n{body}```\n"))
    (exercise,) = Tree(html).find(data_exercise="t")
    assert json.loads(exercise["attrs"]["data-wrong"])[0]["feedback"] == 'a "quote" <i>'
    assert "<i>" not in html.split("data-wrong=")[1].split(">")[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: t\nkind: essay\n", "kind must be one of"),
        (
            "id: t\nkind: number\nprompt: p\nanswer: 1\nhint: h\nsolution: s\nwrong: []\n",
            "missing wrong, tolerance",
        ),
        (
            "id: T!\nkind: choice\nprompt: p\nanswer: a\nchoices: [{id: a, text: A}]\nhint: h\nsolution: s\n"
            "wrong: [{answer: b, feedback: f}]\n",
            "id must be",
        ),
        (
            "id: t\nkind: choice\nprompt: p\nanswer: z\nchoices: [{id: a, text: A}]\nhint: h\nsolution: s\n"
            "wrong: [{answer: a, feedback: f}]\n",
            "not one of the choices",
        ),
        ("id: t\nkind: number\nextra: 1\n", "unknown field(s) extra"),
        ("id: [\n", "not valid YAML"),
    ],
)
def test_malformed_exercises_are_refused_with_the_reason(body, message):
    with pytest.raises(ExerciseError, match=r"docs/x\.md") as refused:
        load(body, "docs/x.md")
    assert message in str(refused.value)


def test_main_rewrites_the_site_and_refuses_a_duplicate_id(tmp_path):
    block = site_markdown((ROOT / "docs" / "exercises" / "loss.md").read_text(encoding="utf-8"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(f"<html><body>{block}</body></html>", encoding="utf-8")
    assert main(tmp_path) == 3
    assert main(tmp_path) == 0, "a second run finds nothing left to expand"
    (tmp_path / "b.html").write_text(block, encoding="utf-8")
    with pytest.raises(ExerciseError, match="also used in"):
        main(tmp_path)


def test_the_command_refuses_a_malformed_site_with_one_line(tmp_path):
    (tmp_path / "index.html").write_text(site_markdown("```yaml {.exercise}\nid: x\nkind: essay\n```\n"))
    run = subprocess.run(
        [sys.executable, "-m", "sitebuild.exercises", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "kind must be one of" in run.stderr


def test_the_search_index_shows_prompts_not_answers():
    spec = source_exercises(ROOT / "docs" / "exercises" / "loss.md")[0]
    rendered = site_markdown((ROOT / "docs" / "exercises" / "loss.md").read_text(encoding="utf-8"))
    code = rendered.split("<code>", 1)[1].split("</code>", 1)[0]
    yaml_text = re.sub(r"<[^>]+>", "", code)  # the index keeps <pre><code> but no highlighting
    index = json.dumps(
        {
            "docs": [
                {
                    "location": "loss/",
                    "title": "Exercises",
                    "text": f"<p>Intro</p><pre><code>{yaml_text}</code></pre>",
                }
            ]
        }
    )
    text = json.loads(expand_search_index(index))["docs"][0]["text"]
    assert text.startswith("<p>Intro</p><p>Exercise: A classifier with 10 classes")
    assert spec["answer"] not in text and "wrong" not in text
