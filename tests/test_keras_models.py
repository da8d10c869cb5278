"""Files Keras wrote (tests/data/keras/, by Keras 3.15.1 and tf_keras 2.21) loaded with numcnn's ``load_model`` and
``load_weights``: Keras' predictions (1e-5), its compile settings, and its optimizer state, so that numcnn's next
training step is Keras' next step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from numcnn import optimizers
from numcnn.models import Functional, Sequential, load_model
from numcnn.saving.keras_weights import read_weights
from numcnn.saving.keras_zip import read_keras
from numcnn.saving.legacy_h5 import read_legacy_h5

DATA = Path(__file__).parent / "data" / "keras"
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}  # float32, summed in another order than TensorFlow's kernels
STEMS = ["notebook", "bn_dropout", "sequential_nested"]
STEMS += [f"layers/{p.stem}" for p in sorted((DATA / "layers").glob("*.keras"))]
STEMS += [f"optimizers/{p.stem}" for p in sorted((DATA / "optimizers").glob("*.keras"))]


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(DATA / f"{stem}.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("stem", STEMS)
def test_sequential_keras_files_give_keras_predictions(stem):
    model = load_model(DATA / f"{stem}.keras")
    assert isinstance(model, Sequential)
    data = expected(stem)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], **TOLERANCE)


@pytest.mark.parametrize(
    ("name", "stem"), [("residual.keras", "residual"), ("keras2_functional.h5", "keras2_functional")]
)
def test_functional_files_with_a_residual_add(name, stem):
    model = load_model(DATA / name)
    assert isinstance(model, Functional) and type(model.get_layer("add")).__name__ == "Add"
    data = expected(stem)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], **TOLERANCE)


def test_nested_models_shared_layers_and_two_outputs():
    model = load_model(DATA / "nested.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Sequential", "Functional", "Dropout", "Dense", "Dense"
    ]  # fmt: skip
    assert model.get_layer("block").get_layer(index=1).moving_mean_initializer is not None
    data = expected("nested")
    y0, y1 = model.predict(data["x"], verbose=0)
    np.testing.assert_allclose(y0, data["y0"], **TOLERANCE)
    np.testing.assert_allclose(y1, data["y1"], **TOLERANCE)
    # two losses weighted 1 and 0.5, Adam's moments of every nested weight: Keras' next step
    assert model.optimizer.iterations == 2
    model.train_on_batch(data["x_next"], [data["y_next0"], data["y_next1"].astype(np.float32)])
    after = [data[f"weights_next/{i}"] for i in range(len(model.weights))]
    for mine, theirs in zip(model.get_weights(), after):
        np.testing.assert_allclose(mine, theirs, **TOLERANCE)


@pytest.mark.parametrize(("name", "stem"), [("keras2_model.h5", "keras2"), ("keras3_legacy.h5", "keras3_legacy")])
def test_legacy_full_model_files(name, stem):
    model = load_model(DATA / name)
    data = expected(stem)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], **TOLERANCE)
    legacy = read_legacy_h5(DATA / name)
    assert isinstance(model.optimizer, optimizers.Adam) and model.metrics_names == ["loss"]  # until a batch
    assert model.optimizer.iterations == int(legacy.optimizer[0])
    state = model.optimizer.state_dict()
    if name.startswith("keras2"):  # Keras 2's names: Adam/m/conv2d/kernel:0
        first_m = legacy.optimizer[legacy.optimizer_names.index("Adam/m/conv2d/kernel:0")]
    else:  # Keras 3's order
        first_m = legacy.optimizer[2]
    np.testing.assert_array_equal(state["momentum/conv2d/kernel"], first_m)


def test_compile_settings_and_optimizer_state_come_back():
    model = load_model(DATA / "bn_dropout.keras")
    assert model.compiled and isinstance(model.optimizer, optimizers.Adam)
    assert model.optimizer.learning_rate == pytest.approx(1e-3) and model.optimizer.iterations == 4
    assert model._compiled.loss_specs == ["categorical_crossentropy"] and model._compiled.metric_specs == [["accuracy"]]
    stored = read_weights(read_keras(DATA / "bn_dropout.keras").weights).optimizer
    keys = list(model.trainable_params()[0])
    mine = model.optimizer.variables_in_keras_order(keys)
    assert len(mine) == len(stored)
    assert all(np.array_equal(a, b) for (_, a), b in zip(mine, stored))
    plain = load_model(DATA / "bn_dropout.keras", compile=False)
    assert not plain.compiled and plain.optimizer is None


def test_a_never_trained_optimizer_keeps_its_step_count_only():
    model = load_model(DATA / "notebook.keras")
    assert model.optimizer.iterations == 0 and model.optimizer.state_dict().keys() == {"iterations", "learning_rate"}
    assert model.count_params() == 1_216_394


@pytest.mark.parametrize(
    ("weights", "model_file", "stem"),
    [
        ("keras2_weights.h5", "keras2_model.h5", "keras2"),  # Keras 2 weights-only, by position
        ("keras2_model.h5", "keras2_model.h5", "keras2"),  # load_weights of a full-model .h5, as Keras reads it
        ("bn_dropout.weights.h5", "bn_dropout.keras", "bn_dropout"),  # Keras 3's weights file, by path
        ("bn_dropout.keras", "bn_dropout.keras", "bn_dropout"),  # the weights inside a .keras
    ],
)
def test_load_weights_of_keras_files(weights, model_file, stem):
    model = load_model(DATA / model_file, compile=False)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(DATA / weights)
    data = expected(stem)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], **TOLERANCE)


def test_load_weights_restores_the_optimizer_when_both_have_one():
    model = load_model(DATA / "optimizers" / "adam.keras")
    model.optimizer.load_state_dict({"iterations": 0})
    model.load_weights(DATA / "optimizers" / "adam.weights.h5")
    assert model.optimizer.iterations == 3 and len(model.optimizer.state_dict()) == 2 + 2 * 4
