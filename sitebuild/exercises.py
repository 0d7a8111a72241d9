"""Post-build step: turn each exercise block of the built site into an interactive exercise.

Authoring. An exercise is a fenced block whose info string is ``yaml {.exercise}`` (four
backticks when its prompt holds a code fence), written in ``docs/exercises/<page>.md`` and
included into the page with ``--8<-- "docs/exercises/<page>.md"`` (pymdownx.snippets). Its
body is YAML:

* ``id`` (lower case, digits, ``-``; unique on the site), ``kind`` (expression | number | choice),
  ``prompt``, ``hint`` and ``solution`` (Markdown with ``$math$``);
* ``answer``: text the answer field accepts: an expression in nnspec's language, a number or
  constant expression (``log(10)``), or a choice's id;
* ``variables`` (expression: the names it may use), ``tolerance`` (number: absolute),
  ``choices`` (choice: ``[{id, text}]``, text in Markdown);
* ``wrong``: typical wrong answers, ``[{answer, feedback}]``, each recognised mathematically
  and answered with its feedback;
* ``check``: how the tests verify ``answer`` against nnspec (tests/test_exercise_answers.py):
  ``derive: {expr, wrt}``, ``value: <expression>`` or ``compute: <python setting result>``.

The block is not a hook's business: MkDocs and Zensical render it (Python-Markdown with
``pymdownx.superfences`` and ``pymdownx.highlight``) as escaped, highlighted code in an element
of class ``exercise`` (an info string of plain ``exercise`` would lose its class: Pygments
knows no such language). This step, run on the built HTML before the MathML step, replaces
that element by the exercise:

* ``<div class="nnspec-exercise" data-exercise="<id>">`` with ``data-kind``,
  ``data-variables``, ``data-tolerance``, ``data-choices``, ``data-wrong`` and ``data-check``
  (JSON), which the browser hands to ``nnspec.exercises.check_answer``;
* the prompt (Markdown; math stays ``\\(...\\)`` for the MathML step);
* a text input labelled **Your answer** (``<label for>``) — for a choice, radio buttons in a
  ``<fieldset>`` whose ``<legend>`` is **Your answer**, each radio's value a choice id;
* a **Check** button, the feedback in an ``aria-live="polite"`` element inside the exercise;
* ``<details>`` **Hint**, and ``<details>`` **Solution**: the worked solution and an element
  whose ``data-answer`` holds the expected answer as text the field accepts.

MkDocs' search index (``search/search_index.json``) gets each exercise's prompt in place of
its YAML, so searching shows the question and never the answer.

Usage: ``python -m sitebuild.exercises SITE_DIR`` rewrites every ``*.html`` under it; a
malformed exercise or an id used twice stops it with one line on stderr and exit status 2.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import markdown
import yaml

KINDS = ("expression", "number", "choice")
#: Field -> required for which kinds.
FIELDS = {
    "id": KINDS,
    "kind": KINDS,
    "prompt": KINDS,
    "answer": KINDS,
    "hint": KINDS,
    "solution": KINDS,
    "wrong": KINDS,
    "variables": ("expression",),
    "tolerance": ("number",),
    "choices": ("choice",),
    "check": (),
}
ID = re.compile(r"[a-z0-9][a-z0-9-]*")
# The rendered block: pymdownx.highlight puts the classes on a div around <pre>; without
# Pygments (or from another renderer) the class sits on <pre> or <code>.
RENDERED = re.compile(
    r'<div[^>]*class="(?:[^"]*\s)?exercise(?:\s[^"]*)?"[^>]*>\s*<pre[^>]*>(?P<a>.*?)</pre>\s*</div>'
    r'|<pre[^>]*>\s*<code[^>]*class="(?:[^"]*\s)?(?:language-)?exercise(?:\s[^"]*)?"[^>]*>(?P<b>.*?)</code>\s*</pre>',
    re.DOTALL,
)
# In the source: an opening fence of 3+ backticks with info `yaml {.exercise}` to its closing fence.
SOURCE = re.compile(
    r"^(?P<fence>`{3,})\s*yaml\s*\{\s*\.exercise\s*\}\s*\n(?P<body>.*?)^(?P=fence)\s*$", re.M | re.S
)
TAG = re.compile(r"<[^>]+>")


class ExerciseError(ValueError):
    """An exercise block that cannot be read (bad YAML, a missing or unknown field)."""


def load(body: str, where: str) -> dict:
    """Read and validate one exercise's YAML body."""
    try:
        spec = yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise ExerciseError(
            f"{where}: the exercise is not valid YAML: {' '.join(str(error).split())}"
        ) from None
    if not isinstance(spec, dict):
        raise ExerciseError(f"{where}: an exercise is a YAML mapping, got {type(spec).__name__}")
    where = f"{where} (exercise {spec.get('id', '?')})"
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ExerciseError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    unknown = sorted(set(spec) - set(FIELDS))
    if unknown:
        raise ExerciseError(
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}"
        )
    missing = [name for name, kinds in FIELDS.items() if kind in kinds and spec.get(name) in (None, "", [])]
    if missing:
        raise ExerciseError(f"{where}: missing {', '.join(missing)} (needed for a {kind} exercise)")
    if not isinstance(spec["id"], str) or not ID.fullmatch(spec["id"]):
        raise ExerciseError(f"{where}: id must be lower-case letters, digits and '-', got {spec['id']!r}")
    for entry in spec["wrong"]:
        if not isinstance(entry, dict) or set(entry) != {"answer", "feedback"}:
            raise ExerciseError(f"{where}: each wrong entry is {{answer, feedback}}, got {entry!r}")
    if kind == "choice":
        ids = [str(choice.get("id")) for choice in spec["choices"]]
        if str(spec["answer"]) not in ids:
            raise ExerciseError(f"{where}: answer {spec['answer']!r} is not one of the choices {ids}")
    if kind == "number":
        try:  # YAML 1.1 reads 1e-9 (no dot) as text
            spec["tolerance"] = float(spec["tolerance"])
        except (TypeError, ValueError):
            raise ExerciseError(f"{where}: tolerance must be a number, got {spec['tolerance']!r}") from None
        if not spec["tolerance"] >= 0:
            raise ExerciseError(f"{where}: tolerance must be >= 0, got {spec['tolerance']!r}")
    spec["answer"] = str(spec["answer"])
    return spec


