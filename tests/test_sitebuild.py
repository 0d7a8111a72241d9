"""The site's build steps (sitebuild/) and the minimum-versions check, without a build or a browser."""

from __future__ import annotations

import importlib.util
import os
import stat
from importlib import metadata

import nbformat
import pytest
import yaml

from sitebuild import browser, checks, mathml, notebooks, playground, zensical
from sitebuild import html as markup
from sitebuild.errors import BuildError
from tests import site

PAGE = (
    "<!doctype html>\n<html><head><script>if (a < b && c) {}</script></head>\r\n"
    '<body><p>x &amp; y <span class="arithmatex">\\(a_1 &lt; b\\)</span></p>\n'
    '<div class="arithmatex">\\[\\frac{1}{2}\\]</div><!-- note --><img src="f.svg" alt="a figure">'
    "<pre><code>$not math$</code></pre></body></html>"
)


def _check_minimum():
    path = site.ROOT / "constraints" / "check_minimum.py"
    spec = importlib.util.spec_from_file_location("check_minimum", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tokens_give_back_the_exact_text():
    pieces = markup.tokens(PAGE)
    assert "".join(piece.raw for piece in pieces) == PAGE
    script = next(i for i, piece in enumerate(pieces) if piece.tag == "script")
    assert pieces[script + 1].raw == "if (a < b && c) {}"  # script text is not parsed as tags
    image = next(markup.elements(PAGE, "img"))
    assert image.attr("alt") == "a figure" and image.attr("title", "none") == "none"


def test_replace_elements_counts_nesting_and_leaves_the_rest_alone():
    page = "<div class='a'>1<div>2</div>3</div><div>4</div>"
    out = markup.replace_elements(page, lambda t: "a" in t.classes, lambda start, inner: f"[{inner}]")
    assert out == "[1<div>2</div>3]<div>4</div>"
    with pytest.raises(ValueError, match="no end tag"):
        markup.replace_elements("<div class='a'>open", lambda t: "a" in t.classes, lambda s, i: "")


def test_text_content_decodes_entities_and_drops_tags():
    assert markup.text_content("<b>a &lt; b</b> &amp; c") == "a < b & c"


def test_formulas_become_mathml_and_displays_get_a_scroll_container():
    out, count = mathml.typeset(PAGE, "page.html")
    assert count == 2 and "arithmatex" not in out
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in out
    assert (
        '<annotation encoding="application/x-tex">a_1 &lt; b</annotation>' in out
    )  # entity decoded, re-escaped
    container = next(t for t in markup.elements(out, "div") if "nnspec-math" in t.classes)
    assert 'display="block"' in out[out.index(container.raw) :]
    assert "<code>$not math$</code>" in out  # untouched


@pytest.mark.parametrize("tex", ["\\foo x", "a & b"])
def test_a_formula_the_converter_cannot_typeset_fails_the_build(tex):
    with pytest.raises(BuildError, match=r"page\.html"):
        mathml.typeset(f'<p><span class="arithmatex">\\({tex}\\)</span></p>', "page.html")


def test_the_checks_find_missing_alt_text_remote_loads_and_mathjax():
    assert checks.problems(PAGE, "ok.html") == []
    bad = (
        '<img src="x.png"><img src="y.png" alt=" ">'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/a.css">'
        '<script src="../js/mathjax/tex-mml.js"></script><script>window.MathJax = {}</script>'
        '<a href="https://example.org/">a link a reader clicks is fine</a>'
    )
    found = checks.problems(bad, "bad.html")
    assert sum("alt text" in line for line in found) == 2
    assert sum("another host" in line for line in found) == 2
    assert sum("MathJax" in line for line in found) == 2
    assert len(found) == 6


def test_a_latex_output_becomes_a_display_formula():
    assert notebooks.display_math("$\\displaystyle \\frac{x}{10}$") == "$$\n\\frac{x}{10}\n$$"
    assert notebooks.display_math("$$x^2$$") == "$$\nx^2\n$$"


def test_notebook_outputs_are_rendered_or_refused():
    cell = nbformat.v4.new_code_cell("print(1)")
    stream = nbformat.v4.new_output("stream", name="stdout", text="a ``` b\n")
    assert notebooks.render_output(stream, cell, "nb") == "````text\na ``` b\n````"
    with pytest.raises(BuildError, match="stderr"):
        notebooks.render_output(nbformat.v4.new_output("stream", name="stderr", text="warn"), cell, "nb")
    picture = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0K\nGgo="})
    with pytest.raises(BuildError, match="alt text"):
        notebooks.render_output(picture, cell, "nb")
    cell.metadata["alt"] = "a plot"
    assert (
        notebooks.render_output(picture, cell, "nb")
        == '<img src="data:image/png;base64,iVBORw0KGgo=" alt="a plot">'
    )


def test_a_notebook_page_has_its_cells_outputs_and_a_download_link():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1 + 1")]
    )
    notebook.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    page = notebooks.to_markdown(notebook, "nb.ipynb")
    assert page.startswith("# Title\n\n*This page is the notebook [nb.ipynb](nb.ipynb)")
    assert '```python\n1 + 1\n```\n\n<div class="nnspec-output" markdown="1">\n\n```text\n2\n```' in page


def test_the_browser_search_takes_nnspec_chromium_then_the_path(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert browser.find_chromium({"NNSPEC_CHROMIUM": str(fake)}) == fake
    assert browser.find_chromium({"NNSPEC_CHROMIUM": str(tmp_path / "none")}) is None
    assert browser.find_chromium({"PATH": str(tmp_path)}) == fake
    assert browser.find_chromium({"PATH": os.devnull}) in (None, *map(type(fake), browser.MACOS_BUNDLES))


def test_the_wheel_pins_are_read_exactly(tmp_path):
    assert list(playground.pins()) == ["sympy", "mpmath", "latex2mathml"]
    loose = tmp_path / "pins.txt"
    loose.write_text("# comment\nsympy>=1.14 --hash=sha256:00\n")
    with pytest.raises(BuildError, match="not pinned"):
        playground.pins(loose)


def test_zensical_gets_mkdocs_yml_with_its_own_output_folder(tmp_path):
    target = zensical.write(target=tmp_path / "z.yml", site_dir="out")
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    original = yaml.safe_load(zensical.SOURCE.read_text(encoding="utf-8"))
    assert written.pop("site_dir") == "out"
    original.pop("site_dir", None)
    assert written == original


def test_the_minimum_check_compares_each_bound_with_what_is_installed():
    check_minimum = _check_minimum()
    lines = [
        "numpy>=2.0",
        'mkdocs<2,>=1.6; extra == "docs"',
        'pytest>=7.0; extra == "test"',
        'torch==2.13.0; extra == "bench"',
        'nnspec[docs]; extra == "test"',
        "scipy",
    ]
    versions = {"numpy": "2.0.0", "mkdocs": "1.6.1", "pytest": "7.0"}

    def installed(name):
        if name not in versions:
            raise metadata.PackageNotFoundError(name)
        return versions[name]

    rows, mismatches = check_minimum.check(lines, installed)
    verdicts = {name: verdict for name, _, _, verdict in rows}
    assert verdicts == {
        "numpy": "ok",  # 2.0.0 is the release 2.0
        "mkdocs": "NOT the lower bound",
        "pytest": "ok",
        "scipy": "no lower bound declared",
    }
    assert mismatches == 2
