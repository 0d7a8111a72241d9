"""The built site, read as files: every link, anchor and resource reference resolves without a
network, and the build steps around the generator did their work.

Internal links must point at a file of the site and, with a fragment, at an element with that
id. Links a reader may click to other sites are not fetched. (That the site requests nothing
from another host is checked in the browser, by tests/test_site.py and tests/test_playground.py,
which record every request a page and its workers make.) The build-step checks matter most for
Zensical, which reports success whatever it dropped: every figure, every formula typeset, every
notebook executed, the playground's runtime.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import pytest
import yaml

from sitebuild import figures
from sitebuild import html as markup
from tests import site

_SITE_URL = urlsplit(yaml.safe_load((site.ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"])
SITE_HOST, SITE_PREFIX = _SITE_URL.netloc, _SITE_URL.path  # e.g. "nnspec.github.io", "/nnspec/"
# one test process reads the site's pages once for all the tests of the module
pytestmark = pytest.mark.xdist_group("links")


class Page:
    """The ids a page defines, the classes its elements have and the references (tag,
    attribute, value) it makes."""

    def __init__(self, path: Path):
        self.text = path.read_text(encoding="utf-8")
        self.ids: set[str] = set()
        self.classes: set[str] = set()
        self.references: list[tuple[str, str, str]] = []
        for token in markup.tokens(self.text):
            if token.kind not in ("start", "startend"):
                continue
            self.classes.update(token.classes)
            for key in ("id", "name"):
                if token.attr(key):
                    self.ids.add(token.attr(key))
            if token.tag == "link" and token.attr("rel") in ("canonical", "alternate"):
                continue
            for attribute in ("href", "src"):
                value = token.attr(attribute)
                if value is not None:
                    self.references.append((token.tag, attribute, value))


@pytest.fixture(scope="module")
def pages(site_dir):
    return {path: Page(path) for path in sorted(site_dir.rglob("*.html"))}


def _target(site_dir: Path, page: Path, path: str) -> Path:
    base = site_dir if path.startswith("/") else page.parent
    target = (base / unquote(path.lstrip("/"))).resolve()
    return target / "index.html" if target.is_dir() else target


def test_internal_links_and_anchors_resolve(site_dir, pages):
    broken = []
    for page, parsed in pages.items():
        for tag, attribute, value in parsed.references:
            parts = urlsplit(value)
            if parts.scheme in ("mailto", "data", "javascript") or (
                parts.netloc and parts.netloc != SITE_HOST
            ):
                continue
            path = parts.path
            if path.startswith(SITE_PREFIX):  # absolute links (404.html, canonical) carry the site path
                path = "/" + path.removeprefix(SITE_PREFIX)
            target = page if not path else _target(site_dir, page, path)
            if not target.exists():
                broken.append(
                    f"{page.relative_to(site_dir)}: <{tag} {attribute}={value!r}> -> missing {target}"
                )
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else Page(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site_dir)}: {value!r} -> no id {parts.fragment!r}")
    assert broken == [], "\n".join(broken[:20])


def test_every_page_of_the_navigation_was_built(site_dir):
    missing = [
        source
        for source in site.nav_sources()
        if not _target(site_dir, site_dir / "index.html", site.url_of(source)).exists()
    ]
    assert missing == []


def test_every_registered_figure_is_in_the_site(site_dir):
    names = set(figures.registry())
    assert names, "no figure module registered a figure"
    shipped = {path.name for path in (site_dir / "figures").glob("*.svg")}
    assert names <= shipped, f"figures missing from the site: {sorted(names - shipped)}"


def test_no_formula_was_left_untypeset(site_dir, pages):
    left = [page.relative_to(site_dir) for page, parsed in pages.items() if "arithmatex" in parsed.classes]
    assert left == []
    assert sum(parsed.text.count("<math ") for parsed in pages.values()) > 100


@pytest.mark.parametrize("notebook", sorted(path.name for path in (site.DOCS / "notebooks").glob("*.ipynb")))
def test_each_notebook_is_a_page_with_its_outputs_and_a_download(site_dir, notebook):
    stem = notebook.removesuffix(".ipynb")
    page = site_dir / "notebooks" / stem / "index.html"
    assert page.is_file(), f"no page for {notebook}"
    outputs = [
        t for t in markup.elements(page.read_text(encoding="utf-8"), "div") if "nnspec-output" in t.classes
    ]
    assert outputs, f"{notebook}: the page shows no executed output"
    shipped = json.loads((site_dir / "notebooks" / notebook).read_text(encoding="utf-8"))
    assert shipped == json.loads((site.DOCS / "notebooks" / notebook).read_text(encoding="utf-8"))


def test_the_playground_runtime_is_in_the_site(site_dir):
    manifest = json.loads((site_dir / "pyodide" / "playground.json").read_text(encoding="utf-8"))
    for name in ["pyodide.mjs", "pyodide.asm.wasm", "pyodide-lock.json", *manifest["wheels"]]:
        assert (site_dir / "pyodide" / name).is_file(), name
    assert (site_dir / "fonts" / "stix-two-math.woff2").is_file()


def _playground_links(site_dir: Path, pages) -> list[tuple[Path, dict[str, str]]]:
    playground = (site_dir / "playground" / "index.html").resolve()
    found = []
    for page, parsed in pages.items():
        for tag, _, value in parsed.references:
            parts = urlsplit(value)
            if (
                tag == "a"
                and parts.query
                and not parts.scheme
                and _target(site_dir, page, parts.path) == playground
            ):
                found.append((page, {key: values[0] for key, values in parse_qs(parts.query).items()}))
    return found


def test_links_into_the_playground_prefill_a_derivation_that_works(site_dir, pages):
    """The pages link examples into the playground; each link's fields must give a derivative."""
    import nnspec as ns

    links = _playground_links(site_dir, pages)
    linking_pages = {page.relative_to(site_dir).parts[0] for page, _ in links}
    assert {"chain-rule", "cli", "notebooks"} <= linking_pages, linking_pages
    for page, fields in links:
        wrt = [name.strip() for name in fields["wrt"].split(",")]
        result = ns.derivation(fields["expr"], wrt, at=fields.get("at") or None, timeout=60)
        assert list(result.partials) == wrt, (page, fields)
        if fields.get("at"):
            assert all(np.isfinite(value) for value in result.partial_values.values()), (page, fields)
        if fields.get("steps"):
            assert ns.chain_rule(fields["expr"], wrt[0], timeout=60).derivative is not None
