"""Fixtures shared by the tests of the built site (tests/test_site.py, tests/test_links.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import site


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The built site: $NNSPEC_SITE_DIR when the caller built it already (make test does),
    otherwise a fresh strict build in a temporary folder."""
    given = os.environ.get("NNSPEC_SITE_DIR")
    if given:
        path = Path(given)
        if not path.is_absolute():
            path = site.ROOT / path
        if not (path / "index.html").exists():
            pytest.fail(f"NNSPEC_SITE_DIR={given} holds no built site (no index.html)")
        return path
    return site.build(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def base_url(site_dir):
    url, stop = site.serve(site_dir)
    yield url
    stop()
