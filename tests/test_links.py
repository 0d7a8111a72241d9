"""Every link, anchor and resource reference in the built HTML resolves, without a network.

Internal links must point at a file of the site and, with a fragment, at an element with that
id. Links a reader may click to other sites are not fetched. (That the site requests nothing
from another host is checked in the browser, by tests/test_site.py and tests/test_playground.py,
which record every request a page and its workers make.)
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
import yaml

from tests import site

_SITE_URL = urlsplit(yaml.safe_load((site.ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"])
SITE_HOST, SITE_PREFIX = _SITE_URL.netloc, _SITE_URL.path  # e.g. "nnspec.github.io", "/nnspec/"


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key):
                self.ids.add(attributes[key])
        for attribute in ("href", "src"):
            value = attributes.get(attribute)
            if value is not None:
                if tag == "link" and attributes.get("rel") in ("canonical", "alternate"):
                    continue
                self.references.append((tag, attribute, value))


def _parse(path: Path) -> Collector:
    collector = Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@pytest.fixture(scope="module")
def pages(site_dir):
    return {path: _parse(path) for path in sorted(site_dir.rglob("*.html"))}


def _target(site_dir: Path, page: Path, path: str) -> Path:
    base = site_dir if path.startswith("/") else page.parent
    target = (base / unquote(path.lstrip("/"))).resolve()
    return target / "index.html" if target.is_dir() else target


def test_internal_links_and_anchors_resolve(site_dir, pages):
    broken = []
    for page, collector in pages.items():
        for tag, attribute, value in collector.references:
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
                ids = pages[target].ids if target in pages else _parse(target).ids
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


def _playground_links(site_dir: Path, pages) -> list[tuple[Path, dict[str, str]]]:
    from urllib.parse import parse_qs

    playground = (site_dir / "playground" / "index.html").resolve()
    found = []
    for page, collector in pages.items():
        for tag, _, value in collector.references:
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
