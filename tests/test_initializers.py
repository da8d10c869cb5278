"""Initializers: Keras' fans, limits and truncation, seeding, dtypes, and ``get``."""

import math

import numpy as np
import pytest

from numcnn import initializers
from numcnn.initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Ones,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)

TRUNC = 0.87962566103423978  # std of a unit normal truncated at ±2


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((7,), (7, 7)),
        ((5, 3), (5, 3)),
        ((3, 3, 32, 64), (288, 576)),
        ((5, 2, 4), (10, 20)),  # 1-D conv kernel (k, c_in, c_out)
        ((), (1, 1)),
    ],
)
def test_compute_fans_match_keras(shape, fans):
    assert compute_fans(shape) == fans


def test_glorot_uniform_conv_limit_and_variance():
    shape = (3, 3, 32, 64)
    limit = math.sqrt(6 / (288 + 576))
    w = GlorotUniform(seed=1)(shape, dtype="float64")
    assert w.shape == shape
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit  # fills the whole interval, not a narrower one
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.02)
    assert abs(w.mean()) < 0.01 * limit


def test_glorot_uniform_dense_limit():
    w = GlorotUniform(seed=0)((9216, 128), dtype="float64")
    limit = math.sqrt(6 / (9216 + 128))
    assert np.abs(w).max() <= limit
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.01)


@pytest.mark.parametrize(
    ("cls", "shape", "limit"),
    [
        (HeUniform, (3, 3, 16, 8), math.sqrt(6 / 144)),
        (LecunUniform, (200, 50), math.sqrt(3 / 200)),
    ],
)
def test_uniform_variance_scaling_limits(cls, shape, limit):
    w = cls(seed=3)(shape, dtype="float64")
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.98 * limit
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.05)


@pytest.mark.parametrize(
    ("cls", "shape", "variance"),
    [
        (HeNormal, (3, 3, 32, 64), 2 / 288),
        (GlorotNormal, (3, 3, 32, 64), 2 / (288 + 576)),
        (LecunNormal, (400, 300), 1 / 400),
    ],
)
def test_truncated_normals_cut_at_two_stddev_with_target_variance(cls, shape, variance):
    w = cls(seed=11)(shape, dtype="float64")
    stddev = math.sqrt(variance) / TRUNC  # the stddev of the normal *before* truncation
    assert np.abs(w).max() <= 2 * stddev
    assert np.abs(w).max() > 1.95 * stddev  # truncated at 2, not at some smaller bound
    # After truncation the std is back to sqrt(variance): that is what the 0.8796 factor is for.
    assert w.std() == pytest.approx(math.sqrt(variance), rel=0.03)


def test_truncated_normal_class_and_random_normal():
    t = TruncatedNormal(mean=1.0, stddev=0.5, seed=2)((200_000,), dtype="float64")
    assert np.abs(t - 1.0).max() <= 1.0
    assert t.std() == pytest.approx(0.5 * TRUNC, rel=0.02)
    n = RandomNormal(seed=2)((200_000,), dtype="float64")
    assert n.std() == pytest.approx(0.05, rel=0.02)
    assert np.abs(n).max() > 0.2  # an untruncated normal goes past 4 stddev in 200k draws


def test_random_uniform_defaults():
    w = RandomUniform(seed=5)((100_000,), dtype="float64")
    assert w.min() >= -0.05
    assert w.max() < 0.05
    assert w.min() < -0.049
    assert w.max() > 0.049


def test_zeros_ones_and_constant():
    z = Zeros()((3, 4))
    o = Ones()((2,), dtype="float64")
    assert z.dtype == np.float32
    assert not z.any()
    assert o.dtype == np.float64
    assert (o == 1).all()
    assert (initializers.Constant(2.5)((2, 2)) == 2.5).all()
    assert initializers.get("zeros")((5,), dtype="int64").dtype == np.int64


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "lecun_uniform", "random_normal"])
def test_seeds_reproduce_and_differ(name):
    cls = type(initializers.get(name))
    a = cls(seed=42)((6, 7))
    b = cls(seed=42)((6, 7))
    c = cls(seed=43)((6, 7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # a seeded initializer gives the same values on every call; an explicit generator overrides the seed
    np.testing.assert_array_equal(a, cls(seed=42)((6, 7)))
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(cls()((6, 7), rng=rng_a), cls(seed=1)((6, 7), rng=rng_b))


def test_unseeded_draws_follow_the_process_generator():
    from numcnn import random as nrandom

    nrandom.set_seed(123)
    a = GlorotUniform()((4, 4))
    nrandom.set_seed(123)
    b = GlorotUniform()((4, 4))
    c = GlorotUniform()((4, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dtype_default_float32_and_float64_same_values():
    init = HeNormal(seed=7)
    w32 = init((10, 10))
    w64 = init((10, 10), dtype="float64")
    assert w32.dtype == np.float32
    assert w64.dtype == np.float64
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


def test_bad_arguments_raise_house_style():
    with pytest.raises(ValueError, match=r"Invalid value for argument 'shape'.*Received: shape=\(3, -1\)"):
        GlorotUniform()((3, -1))
    with pytest.raises(TypeError, match="argument 'shape'"):
        GlorotUniform()("3x3")
    with pytest.raises(ValueError, match="argument 'dtype': expected a floating-point dtype"):
        GlorotUniform()((3, 3), dtype="int32")
    with pytest.raises(ValueError, match="argument 'stddev': expected a positive number. Received: stddev=0"):
        RandomNormal(stddev=0)
    with pytest.raises(ValueError, match="argument 'mode'"):
        VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="argument 'maxval'"):
        RandomUniform(minval=1.0, maxval=0.5)
    with pytest.raises(ValueError, match="argument 'seed'"):
        GlorotUniform(seed=-1)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("glorot_uniform", GlorotUniform),
        ("glorot_normal", GlorotNormal),
        ("he_normal", HeNormal),
        ("he_uniform", HeUniform),
        ("lecun_normal", LecunNormal),
        ("lecun_uniform", LecunUniform),
        ("zeros", Zeros),
        ("ones", Ones),
        ("random_normal", RandomNormal),
        ("random_uniform", RandomUniform),
        ("GlorotUniform", GlorotUniform),
        ("HeNormal", HeNormal),
    ],
)
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_instance_config_and_round_trip():
    inst = RandomNormal(mean=0.1, stddev=0.2, seed=4)
    assert initializers.get(inst) is inst
    again = initializers.get(initializers.serialize(inst))
    assert type(again) is RandomNormal
    assert again.get_config() == {"mean": 0.1, "stddev": 0.2, "seed": 4}
    np.testing.assert_array_equal(again((3,)), inst((3,)))
    keras_style = {"class_name": "GlorotUniform", "config": {"seed": 3}}
    assert initializers.get(keras_style).seed == 3
    assert GlorotUniform(seed=3).get_config() == {"seed": 3}
    vs = VarianceScaling(2.0, "fan_out", "uniform", seed=1).get_config()
    assert vs == {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}
    assert initializers.get(None) is None


def test_get_errors():
    with pytest.raises(ValueError, match=r"'initializer': expected one of .*'glorot_uniform'.*Received"):
        initializers.get("glorot_uniformm")
    with pytest.raises(ValueError, match="'he_normal'"):
        initializers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="Invalid value for argument 'initializer'"):
        initializers.get(3.0)
