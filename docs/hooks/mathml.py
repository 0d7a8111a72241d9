"""MkDocs hook: typeset every formula as MathML at build time, so math needs no network.

Markdown pages: ``pymdownx.arithmatex`` (generic mode) wraps TeX in
``<span class="arithmatex">\\(...\\)</span>`` and ``<div class="arithmatex">\\[...\\]</div>``;
each becomes a ``<math>`` element (LaTeX -> MathML by ``latex2mathml``, a PyPI package).
Notebook pages (mkdocs-jupyter): ``$...$`` and ``$$...$$`` in the rendered cells become
``<math>`` too, and the MathJax and Mermaid loader scripts that nbconvert adds are removed.

Browsers render MathML Core natively (Chromium 109+, Firefox, Safari), so the site loads no
math script at all. A formula the converter cannot handle fails the build: unknown commands
(``<mi>\\foo</mi>``) and unsupported alignment (``&`` outside a matrix) are refused rather than
shown half-typeset.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])\s*</(?P=tag)>',
    re.DOTALL,
)
UNTYPESET = re.compile(r"<m(?:i|o|n|text)>(?:\\[A-Za-z]+|&amp;|&)</m(?:i|o|n|text)>")
NOTEBOOK_SCRIPT = re.compile(
    r"<script[^>]*>(?:(?!</script>).)*?(?:mathjax|MathJax|mermaid)(?:(?!</script>).)*?</script>"
    r'|<script src="nnspec-mathml-at-build-time">\s*</script>',
    re.DOTALL,
)
TAG = re.compile(r"(<[^>]+>)")
# The hidden text behind a notebook code cell's copy button is code, not prose.
COPY_TEXT = re.compile(r'(<div class="clipboard-copy-txt">)(.*?)(</div>)', re.DOTALL)
RAW_ELEMENTS = ("pre", "code", "script", "style", "textarea", "math")
DISPLAY_DOLLARS = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_DOLLARS = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.DOTALL)


def to_mathml(tex: str, *, display: bool, where: str) -> str:
    """Convert one TeX formula to a MathML element, or fail the build naming it."""
    source = html.unescape(tex).strip()
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as error:  # the converter raises many types for malformed TeX
        raise PluginError(f"{where}: cannot typeset {source!r}: {error}") from error
    bad = UNTYPESET.search(mathml)
    if bad:
        raise PluginError(f"{where}: {bad.group(0)!r} is not supported in {source!r}")
    annotation = f'<annotation encoding="application/x-tex">{html.escape(source)}</annotation>'
    mathml = mathml.replace("<mrow>", "<semantics><mrow>", 1)
    closing = mathml.rfind("</math>")
    mathml = mathml[:closing] + annotation + "</semantics></math>"
    return mathml


def _arithmatex(content: str, where: str) -> str:
    def replace(match: re.Match) -> str:
        display = match.group("block") is not None
        tex = match.group("block") if display else match.group("inline")
        return to_mathml(tex, display=display, where=where)

    return ARITHMATEX.sub(replace, content)


def _notebook(content: str, where: str) -> str:
    content = NOTEBOOK_SCRIPT.sub("", content)
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(2))
        return f"{match.group(1)}\x00{len(kept) - 1}\x00{match.group(3)}"

    content = COPY_TEXT.sub(keep, content)
    pieces = TAG.split(content)
    open_raw: list[str] = []
    for i, piece in enumerate(pieces):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            tag = name.group(1).lower() if name else ""
            if tag in RAW_ELEMENTS and not piece.endswith("/>"):
                if piece.startswith("</"):
                    if open_raw and open_raw[-1] == tag:
                        open_raw.pop()
                else:
                    open_raw.append(tag)
            continue
        if open_raw or "$" not in piece:
            continue
        piece = DISPLAY_DOLLARS.sub(lambda m: to_mathml(m.group(1), display=True, where=where), piece)
        pieces[i] = INLINE_DOLLARS.sub(lambda m: to_mathml(m.group(1), display=False, where=where), piece)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], "".join(pieces))


def on_page_content(html_content: str, page, config, files) -> str:
    where = page.file.src_uri
    if where.endswith(".ipynb"):
        return _notebook(html_content, where)
    return _arithmatex(html_content, where)
