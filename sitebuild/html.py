"""Read and rewrite built HTML pages losslessly, with the standard library's HTML parser.

``html.parser.HTMLParser`` reports each tag, text run, comment and declaration together with
where it starts; :func:`tokens` turns that into a list of :class:`Token` that keep their exact
source text, so ``"".join(t.raw for t in tokens(text)) == text`` and a rewrite changes only
the elements it replaces. The MathML step (:mod:`sitebuild.mathml`), the checks of the built
site (:mod:`sitebuild.checks`) and the tests (``tests/site.py``, ``tests/test_links.py``) all
read HTML through this module.

Examples
--------
>>> page = '<p>a <span class="x">b</span> c</p>'
>>> [t.tag for t in tokens(page) if t.kind == "start"]
['p', 'span']
>>> replace_elements(page, lambda t: "x" in t.classes, lambda start, inner: inner.upper())
'<p>a B c</p>'
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

#: Elements that never have an end tag.
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


@dataclass(frozen=True)
class Token:
    """One piece of an HTML text: ``kind`` is "start", "end", "startend", "text" or "other"
    (comments, declarations, processing instructions); ``raw`` is its exact source text."""

    kind: str
    raw: str
    tag: str = ""
    attrs: tuple[tuple[str, str | None], ...] = ()

    def attr(self, name: str, default: str | None = None) -> str | None:
        """The value of attribute ``name`` (entities decoded), or ``default``."""
        for key, value in self.attrs:
            if key == name:
                return default if value is None else value
        return default

    @property
    def classes(self) -> set[str]:
        return set((self.attr("class") or "").split())

    @property
    def opens(self) -> bool:
        """A start tag that has a matching end tag to look for."""
        return self.kind == "start" and self.tag not in VOID


class _Tokenizer(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.starts = [0]
        for line in text.split("\n"):  # the parser counts lines by "\n" alone
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.events: list[tuple[int, str, str, tuple]] = []

    def _mark(self, kind: str, tag: str = "", attrs=()) -> None:
        line, column = self.getpos()
        self.events.append((self.starts[line - 1] + column, kind, tag, tuple(attrs)))

    def handle_starttag(self, tag, attrs):
        self._mark("start", tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._mark("startend", tag, attrs)

    def handle_endtag(self, tag):
        self._mark("end", tag)

    def handle_data(self, data):
        self._mark("text")

    handle_entityref = handle_charref = handle_data

    def handle_comment(self, data):
        self._mark("other")

    handle_decl = handle_pi = unknown_decl = handle_comment


def tokens(text: str) -> list[Token]:
    """Every piece of ``text`` in order; their ``raw`` texts join back to ``text`` exactly."""
    parser = _Tokenizer(text)
    parser.feed(text)
    parser.close()
    events = parser.events
    if not events:
        return [Token("text", text)] if text else []
    if events[0][0] != 0:
        raise ValueError(f"the HTML parser skipped the first {events[0][0]} characters")
    ends = [offset for offset, *_ in events[1:]] + [len(text)]
    return [
        Token(kind, text[offset:end], tag, attrs)
        for (offset, kind, tag, attrs), end in zip(events, ends)
        if end > offset
    ]


def elements(text: str, tag: str) -> Iterator[Token]:
    """The start tags (or self-closed tags) named ``tag``."""
    return (t for t in tokens(text) if t.tag == tag and t.kind in ("start", "startend"))


def text_content(text: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded."""
    return html.unescape("".join(t.raw for t in tokens(text) if t.kind == "text"))


def replace_elements(
    text: str | list[Token], match: Callable[[Token], bool], make: Callable[[Token, str], str]
) -> str:
    """Replace each element whose start tag ``match`` accepts by ``make(start_tag, inner_html)``.

    ``text`` is HTML or its :func:`tokens`. The element ends at its matching end tag (nesting of
    the same tag counted); elements inside a replaced one are not visited. A matched element
    without an end tag is an error.
    """
    pieces = tokens(text) if isinstance(text, str) else text
    out: list[str] = []
    index = 0
    while index < len(pieces):
        token = pieces[index]
        if token.kind not in ("start", "startend") or not match(token):
            out.append(token.raw)
            index += 1
            continue
        if not token.opens:
            out.append(make(token, ""))
            index += 1
            continue
        depth, end = 1, index + 1
        while end < len(pieces):
            other = pieces[end]
            if other.tag == token.tag and other.kind == "start":
                depth += 1
            elif other.tag == token.tag and other.kind == "end":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        else:
            raise ValueError(f"no end tag for {token.raw!r}")
        out.append(make(token, "".join(p.raw for p in pieces[index + 1 : end])))
        index = end + 1
    return "".join(out)


__all__ = ["VOID", "Token", "elements", "replace_elements", "text_content", "tokens"]
