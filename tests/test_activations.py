"""Activations: every backward pass against central differences in float64, Keras 3's formulas written out,
dtypes kept, inputs never modified. The comparison with Keras itself is in test_keras_objectives.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numcnn import activations
from numcnn.gradcheck import check_function

NAMES = activations._REGISTRY.names()
KINKS = {  # where each activation is not differentiable: the probe points stay clear of these
    "relu": [0],
    "leaky_relu": [0],
    "elu": [0],
    "selu": [0],
    "celu": [0],
    "relu6": [0, 6],
    "hard_sigmoid": [-3, 3],
    "hard_silu": [-3, 3],
    "hard_tanh": [-1, 1],
    "sparse_plus": [-1, 1],
    "sparse_sigmoid": [-1, 1],
}


def probe_points(rng, name, shape=(5, 7)):
    x = rng.uniform(-7, 7, shape)
    for kink in KINKS.get(activations.get(name).name, []):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("name", NAMES)
def test_backward_is_the_derivative(rng, name):
    fn = activations.get(name)
    r = rng.standard_normal((5, 7))
    x = probe_points(rng, name)
    err = check_function(lambda v: float(np.sum(fn.forward(v) * r)), lambda v: fn.backward(r, v, fn.forward(v)), x)
    assert err <= 1e-7


@pytest.mark.parametrize("name", NAMES)
def test_dtype_is_kept_and_inputs_are_not_modified(rng, name):
    fn = activations.get(name)
    for dtype in (np.float32, np.float64):
        x = probe_points(rng, name).astype(dtype)
        before, dy = x.copy(), np.ones_like(x)
        y = fn.forward(x)
        dx = fn.backward(dy, x if fn.needs_input else None, y)
        assert y.dtype == dtype and dx.dtype == dtype and y.shape == x.shape
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("selu", lambda x: 1.0507009873554805 * (x if x > 0 else 1.6732632423543772 * math.expm1(x))),
        ("silu", lambda x: x / (1 + math.exp(-x))),
        ("swish", lambda x: x / (1 + math.exp(-x))),
        ("hard_sigmoid", lambda x: min(max(x / 6 + 0.5, 0.0), 1.0)),  # Keras 3: relu6(x + 3) / 6
        ("hard_silu", lambda x: x * min(max(x / 6 + 0.5, 0.0), 1.0)),
        ("mish", lambda x: x * math.tanh(math.log1p(math.exp(x)))),
        ("relu6", lambda x: min(max(x, 0.0), 6.0)),
        ("softsign", lambda x: x / (1 + abs(x))),
        ("exponential", math.exp),
        ("celu", lambda x: max(x, 0.0) + math.expm1(min(x, 0.0))),
        ("hard_tanh", lambda x: min(max(x, -1.0), 1.0)),
        ("log_sigmoid", lambda x: -math.log1p(math.exp(-x))),
        ("tanh_shrink", lambda x: x - math.tanh(x)),
        ("sparse_plus", lambda x: 0.0 if x <= -1 else (x + 1) ** 2 / 4 if x < 1 else x),
        ("sparse_sigmoid", lambda x: min(max((x + 1) / 2, 0.0), 1.0)),
        ("squareplus", lambda x: (x + math.sqrt(x * x + 4)) / 2),
        ("leaky_relu", lambda x: x if x > 0 else 0.2 * x),  # Keras 3's slope
        ("gelu", lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2)))),  # exact, approximate=False
        ("elu", lambda x: x if x > 0 else math.expm1(x)),
        ("softplus", lambda x: math.log1p(math.exp(x))),
    ],
)
def test_elementwise_values_are_keras_formulas(name, formula):
    x = np.array([-6.5, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 6.0, 7.5])
    expected = [formula(v) for v in x]
    np.testing.assert_allclose(activations.get(name)(x), expected, rtol=1e-12, atol=1e-15)


def test_log_softmax_is_the_log_of_softmax_and_stays_finite(rng):
    x = rng.standard_normal((3, 6))
    np.testing.assert_allclose(activations.log_softmax(x), np.log(activations.softmax(x)), rtol=1e-12)
    np.testing.assert_allclose(activations.log_softmax(np.array([[1000.0, 0.0]])), [[0.0, -1000.0]])


def test_saturated_inputs_stay_finite():
    x = np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0])
    for name in ("selu", "silu", "mish", "log_sigmoid", "softplus", "sparse_plus", "squareplus", "softsign"):
        fn = activations.get(name)
        with np.errstate(over="raise", invalid="raise"):
            y = fn.forward(x)
            dx = fn.backward(np.ones_like(x), x, y)
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx)), name


def test_aliases_are_the_same_function_serialized_under_keras_names():
    assert activations.get("swish") is activations.silu is activations.swish
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.serialize(activations.get("swish")) == "silu"


def test_calling_an_activation_takes_lists():
    np.testing.assert_allclose(activations.relu6([-1, 3, 9]), [0, 3, 6])
    assert activations.relu6([1, 2]).dtype == np.float32


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="argument 'activation'.*'sparsemax'"):
        activations.get("sparsemax")  # Keras 3.15's sparsemax does not sum to 1; numcnn leaves it out
