"""The Keras file readers on the fixtures Keras 3.15.1 and tf_keras 2.21 wrote (tests/data/keras/, made by
tests/data/make_keras_fixtures.py): members, layouts, shapes, order, and values proven by rebuilding each
model from numcnn's layers and getting Keras' predictions back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn.saving.keras_config import keras_build_shape, layer_from_keras
from numcnn.saving.keras_model import model_spec
from numcnn.saving.keras_weights import keras_layer_paths, read_weights
from numcnn.saving.keras_zip import read_keras
from numcnn.saving.legacy_h5 import read_legacy_h5

DATA = Path(__file__).parent / "data" / "keras"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
KERAS_FILES = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*.keras"))
# float32 forward passes in a different order of summation than TensorFlow's kernels
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(DATA / f"{stem}.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def weight_paths(spec, prefix="layers") -> list[str]:
    """Keras' paths for a model's layers: a Sequential's list skips its InputLayer, a Functional's keeps it; a
    nested model's layers follow its own path."""
    layers = spec.layers if spec.kind == "Functional" else [s for s in spec.layers if s["class_name"] != "InputLayer"]
    paths = keras_layer_paths([s["class_name"] for s in layers], prefix)
    nested = [weight_paths(model_spec(s), f"{p}/layers") for s, p in zip(layers, paths) if "layers" in s["config"]]
    return paths + [p for inner in nested for p in inner]


def run(spec, weights, x, merge=None):
    """Predict with numcnn's layers, built from the file's specs and loaded with the file's weights.

    Sequential: layer after layer. Functional: in the file's order, feeding each call its inbound tensors;
    ``merge`` computes the layers numcnn does not have yet (Add) from their input list.
    """
    outputs = {}
    paths = dict(zip((s["config"]["name"] for s in spec.layers if spec.kind == "Functional"), weight_paths(spec)))
    seq_paths = iter(weight_paths(spec))
    y = x
    for layer_spec in spec.layers:
        name = layer_spec["config"]["name"]
        if layer_spec["class_name"] == "InputLayer":
            outputs[name] = x
            continue
        path = paths[name] if spec.kind == "Functional" else next(seq_paths)
        inputs = [outputs[ref[0]] for ref in spec.calls[name][0].inputs] if spec.kind == "Functional" else [y]
        if layer_spec["class_name"] == "Add":
            y = merge(inputs)
        else:
            layer = layer_from_keras(layer_spec)
            layer.build(keras_build_shape(layer_spec) or (None, *inputs[0].shape[1:]))
            layer.set_weights(weights.layers[path])
            y = layer.forward(inputs[0], training=False)
        outputs[name] = y
    return y


@pytest.mark.parametrize("name", KERAS_FILES)
def test_every_keras_file_reads_with_keras_layout(name):
    archive = read_keras(DATA / name)
    assert archive.metadata["keras_version"] == "3.15.1"
    spec = model_spec(archive.config)
    weights = read_weights(archive.weights, name)
    assert sorted(weights.layers) == sorted(weight_paths(spec))  # one group per layer, named by class and position
    for arrays in weights.layers.values():
        assert all(a.dtype == np.float32 for a in arrays)
    compiled = bool(archive.config.get("compile_config"))
    assert (weights.optimizer is not None) == compiled
    if compiled:
        iteration = weights.optimizer[0]
        assert iteration.dtype == np.int64 and iteration.shape == ()


@pytest.mark.parametrize(
    "stem", ["notebook", "bn_dropout", *(f"layers/{p.stem}" for p in (DATA / "layers").glob("*.keras"))]
)
def test_sequential_fixtures_give_keras_predictions(stem):
    archive = read_keras(DATA / f"{stem}.keras")
    spec = model_spec(archive.config)
    data = expected(stem)
    y = run(spec, read_weights(archive.weights), data["x"])
    np.testing.assert_allclose(y, data["y"], **TOLERANCE)


def test_a_weights_file_matches_the_keras_file_of_the_same_model():
    weights = read_weights(DATA / "bn_dropout.weights.h5")
    from_zip = read_weights(read_keras(DATA / "bn_dropout.keras").weights)
    assert weights.layers.keys() == from_zip.layers.keys()
    for path, arrays in weights.layers.items():
        assert all(np.array_equal(a, b) for a, b in zip(arrays, from_zip.layers[path], strict=True))
    assert len(weights.optimizer) == len(from_zip.optimizer)  # Keras' save_weights keeps the optimizer too
    assert all(np.array_equal(a, b) for a, b in zip(weights.optimizer, from_zip.optimizer, strict=True))


def test_the_notebook_file_holds_its_weights_in_keras_order():
    archive = read_keras(DATA / "notebook.keras")
    weights = read_weights(archive.weights)
    assert weights.names["layers/conv2d"] == "conv2d_2"  # saved from a copy with other names: paths do not
    assert [a.shape for a in weights.optimizer] == [(), ()]  # compiled, never trained: iteration and rate
    shapes = [a.shape for path in weight_paths(model_spec(archive.config)) for a in weights.layers[path]]
    assert shapes == [
        (3, 3, 1, 32),
        (32,),
        (3, 3, 32, 64),
        (64,),
        (9216, 128),
        (128,),
        (128, 128),
        (128,),
        (128, 10),
        (10,),
    ]
    assert sum(int(np.prod(s)) for s in shapes) == 1_216_394  # the notebook's summary


