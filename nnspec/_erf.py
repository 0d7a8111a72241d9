"""Elementwise error functions for numpy arrays (internal; public as `nnspec.activations.erf`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["erf", "erfc"]

_erf_object = np.frompyfunc(math.erf, 1, 1)
_erfc_object = np.frompyfunc(math.erfc, 1, 1)


def _elementwise(function, z):
    array = np.asarray(z)
    result = np.asarray(function(array.astype(np.float64)), dtype=np.float64)
    return result.astype(array.dtype) if array.dtype.kind == "f" else result


def erf(z):
    """Elementwise error function (exact to double precision; ``math.erf`` per element)."""
    return _elementwise(_erf_object, z)


def erfc(z):
    """Elementwise complementary error function ``1 - erf(z)``, accurate in both tails."""
    return _elementwise(_erfc_object, z)
