"""The Orthogonal and Identity initializers: orthogonality for tall, wide, square and conv shapes, gains, seeds
and numcnn's process generator, names and aliases as Keras 3 exports them, configs and Keras specs, errors."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import initializers, layers
from numcnn.initializers import Identity, Orthogonal
from numcnn.saving import keras_objects as kob
from numcnn.utils import set_random_seed

KERAS_SPECS = json.loads((Path(__file__).parent / "data" / "keras_norms" / "norms.json").read_text())["initializers"]


def gram(w: np.ndarray) -> np.ndarray:
    """``QᵀQ`` or ``QQᵀ``, whichever is the smaller square, of ``w`` flattened as Keras does (all but the last axis)."""
    q = w.reshape(-1, w.shape[-1]).astype(np.float64)
    return q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T


@pytest.mark.parametrize("shape", [(7, 3), (3, 7), (5, 5), (3, 3, 2, 4), (2, 2, 3, 16), (1, 6), (6, 1), (3, 2, 5)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_gives_orthonormal_columns_or_rows_times_gain(shape, gain):
    w = Orthogonal(gain=gain, seed=3)(shape, dtype="float64")
    assert w.shape == shape and w.dtype == np.float64
    k = min(int(np.prod(shape[:-1])), shape[-1])
    np.testing.assert_allclose(gram(w), gain**2 * np.eye(k), atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 9), cols=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_orthogonal_over_shapes(rows, cols, seed):
    w = Orthogonal(seed=seed)((rows, cols))
    assert w.dtype == np.float32
    np.testing.assert_allclose(gram(w), np.eye(min(rows, cols)), atol=1e-6)


def test_orthogonal_conv_kernel_is_flattened_over_all_but_its_last_axis():
    w = Orthogonal(seed=0)((3, 3, 8, 4), dtype="float64")  # 72 × 4: orthonormal filters
    filters = w.reshape(72, 4)
    np.testing.assert_allclose(filters.T @ filters, np.eye(4), atol=1e-12)
    wide = Orthogonal(seed=0)((1, 1, 4, 8), dtype="float64").reshape(4, 8)  # 4 × 8: orthonormal rows
    np.testing.assert_allclose(wide @ wide.T, np.eye(4), atol=1e-12)
    assert not np.allclose(wide.T @ wide, np.eye(8))


def test_orthogonal_seeds_and_the_process_generator():
    a, b = Orthogonal(seed=5)((6, 4)), Orthogonal(seed=5)((6, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, Orthogonal(seed=6)((6, 4)))
    np.testing.assert_array_equal(a, Orthogonal(seed=5)((6, 4), dtype="float64").astype(np.float32))
    set_random_seed(11)
    first = Orthogonal()((5, 5))
    set_random_seed(11)
    np.testing.assert_array_equal(first, Orthogonal()((5, 5)))
    assert not np.array_equal(first, Orthogonal()((5, 5)))  # the generator moved on
    # the sign rule makes Q unique: the same draws give the same Q whatever LAPACK's sign convention
    z = np.random.default_rng(0).standard_normal((6, 4))
    q = Orthogonal()((6, 4), dtype="float64", rng=np.random.default_rng(0))
    assert np.all(np.diag(q.T @ z) > 0)  # R = QᵀZ has a positive diagonal


def test_identity_is_the_identity_matrix_times_gain():
    np.testing.assert_array_equal(Identity()((3, 3)), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(Identity(gain=0.5)((2, 4), dtype="float64"), 0.5 * np.eye(2, 4))
    np.testing.assert_array_equal(Identity()((4, 2)), np.eye(4, 2))
    assert Identity()((2, 2), dtype="int32").dtype == np.int32  # Keras allows integer dtypes here
    dense = layers.Dense(4, kernel_initializer="identity")
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(dense(x), x)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("orthogonal", Orthogonal),
        ("Orthogonal", Orthogonal),
        ("OrthogonalInitializer", Orthogonal),
        ("identity", Identity),
        ("Identity", Identity),
        ("IdentityInitializer", Identity),
    ],
)
def test_names_and_aliases(name, cls):
    assert type(initializers.get(name)) is cls
    assert type(initializers.get({"class_name": name, "config": {}})) is cls


def test_module_aliases_are_the_classes():
    assert initializers.orthogonal is initializers.OrthogonalInitializer is Orthogonal
    assert initializers.identity is initializers.IdentityInitializer is Identity
    assert {"Orthogonal", "orthogonal", "OrthogonalInitializer", "Identity", "identity"} <= set(initializers.__all__)
    assert numcnn.initializers.IdentityInitializer(gain=2.0).gain == 2.0


def test_configs_round_trip():
    ortho = Orthogonal(gain=2.0, seed=3)
    assert ortho.get_config() == {"seed": 3, "gain": 2.0}  # Keras' keys, in Keras' order
    again = initializers.deserialize(initializers.serialize(ortho))
    np.testing.assert_array_equal(again((4, 3)), ortho((4, 3)))
    assert Identity().get_config() == {}  # what Keras 3.15 writes
    assert initializers.get(initializers.serialize(Identity(3.0))).gain == 3.0  # numcnn keeps another gain


@pytest.mark.parametrize("spec", KERAS_SPECS, ids=lambda s: f"{s['class_name']}-{s['config']}")
def test_keras_specs_round_trip(spec):
    obj = kob.initializer_from_keras(spec)
    assert type(obj).__name__ == spec["class_name"]
    assert kob.initializer_to_keras(obj) == spec
    assert type(kob.initializer_from_keras("orthogonal")) is Orthogonal  # Keras' string form


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Orthogonal()((4,)), ValueError, "argument 'shape': expected a shape of rank 2 or more"),
        (lambda: Orthogonal()(()), ValueError, "argument 'shape'"),
        (lambda: Orthogonal()((3, 3), dtype="int32"), ValueError, "argument 'dtype'"),
        (lambda: Orthogonal(gain="big"), TypeError, "argument 'gain'"),
        (lambda: Orthogonal(gain=float("inf")), ValueError, "argument 'gain'"),
        (lambda: Orthogonal(seed=-1), ValueError, "argument 'seed'"),
        (lambda: Orthogonal(seed=1.5), TypeError, "argument 'seed'"),
        (lambda: Identity()((3, 3, 3)), ValueError, "argument 'shape': expected a shape of rank 2"),
        (lambda: Identity()((3,)), ValueError, "argument 'shape'"),
        (lambda: Identity(gain=None), TypeError, "argument 'gain'"),
        (lambda: Identity()((3, -3)), ValueError, "argument 'shape'"),
    ],
)
def test_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
