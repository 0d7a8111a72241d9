"""Root pytest configuration: the globals every markdown code block sees."""

import numpy as np
import pytest

import nnspec


def pytest_markdown_docs_globals():
    """Each block of a page starts with ``np``, ``ns`` and a fresh ``rng`` seeded with 0."""
    return {"np": np, "ns": nnspec, "nnspec": nnspec, "rng": np.random.default_rng(0)}


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["ns"] = nnspec
