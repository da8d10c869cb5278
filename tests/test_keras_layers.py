"""The new layers against Keras 3.15.1: forward outputs, weight names, shapes and order, and config keys, from the
fixture tests/data/keras_layers.npz (written by tests/data/make_keras_layers.py with Keras on TensorFlow).

Every case is rebuilt from the keyword arguments Keras was given, gets Keras' weights through ``set_weights``
(or learns them by ``adapt`` on the same data), and runs in float32 with both op sets. Augmentation cases replay
the parameters of the call Keras was given.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn import layers

FIXTURE = Path(__file__).parent / "data" / "keras_layers.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
MANIFEST = json.loads(str(DATA["manifest"]))
CASES = {case["id"]: case for case in MANIFEST["cases"]}


def built_layer(case):
    """The numcnn layer of a case, with Keras' weights (or adapted on Keras' data), and its inputs."""
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    xs = [DATA[k] for k in case["inputs"]]
    if "adapt" in case:
        data = case["adapt"]
        layer.adapt([DATA[k] for k in data] if isinstance(data, list) else DATA[data])
    else:
        layer.ensure_built([(None, *x.shape[1:]) for x in xs] if case["as_list"] else (None, *xs[0].shape[1:]))
        if case["weights"]:
            layer.set_weights([DATA[k] for k in case["weights"]])
    return layer, (xs if case["as_list"] else xs[0])


def run(layer, case, x):
    if "params" in case:
        params = DATA[case["params"]]
        layer.draw = lambda shape, rng: params
        return np.asarray(layer(x, training=True))
    return np.asarray(layer(x))


def test_fixture_records_its_versions():
    versions = MANIFEST["versions"]
    assert versions["keras"] == "3.15.1" and versions["backend"] == "tensorflow"
    assert len(CASES) >= 80


@pytest.mark.parametrize("cid", sorted(CASES))
def test_forward_matches_keras(kernels, cid):
    case = CASES[cid]
    layer, x = built_layer(case)
    expected = DATA[case["output"]]
    y = run(layer, case, x)
    assert y.shape == expected.shape and y.dtype == np.float32
    # float32 on both sides; TensorFlow sums and interpolates in other orders
    np.testing.assert_allclose(y, expected, rtol=2e-6, atol=2e-6 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("cid", sorted(CASES))
def test_weights_and_config_keys_match_keras(cid):
    case = CASES[cid]
    layer, _ = built_layer(case)
    assert [*layer.params, *layer.state] == case["weight_names"]
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    assert sorted(layer.get_config()) == case["config_keys"]


@pytest.mark.parametrize("cid", [c for c in sorted(CASES) if "adapt" in CASES[c]])
def test_adapt_learns_keras_statistics(cid):
    case = CASES[cid]
    layer, _ = built_layer(case)
    for ours, key in zip(layer.weights[:2], case["weights"][:2]):  # mean, variance
        np.testing.assert_allclose(ours, DATA[key], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cid", sorted(CASES))
def test_config_round_trip_rebuilds_the_same_layer(cid):
    case = CASES[cid]
    layer, x = built_layer(case)
    config = layer.get_config()
    clone = type(layer).from_config({**config, "name": config["name"] + "_clone"})
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"
    }
    shapes = [(None, *v.shape[1:]) for v in x] if case["as_list"] else (None, *x.shape[1:])
    clone.ensure_built(shapes)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(run(clone, case, x), run(layer, case, x))
