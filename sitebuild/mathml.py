"""Build step after the generator: typeset every formula of the built site as MathML.

``pymdownx.arithmatex`` (generic mode, in MkDocs and Zensical alike) leaves TeX in
``<span class="arithmatex">\\(...\\)</span>`` and ``<div class="arithmatex">\\[...\\]</div>``;
each becomes a ``<math>`` element (TeX to MathML by ``latex2mathml``), with the TeX kept as an
``application/x-tex`` annotation. Browsers render MathML Core natively (Chromium 109+,
Firefox, Safari), so the site loads no math script. A display formula is put in a
``<div class="nnspec-math">`` scroll container that ``javascripts/accessibility.js`` makes
keyboard-focusable (``tabindex="0"``, ``role="group"`` and a label) when it is wider than the
page. A formula the converter cannot handle fails the build: unknown commands (``<mi>\\foo</mi>``)
and alignment outside an array (``&``) are refused rather than shown half-typeset.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

from . import html as markup
from .errors import BuildError

UNTYPESET = re.compile(r"<m(?:i|o|n|text)>(?:\\[A-Za-z]+|&amp;|&)</m(?:i|o|n|text)>")
DELIMITERS = {"span": ("\\(", "\\)"), "div": ("\\[", "\\]")}


def to_mathml(tex: str, *, display: bool, where: str) -> str:
    """One TeX formula as a ``<math>`` element, or a BuildError naming it and ``where``."""
    source = tex.strip()
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as error:  # the converter raises many types for malformed TeX
        raise BuildError(f"{where}: cannot typeset {source!r}: {error}") from error
    bad = UNTYPESET.search(mathml)
    if bad:
        raise BuildError(f"{where}: {bad.group(0)!r} is not supported in {source!r}")
    annotation = f'<annotation encoding="application/x-tex">{html.escape(source)}</annotation>'
    mathml = mathml.replace("<mrow>", "<semantics><mrow>", 1)
    closing = mathml.rfind("</math>")
    return mathml[:closing] + annotation + "</semantics></math>"


def _is_formula(token: markup.Token) -> bool:
    return token.tag in DELIMITERS and "arithmatex" in token.classes


def typeset(page: str | list[markup.Token], where: str) -> tuple[str, int]:
    """``page`` (HTML or its tokens) with every arithmatex formula replaced by MathML, and
    their number."""
    count = 0

    def replace(start: markup.Token, inner: str) -> str:
        opening, closing = DELIMITERS[start.tag]
        tex = markup.text_content(inner).strip()
        if not (tex.startswith(opening) and tex.endswith(closing)):
            raise BuildError(f"{where}: a formula without {opening} {closing}: {tex[:80]!r}")
        tex = tex[len(opening) : -len(closing)]
        nonlocal count
        count += 1
        if start.tag == "span":
            return to_mathml(tex, display=False, where=where)
        return f'<div class="nnspec-math">{to_mathml(tex, display=True, where=where)}</div>'

    return markup.replace_elements(page, _is_formula, replace), count
