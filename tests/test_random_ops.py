"""``numcnn.random`` as Keras 3's ``keras.random``: shapes, dtypes, ranges and moments of every draw; Keras' seed
rules (an int repeats, a SeedGenerator moves on, None follows set_random_seed); bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import numcnn
from numcnn import random

N = 200_000


def test_continuous_draws_have_their_shapes_dtypes_ranges_and_moments():
    z = random.normal((N,), mean=2.0, stddev=3.0, seed=1)
    assert z.shape == (N,) and z.dtype == np.float32 and abs(z.mean() - 2) < 0.05 and abs(z.std() - 3) < 0.05
    u = random.uniform((400, 500), minval=-1.0, maxval=3.0, dtype="float64", seed=2)
    assert u.dtype == np.float64 and u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.02
    t = random.truncated_normal((N,), stddev=2.0, seed=3)
    assert np.abs(t).max() <= 4.0 and 1.5 < t.std() < 1.8  # N(0, 2²) within ±2σ has σ ≈ 0.88·2
    g = random.gamma((N,), alpha=3.0, seed=4)
    assert abs(g.mean() - 3) < 0.05 and g.min() >= 0
    b = random.beta((N,), 2.0, 6.0, seed=5)
    assert abs(b.mean() - 0.25) < 0.01 and b.min() >= 0 and b.max() <= 1
    k = random.binomial((N,), 10, 0.3, seed=6)
    assert abs(k.mean() - 3) < 0.05 and set(np.unique(k)) <= set(range(11))
    assert isinstance(z.numpy(), np.ndarray) and type(z.numpy()) is np.ndarray


def test_integer_draws_shuffles_and_categories():
    r = random.randint((N,), 3, 7, seed=1)
    assert r.dtype == np.int32 and set(np.unique(r)) == {3, 4, 5, 6}
    x = np.arange(24).reshape(4, 6)
    s = random.shuffle(x, axis=1, seed=2)
    assert sorted(s[0]) == list(range(6)) and np.array_equal(s, x[:, s[0]])  # whole columns moved
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.0001, 0.0001, 0.9998]]))
    c = random.categorical(logits, 50_000, seed=3)
    assert c.shape == (2, 50_000) and c.dtype == np.int32
    np.testing.assert_allclose(np.bincount(c[0], minlength=3) / 50_000, [0.7, 0.2, 0.1], atol=0.01)
    assert (c[1] == 2).mean() > 0.99


def test_dropout_zeroes_at_the_rate_and_scales_the_rest():
    x = np.ones((500, 400), np.float32)
    y = random.dropout(x, 0.3, seed=1)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01 and np.allclose(y[kept], 1 / 0.7) and y.dtype == np.float32
    rows = random.dropout(x, 0.5, noise_shape=(500, 1), seed=2)
    assert all(len(set(row)) == 1 for row in rows[:20])  # one draw per row, broadcast


def test_seeds_follow_keras_rules():
    assert np.array_equal(random.normal((5,), seed=7), random.normal((5,), seed=7))  # an int repeats
    gen = random.SeedGenerator(7)
    first, second = random.normal((5,), seed=gen), random.normal((5,), seed=gen)
    assert not np.array_equal(first, second)  # a SeedGenerator moves on
    np.testing.assert_array_equal(first, random.normal((5,), seed=random.SeedGenerator(7)))
    numcnn.utils.set_random_seed(3)
    a = random.uniform((4,))
    numcnn.utils.set_random_seed(3)
    np.testing.assert_array_equal(a, random.uniform((4,)))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: random.normal((2, -1)), TypeError, "argument 'shape'"),
        (lambda: random.normal((2,), stddev=-1.0), ValueError, "argument 'stddev'"),
        (lambda: random.uniform((2,), 1.0, 1.0), ValueError, "argument 'maxval'"),
        (lambda: random.normal((2,), dtype="int32"), ValueError, "argument 'dtype'"),
        (lambda: random.randint((2,), 1.5, 3), TypeError, "argument 'minval'"),
        (lambda: random.randint((2,), 3, 3), ValueError, "argument 'maxval'"),
        (lambda: random.dropout(np.ones(3), 1.0), ValueError, "argument 'rate'"),
        (lambda: random.dropout(np.ones((3, 2)), 0.5, noise_shape=(2, 2)), ValueError, "argument 'noise_shape'"),
        (lambda: random.categorical(np.ones(3), 2), ValueError, "argument 'logits'"),
        (lambda: random.binomial((2,), 3, 1.5), ValueError, "argument 'probabilities'"),
        (lambda: random.shuffle(np.ones(3), axis=1), ValueError, "argument 'axis'"),
        (lambda: random.normal((2,), seed=-1), ValueError, "argument 'seed'"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
