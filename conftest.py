"""Root pytest configuration.

No names are injected into the pages' blocks: each block imports what it uses, so a block
copied from the site runs as it stands (a missing import fails its test). Docstring examples
in nnspec/ get ``np`` and ``ns``, as NumPy's and SciPy's doctests do.
"""

import numpy as np
import pytest

import nnspec


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["ns"] = nnspec
