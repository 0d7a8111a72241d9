import math

import numpy as np
import pytest

import nnspec as ns

FAN_BASED = {
    "glorot_normal": lambda fi, fo: 2 / (fi + fo),
    "glorot_uniform": lambda fi, fo: 2 / (fi + fo),
    "he_normal": lambda fi, fo: 2 / fi,
    "he_uniform": lambda fi, fo: 2 / fi,
    "lecun_normal": lambda fi, fo: 1 / fi,
    "lecun_uniform": lambda fi, fo: 1 / fi,
}


def test_fans_dense_and_conv():
    assert ns.compute_fans((784, 256)) == (784, 256)
    assert ns.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert ns.compute_fans((5, 7, 2, 4)) == (70, 140)


@pytest.mark.parametrize("shape", [(1000, 1000), (5, 5, 200, 200)], ids=["dense", "conv"])
@pytest.mark.parametrize("name", sorted(FAN_BASED))
def test_variance_bound_and_mean_with_a_million_samples(name, shape):
    init = ns.initializer(name)
    weights = init(shape, rng=0)
    assert weights.shape == shape and weights.dtype == np.float64 and weights.size >= 10**6
    fan_in, fan_out = ns.compute_fans(shape)
    target_std = math.sqrt(FAN_BASED[name](fan_in, fan_out))
    assert init.target_std(shape) == pytest.approx(target_std, rel=1e-15)
    assert abs(weights.std() / target_std - 1) < 0.01
    # the mean is within 5 standard errors of 0 (a false alarm has probability 6e-7)
    assert abs(weights.mean()) < 5 * target_std / math.sqrt(weights.size)
    if name.endswith("_uniform"):
        limit = math.sqrt(3) * target_std  # sqrt(6/(fi+fo)), sqrt(6/fi), sqrt(3/fi)
        assert np.abs(weights).max() <= limit
        assert np.abs(weights).max() > 0.999 * limit
    else:
        sigma = target_std / ns.initializers.TRUNCATED_NORMAL_STD
        assert np.abs(weights).max() <= 2 * sigma
        assert np.abs(weights).max() > 0.999 * 2 * sigma  # the bound is reached, not narrower


def test_uniform_limits_match_the_published_formulas():
    assert ns.glorot_uniform.bound((300, 100)) == pytest.approx(math.sqrt(6 / 400), rel=1e-15)
    assert ns.he_uniform.bound((300, 100)) == pytest.approx(math.sqrt(6 / 300), rel=1e-15)
    assert ns.lecun_uniform.bound((300, 100)) == pytest.approx(math.sqrt(3 / 300), rel=1e-15)


def test_truncation_constant_is_the_std_of_a_normal_truncated_at_two():
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.sqrt(1 - 4 * phi2 / mass) == pytest.approx(ns.initializers.TRUNCATED_NORMAL_STD, rel=1e-15)


def test_fixed_scale_initializers():
    normal = ns.random_normal((1000, 1000), 0)
    assert abs(normal.std() / 0.05 - 1) < 0.01
    wide = ns.random_normal((1000, 1000), 0, stddev=1.0)
    assert abs(wide.std() - 1) < 0.01
    uniform = ns.random_uniform((1000, 1000), 0)
    assert np.abs(uniform).max() <= 0.05 and abs(uniform.std() / (0.05 / math.sqrt(3)) - 1) < 0.01
    assert not ns.zeros((3, 4), 0).any()


def test_same_seed_same_array_and_generators_accepted():
    for init in ns.INITIALIZERS.values():
        np.testing.assert_array_equal(init((20, 30), 7), init((20, 30), 7))
        np.testing.assert_array_equal(init((20, 30), np.random.default_rng(7)), init((20, 30), 7))
    assert not np.array_equal(ns.glorot_uniform((20, 30), 1), ns.glorot_uniform((20, 30), 2))


def test_float32_is_the_float64_draw_rounded():
    w32 = ns.he_normal((50, 40), 3, dtype=np.float32)
    assert w32.dtype == np.float32
    np.testing.assert_array_equal(w32, ns.he_normal((50, 40), 3).astype(np.float32))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ns.glorot_uniform((10,), 0), r"at least 2 dimensions.*got \(10,\)"),
        (lambda: ns.compute_fans((0, 3)), r"positive integers, got 0 at position 0"),
        (lambda: ns.he_normal((4, -2), 0), r"positive integers, got -2 at position 1"),
        (
            lambda: ns.glorot_normal((4, 2), None),
            r"rng must be a numpy.random.Generator or a non-negative int seed",
        ),
        (lambda: ns.glorot_normal((4, 2), 0, dtype=np.int32), r"dtype must be float32 or float64, got int32"),
        (lambda: ns.initializer("xavier"), r"unknown initializer 'xavier'; valid names are: glorot_normal"),
        (lambda: ns.random_normal((2, 2), 0, stddev=-1.0), r"stddev must be a finite number > 0, got -1.0"),
        (lambda: ns.he_normal((2, 2), 0, stddev=1.0), r"he_normal takes no parameter \['stddev'\]"),
        (lambda: ns.random_uniform((2, 2), 0, scale=1.0), r"random_uniform takes no parameter \['scale'\]"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ns.ArgumentError, match=message):
        call()
