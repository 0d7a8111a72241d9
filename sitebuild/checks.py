"""Build step after the generator: the strict checks every page of the built site must pass.

* every ``<img>`` has alt text (an image without it fails the build);
* no page loads anything from another host: no ``src`` on a script, image, frame, audio,
  video or source element and no stylesheet, icon, preload or module ``<link>`` points at an
  ``http(s)`` or protocol-relative URL (links a reader clicks, ``<a href>``, may);
* no page loads MathJax, or any math script: formulas are MathML made at build time.

These hold for MkDocs and Zensical builds alike; the browser tests then check, per page, that
no request leaves the site at run time either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import html as markup

LOADED = {"script": "src", "img": "src", "iframe": "src", "audio": "src", "video": "src", "source": "src"}
LOADING_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest"}


def _remote(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") or (not parts.scheme and url.strip().startswith("//"))


def problems(page: str | list[markup.Token], where: str) -> list[str]:
    """What is wrong with one built page, given as HTML or its tokens (empty when nothing is)."""
    found = []
    pieces = markup.tokens(page) if isinstance(page, str) else page
    for index, token in enumerate(pieces):
        if token.kind not in ("start", "startend"):
            continue
        if token.tag == "img" and not (token.attr("alt") or "").strip():
            found.append(f"{where}: image without alt text: {token.raw}")
        attribute = LOADED.get(token.tag)
        if attribute and _remote(token.attr(attribute)):
            found.append(f"{where}: loads from another host: {token.raw}")
        if token.tag == "link" and LOADING_LINKS & set((token.attr("rel") or "").split()):
            if _remote(token.attr("href")):
                found.append(f"{where}: loads from another host: {token.raw}")
        if token.tag == "script":
            body = pieces[index + 1].raw if index + 1 < len(pieces) else ""
            if "mathjax" in (token.attr("src") or "").lower() or "MathJax" in body:
                found.append(f"{where}: loads MathJax: {token.raw}")
    return found