def test_batch_normalization_order_is_gamma_beta_then_moving_statistics():
    weights = read_weights(read_keras(DATA / "bn_dropout.keras").weights)
    gamma, beta, mean, variance = weights.layers["layers/batch_normalization"]
    assert not np.allclose(mean, 0) and not np.allclose(variance, 1)  # trained: moved off the initial values
    assert (variance > 0).all()
    # center=False: no beta, so moving statistics follow gamma directly
    gamma1, mean1, variance1 = weights.layers["layers/batch_normalization_1"]
    assert gamma1.shape == mean1.shape == variance1.shape == (6,)


def test_residual_functional_fixture():
    archive = read_keras(DATA / "residual.keras")
    spec = model_spec(archive.config)
    assert spec.kind == "Functional" and spec.inputs == [("input_layer", 0, 0)] and spec.outputs == [("dense", 0, 0)]
    assert [call.inputs for call in spec.calls["add"]] == [[("conv2d_1", 0, 0), ("conv2d", 0, 0)]]
    assert spec.calls["add"][0].as_list and not spec.calls["conv2d"][0].as_list
    weights = read_weights(archive.weights)
    assert weights.layers["layers/input_layer"] == [] and weights.layers["layers/add"] == []
    data = expected("residual")
    y = run(spec, weights, data["x"], merge=lambda xs: xs[0] + xs[1])
    np.testing.assert_allclose(y, data["y"], **TOLERANCE)


@pytest.mark.parametrize("name", ["keras2_model.h5", "keras2_weights.h5", "keras3_legacy.h5"])
def test_legacy_h5_files(name):
    legacy = read_legacy_h5(str(DATA / name))
    keras2 = name.startswith("keras2")
    assert legacy.keras_version == ("2.21.0" if keras2 else "3.15.1") and legacy.backend == "tensorflow"
    assert list(legacy.layers) == ["conv2d", "max_pooling2d", "flatten", "dense", *(["dense_1"] if keras2 else [])]
    assert legacy.layers["flatten"] == [] and legacy.weight_names["flatten"] == []
    suffix = ":0" if keras2 else ""
    prefix = "" if keras2 else "sequential/"
    assert legacy.weight_names["conv2d"] == [f"{prefix}conv2d/kernel{suffix}", f"{prefix}conv2d/bias{suffix}"]
    assert [a.shape for a in legacy.layers["conv2d"]] == [(3, 3, 1, 4), (4,)]
    if name == "keras2_weights.h5":
        assert legacy.model_config is None and legacy.optimizer is None
        return
    assert legacy.model_config["class_name"] == "Sequential"
    assert legacy.training_config["loss"] == "categorical_crossentropy"
    names = legacy.optimizer_names
    if keras2:  # iteration, then m and v interleaved per variable; no learning rate variable
        assert names[:3] == ["iteration:0", "Adam/m/conv2d/kernel:0", "Adam/v/conv2d/kernel:0"]
        assert int(legacy.optimizer[0]) == 3
    else:
        assert names[:3] == ["adam/iteration", "adam/learning_rate", "adam/sequential_conv2d_kernel_momentum"]
        assert int(legacy.optimizer[0]) == 2
    assert len(names) == len(legacy.optimizer) == (13 if keras2 else 10)


def test_legacy_h5_predictions_by_position():
    """Keras loads legacy weights by position: the file's layers with weights go to the model's, in order."""
    for name, stem in (
        ("keras2_model.h5", "keras2"),
        ("keras2_weights.h5", "keras2"),
        ("keras3_legacy.h5", "keras3_legacy"),
    ):
        legacy = read_legacy_h5(str(DATA / name))
        config = legacy.model_config or read_legacy_h5(str(DATA / "keras2_model.h5")).model_config
        spec = model_spec(config)
        with_weights = iter(arrays for arrays in legacy.layers.values() if arrays)
        data = expected(stem)
        y = data["x"]
        for layer_spec in spec.layers:
            if layer_spec["class_name"] == "InputLayer":
                continue
            layer = layer_from_keras(layer_spec)
            layer.build((None, *y.shape[1:]))
            if layer.weights:
                layer.set_weights(next(with_weights))
            y = layer.forward(y)
        np.testing.assert_allclose(y, data["y"], **TOLERANCE)


def test_manifest_records_the_versions_checked_against():
    assert MANIFEST["versions"]["keras"] == "3.15.1" and MANIFEST["versions"]["tf_keras"] == "2.21.0"
    legacy = {"keras2_model.h5", "keras3_legacy.h5", "keras2_functional.h5"}
    assert set(MANIFEST["files"]) == {*KERAS_FILES, "bn_dropout.weights.h5", *legacy}