def source_exercises(path: Path) -> list[dict]:
    """Every exercise written in the Markdown file ``path``, validated, in order."""
    text = path.read_text(encoding="utf-8")
    return [load(m.group("body"), str(path)) for m in SOURCE.finditer(text)]


def _markdown(text: str) -> str:
    renderer = markdown.Markdown(
        extensions=[
            "attr_list",
            "md_in_html",
            "pymdownx.arithmatex",
            "pymdownx.highlight",
            "pymdownx.superfences",
        ],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    return renderer.convert(str(text))


def _attr(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return html.escape(text, quote=True)


def _plain(text: str) -> str:
    """A choice's text as a screen reader's name: formulas as their TeX (MathML gives none)."""
    text = re.sub(r"\\[()\[\]]|\$", "", str(text))
    return " ".join(re.sub(r"[`*_]", "", text).split())


def _answer_field(spec: dict, ident: str) -> str:
    if spec["kind"] == "choice":
        radios = "".join(
            f'<label class="nnspec-exercise-choice"><input type="radio" name="{ident}-answer" '
            f'value="{_attr(str(choice["id"]))}" aria-label="{_attr(_plain(choice["text"]))}"> '
            f"{_markdown(choice['text']).removeprefix('<p>').removesuffix('</p>')}"
            "</label>"
            for choice in spec["choices"]
        )
        return f'<fieldset class="nnspec-exercise-choices"><legend>Your answer</legend>{radios}</fieldset>'
    if spec["kind"] == "expression":
        names, v = ", ".join(spec["variables"]), spec["variables"][0]
        functions = ", ".join(f"<code>{f}({v})</code>" for f in ("sigmoid", "tanh", "exp", "log"))
        note = f"An expression in {names}; functions such as {functions}; powers as <code>{v}**2</code>."
    else:
        note = f"A number or a constant expression such as <code>log(10)</code> (tolerance {spec['tolerance']:g})."
    return (
        f'<label for="{ident}-answer">Your answer</label> '
        f'<input id="{ident}-answer" class="nnspec-exercise-input" type="text" autocomplete="off" '
        f'autocapitalize="off" spellcheck="false" aria-describedby="{ident}-format">'
        f'<span id="{ident}-format" class="nnspec-exercise-format">{note}</span>'
    )


def render(spec: dict) -> str:
    """The exercise's HTML (the browser contract in the module docstring)."""
    ident = f"exercise-{spec['id']}"
    data = {
        "data-exercise": spec["id"],
        "data-kind": spec["kind"],
        "data-variables": spec.get("variables") or [],
        "data-tolerance": spec.get("tolerance", 0),
        "data-choices": [{"id": str(c["id"])} for c in spec.get("choices") or ()],
        "data-wrong": spec["wrong"],
        "data-check": spec.get("check") or {},
    }
    attributes = " ".join(f'{name}="{_attr(value)}"' for name, value in data.items())
    answer = _attr(spec["answer"])
    return (
        f'<div class="nnspec-exercise" id="{ident}" {attributes}>'
        f'<p class="nnspec-exercise-title"><strong>Exercise</strong></p>'
        f'<div class="nnspec-exercise-prompt">{_markdown(spec["prompt"])}</div>'
        f'<form class="nnspec-exercise-form" novalidate>{_answer_field(spec, ident)} '
        f'<button type="submit" class="md-button nnspec-exercise-check">Check</button></form>'
        f'<p class="nnspec-exercise-feedback" aria-live="polite"></p>'
        f'<details class="nnspec-exercise-hint"><summary>Hint</summary>{_markdown(spec["hint"])}</details>'
        f'<details class="nnspec-exercise-solution"><summary>Solution</summary>{_markdown(spec["solution"])}'
        f'<p>Answer: <code data-answer="{answer}">{answer}</code></p></details>'
        "</div>"
    )


def expand(page: str, where: str = "page") -> str:
    """Replace every rendered exercise block in the HTML ``page`` by its interactive form."""

    def replace(match: re.Match) -> str:
        code = match.group("a") if match.group("a") is not None else match.group("b")
        body = html.unescape(TAG.sub("", code))
        return render(load(body, where))

    return RENDERED.sub(replace, page)


INDEXED = re.compile(r"<pre><code>(?P<body>id: .*?)</code></pre>", re.DOTALL)


def expand_search_index(index: str) -> str:
    """MkDocs' ``search/search_index.json`` with each exercise's YAML replaced by its prompt,
    so the search shows the question, not the answer or the wrong answers."""
    data = json.loads(index)

    def replace(match: re.Match) -> str:
        try:
            spec = yaml.safe_load(html.unescape(match.group("body")))
        except yaml.YAMLError:
            return match.group(0)
        if not isinstance(spec, dict) or not {"id", "kind", "prompt", "answer"} <= set(spec):
            return match.group(0)
        return f"<p>Exercise: {html.escape(' '.join(str(spec['prompt']).split()))}</p>"

    for doc in data.get("docs", ()):
        doc["text"] = INDEXED.sub(replace, doc.get("text", ""))
    return json.dumps(data, ensure_ascii=False)


def main(site_dir) -> int:
    """Rewrite every HTML file under ``site_dir``; return the number of exercises expanded."""
    count = 0
    seen: dict[str, Path] = {}
    for path in sorted(Path(site_dir).rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        if "exercise" not in page:
            continue
        expanded = expand(page, str(path))
        for ident in re.findall(r'data-exercise="([^"]+)"', expanded):
            if ident in seen:
                raise ExerciseError(f"{path}: exercise id {ident} is also used in {seen[ident]}")
            seen[ident] = path
        if expanded != page:
            count += expanded.count('class="nnspec-exercise"') - page.count('class="nnspec-exercise"')
            path.write_text(expanded, encoding="utf-8")
    index = Path(site_dir) / "search" / "search_index.json"
    if index.is_file():
        index.write_text(expand_search_index(index.read_text(encoding="utf-8")), encoding="utf-8")
    return count


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print("usage: python -m sitebuild.exercises SITE_DIR", file=sys.stderr)
        sys.exit(2)
    try:
        print(f"sitebuild.exercises: {main(sys.argv[1])} exercises expanded")
    except ExerciseError as error:
        print(f"sitebuild.exercises: {error}", file=sys.stderr)
        sys.exit(2)
