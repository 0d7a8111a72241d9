r"""Weight initializers with Keras semantics.

A kernel of shape ``(fan_in, fan_out)`` (dense) or ``(kh, kw, in, out)`` (convolution)
is filled from a distribution whose variance depends on its fans:

| initializer | target variance $v$ | uniform limit $\sqrt{3v}$ |
|---|---|---|
| `glorot_*` | $2/(n_\text{in}+n_\text{out})$ | $\sqrt{6/(n_\text{in}+n_\text{out})}$ |
| `he_*` | $2/n_\text{in}$ | $\sqrt{6/n_\text{in}}$ |
| `lecun_*` | $1/n_\text{in}$ | $\sqrt{3/n_\text{in}}$ |

The ``*_normal`` variants draw from a normal with standard deviation
$\sigma = \sqrt{v}/0.87962566103423978$, truncated at $\pm 2\sigma$. Truncating a
normal at two standard deviations multiplies its standard deviation by 0.8796...,
so the rescaling makes the variance of the result exactly the target $v$
(Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998; Keras ``VarianceScaling``).

Every initializer is called as ``init(shape, rng, dtype=np.float64)`` where ``rng`` is a
``numpy.random.Generator`` or an int seed: the same seed gives the same array.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_generator, float_dtype, lookup, positive_float, shape_tuple
from .errors import ArgumentError, ShapeError

__all__ = [
    "INITIALIZERS",
    "TRUNCATED_NORMAL_STD",
    "Initializer",
    "compute_fans",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "initializer",
    "lecun_normal",
    "lecun_uniform",
    "random_normal",
    "random_uniform",
    "zeros",
]

#: Standard deviation of a standard normal truncated to [-2, 2].
TRUNCATED_NORMAL_STD = 0.87962566103423978


def compute_fans(shape) -> tuple[int, int]:
    """Fan-in and fan-out of a kernel shape.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a dense kernel, or ``(*receptive_field, in, out)`` for a
        convolution kernel such as ``(kh, kw, in, out)``.

    Returns
    -------
    (fan_in, fan_out) : tuple of int
        For a convolution kernel both are multiplied by the receptive field size
        ``prod(shape[:-2])``.

    Examples
    --------
    >>> compute_fans((784, 256))
    (784, 256)
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    dims = shape_tuple(shape)
    if len(dims) < 2:
        raise ShapeError(
            f"shape must have at least 2 dimensions (fan_in, fan_out) for a fan-based initializer, got {dims}"
        )
    receptive_field = math.prod(dims[:-2])
    return dims[-2] * receptive_field, dims[-1] * receptive_field


def _truncated_standard_normal(rng: np.random.Generator, size: int) -> np.ndarray:
    """Standard normal samples restricted to [-2, 2] by redrawing those outside."""
    samples = rng.standard_normal(size)
    outside = np.flatnonzero(np.abs(samples) > 2)
    while outside.size:
        samples[outside] = rng.standard_normal(outside.size)
        outside = outside[np.abs(samples[outside]) > 2]
    return samples


class Initializer:
    """A named way to fill a weight array.

    Parameters
    ----------
    name : str
        Registry name.
    distribution : {"truncated_normal", "uniform", "normal", "constant"}
    scale : float
        Variance numerator for fan-based initializers.
    mode : {"fan_in", "fan_avg", None}
        Which fan divides ``scale``; None for the fixed-scale ones.
    """

    def __init__(self, name, distribution, scale=1.0, mode=None, stddev=None, limit=None):
        self.name = name
        self.distribution = distribution
        self.scale = scale
        self.mode = mode
        self.default_stddev = stddev
        self.default_limit = limit

    def target_variance(self, shape, **params) -> float:
        """Variance the drawn weights have in expectation."""
        if self.distribution == "constant":
            return 0.0
        if self.mode is None:
            if self.distribution == "normal":
                return self._stddev(params) ** 2
            return self._limit(params) ** 2 / 3
        fan_in, fan_out = compute_fans(shape)
        fan = fan_in if self.mode == "fan_in" else (fan_in + fan_out) / 2
        return self.scale / fan

    def target_std(self, shape, **params) -> float:
        """Standard deviation the drawn weights have in expectation."""
        return math.sqrt(self.target_variance(shape, **params))

    def bound(self, shape, **params) -> float:
        """Largest possible absolute value: the uniform limit or the truncation point 2 sigma."""
        if self.distribution == "uniform":
            return math.sqrt(3 * self.target_variance(shape, **params))
        if self.distribution == "truncated_normal":
            return 2 * self.target_std(shape) / TRUNCATED_NORMAL_STD
        return math.inf if self.distribution == "normal" else 0.0

    def _stddev(self, params):
        return positive_float(params.get("stddev", self.default_stddev), "stddev")

    def _limit(self, params):
        return positive_float(params.get("limit", self.default_limit), "limit")

    def __call__(self, shape, rng, dtype=np.float64, **params) -> np.ndarray:
        """Draw an array of ``shape`` (float32 or float64) from ``rng`` (Generator or int seed)."""
        dims = shape_tuple(shape)
        dtype = float_dtype(dtype)
        unknown = set(params) - {"stddev", "limit"}
        if unknown or (params and self.mode is not None):
            raise ArgumentError(f"{self.name} takes no parameter {sorted(params)}")
        if self.distribution == "constant":
            return np.zeros(dims, dtype=dtype)
        generator = as_generator(rng)
        size = math.prod(dims)
        if self.distribution == "truncated_normal":
            sigma = self.target_std(dims) / TRUNCATED_NORMAL_STD
            values = sigma * _truncated_standard_normal(generator, size)
        elif self.distribution == "normal":
            values = self._stddev(params) * generator.standard_normal(size)
        else:
            limit = self.bound(dims, **params)
            values = generator.uniform(-limit, limit, size)
        return values.reshape(dims).astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"nnspec.{self.name}"


glorot_normal = Initializer("glorot_normal", "truncated_normal", 1.0, "fan_avg")
glorot_uniform = Initializer("glorot_uniform", "uniform", 1.0, "fan_avg")
he_normal = Initializer("he_normal", "truncated_normal", 2.0, "fan_in")
he_uniform = Initializer("he_uniform", "uniform", 2.0, "fan_in")
lecun_normal = Initializer("lecun_normal", "truncated_normal", 1.0, "fan_in")
lecun_uniform = Initializer("lecun_uniform", "uniform", 1.0, "fan_in")
random_normal = Initializer("random_normal", "normal", stddev=0.05)
random_uniform = Initializer("random_uniform", "uniform", limit=0.05)
zeros = Initializer("zeros", "constant")

INITIALIZERS = {
    init.name: init
    for init in (
        glorot_normal,
        glorot_uniform,
        he_normal,
        he_uniform,
        lecun_normal,
        lecun_uniform,
        random_normal,
        random_uniform,
        zeros,
    )
}


def initializer(name) -> Initializer:
    """Return the initializer called ``name`` (an `Initializer` is returned as is)."""
    if isinstance(name, Initializer):
        return name
    return lookup(INITIALIZERS, name, "initializer")
