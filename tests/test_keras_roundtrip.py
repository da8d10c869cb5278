"""numcnn → Keras' files → numcnn: what numcnn writes is what Keras writes (config.json and the weights' layout,
against files Keras wrote for the same models), and reading it back gives the same model bit for bit, optimizer
state included, so that a run resumed from a ``.keras`` checkpoint equals one never stopped."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_keras_config import without_sharing
from test_keras_writers import layout

import numcnn
from numcnn import layers, optimizers
from numcnn.models import Sequential, load_model
from numcnn.utils import set_random_seed

DATA = Path(__file__).parent / "data" / "keras"
FIXTURES = ["notebook.keras", "bn_dropout.keras", "residual.keras", "nested.keras", "sequential_nested.keras"]
FIXTURES += ["optimizers/adam_schedule.keras", "optimizers/rmsprop_centered.keras", "layers/zero_padding2d.keras"]


def member(path, name: str):
    data = zipfile.ZipFile(path).read(name)
    return json.loads(data) if name.endswith(".json") else data


@pytest.mark.parametrize("name", FIXTURES)
def test_numcnn_writes_the_files_keras_wrote(name, tmp_path):
    """A Keras file loaded in numcnn and saved again: the same config.json (compile config too), the same
    weights-file layout (paths, shapes, dtypes, storage, attributes) and the same arrays, bit for bit."""
    path = tmp_path / "again.keras"
    load_model(DATA / name).save(path)
    assert [i.filename for i in zipfile.ZipFile(path).infolist()] == [
        "metadata.json",
        "config.json",
        "model.weights.h5",
    ]
    assert member(path, "config.json") == without_sharing(member(DATA / name, "config.json"))
    assert member(path, "metadata.json")["keras_version"] == "3.15.1"
    mine, keras = member(path, "model.weights.h5"), member(DATA / name, "model.weights.h5")
    assert layout(mine) == layout(keras)
    from numcnn.saving.keras_weights import read_weights

    a, b = read_weights(mine), read_weights(keras)
    assert all(np.array_equal(x, y) for p in b.layers for x, y in zip(a.layers[p], b.layers[p], strict=True))
    assert (a.optimizer is None) == (b.optimizer is None)
    pairs = zip(a.optimizer or [], b.optimizer or [], strict=True)
    assert all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs)


def test_save_weights_writes_keras_weights_file(tmp_path):
    model = load_model(DATA / "bn_dropout.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    assert layout(str(tmp_path / "w.weights.h5")) == layout(str(DATA / "bn_dropout.weights.h5"))


# -- numcnn models ------------------------------------------------------------------------------------------


def images(n, h, w, c, seed=0):
    """Image-like inputs: mostly exact zeros, strokes of ones, a blank image."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, h, w, c), np.float32)
    for i in range(n - 1):
        r, col = rng.integers(0, h - 1), rng.integers(0, w - 2)
        x[i, r, col : col + 3, rng.integers(0, c)] = 1.0
        x[i, rng.integers(0, h), rng.integers(0, w), :] = rng.uniform(0.2, 1.0)
    return x


def one_hot(n, k, seed=1):
    return np.eye(k, dtype=np.float32)[np.random.default_rng(seed).integers(0, k, n)]


def convnet():
    return Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, 3, activation="relu", kernel_regularizer="l2"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def bn_dropout():
    return Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def residual():
    inputs = numcnn.Input((8, 8, 1))
    first = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    added = layers.Add()([layers.Conv2D(4, 3, padding="same")(first), first])
    outputs = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(added))
    return numcnn.Model(inputs, outputs)


def nested():
    inner = Sequential(
        [layers.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"), layers.Flatten()], name="inner"
    )
    inputs = numcnn.Input((8, 8, 1))
    shared = layers.Dense(6, activation="tanh")
    outputs = layers.Dense(3, activation="softmax")(shared(shared(layers.Dense(6)(inner(inputs)))))
    return numcnn.Model(inputs, outputs)


MODELS = {"convnet": convnet, "bn_dropout": bn_dropout, "residual": residual, "nested": nested}
OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(0.01),
    "rmsprop": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "sgd": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
}


def fit_epoch(model, epoch: int):
    set_random_seed(100 + epoch)  # the same dropout draws in both runs
    model.fit(images(20, 8, 8, 1), one_hot(20, 3), batch_size=5, epochs=1, shuffle=False, verbose=0)


def assert_same_model(a, b):
    assert [w.dtype for w in a.get_weights()] == [w.dtype for w in b.get_weights()]
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))
    if a.optimizer is not None:  # by position, whatever the layers are called
        sa, sb = (m.optimizer.variables_in_keras_order(list(m.trainable_params()[0])) for m in (a, b))
        assert [name.split("_")[-1] for name, _ in sa] == [name.split("_")[-1] for name, _ in sb]
        assert all(x.dtype == y.dtype and np.array_equal(x, y) for (_, x), (_, y) in zip(sa, sb, strict=True))
        assert a.optimizer.learning_rate == b.optimizer.learning_rate


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_resuming_from_a_keras_file_equals_never_stopping(model_name, optimizer, tmp_path):
    set_random_seed(7)
    straight = MODELS[model_name]()
    straight.compile(optimizer=OPTIMIZERS[optimizer](), loss="categorical_crossentropy", metrics=["accuracy"])
    set_random_seed(7)
    resumed = MODELS[model_name]()
    resumed.compile(optimizer=OPTIMIZERS[optimizer](), loss="categorical_crossentropy", metrics=["accuracy"])
    for epoch in (0, 1):
        fit_epoch(straight, epoch)
    fit_epoch(resumed, 0)
    resumed.save(tmp_path / "checkpoint.keras")
    loaded = load_model(tmp_path / "checkpoint.keras")
    assert_same_model(loaded, resumed)
    assert loaded.to_json() == resumed.to_json()  # the same architecture, names included
    x = images(6, 8, 8, 1, seed=5)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), resumed.predict(x, verbose=0))
    fit_epoch(loaded, 1)
    assert_same_model(loaded, straight)


def test_weights_files_round_trip_into_a_model_of_other_names(tmp_path):
    """``.weights.h5`` both ways: by structure, as Keras matches them, whatever the layers are called."""
    a = convnet()
    a.compile(optimizer=OPTIMIZERS["sgd"](), loss="categorical_crossentropy")
    fit_epoch(a, 0)
    a.save_weights(tmp_path / "a.weights.h5")
    b = convnet()  # new layers, other names (conv2d_7, …)
    b.compile(optimizer=OPTIMIZERS["sgd"](), loss="categorical_crossentropy")
    assert [layer.name for layer in a.layers] != [layer.name for layer in b.layers]
    b.load_weights(tmp_path / "a.weights.h5")
    assert_same_model(a, b)  # the optimizer's state came along, as in Keras


def test_a_numcnn_model_loads_the_weights_of_keras_notebook_file():
    model = Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.load_weights(DATA / "notebook.keras")
    with np.load(DATA / "notebook.npz") as data:
        np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=1e-5, atol=1e-6)


LAYERS = st.sampled_from(["dense", "dense_no_bias", "bn", "dropout", "activation"])


@settings(max_examples=12, deadline=None)
@given(st.lists(LAYERS, min_size=1, max_size=5), st.integers(2, 5), st.sampled_from(["float32", "float64"]))
def test_random_stacks_round_trip_bit_for_bit(kinds, units, dtype):
    make = {
        "dense": lambda: layers.Dense(units, activation="relu", dtype=dtype),
        "dense_no_bias": lambda: layers.Dense(units, use_bias=False, bias_initializer="ones", dtype=dtype),
        "bn": lambda: layers.BatchNormalization(momentum=0.5, dtype=dtype),
        "dropout": lambda: layers.Dropout(0.25, dtype=dtype),
        "activation": lambda: layers.Activation("tanh", dtype=dtype),
    }
    model = Sequential([layers.Input((3,), dtype=dtype), *(make[k]() for k in kinds), layers.Dense(2, dtype=dtype)])
    model.compile(optimizer="nadam", loss="mse", metrics=["mae"])
    x = np.random.default_rng(len(kinds)).normal(size=(8, 3)).astype(dtype)
    model.fit(x, x[:, :2], epochs=1, batch_size=4, verbose=0)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        model.save(Path(folder) / "m.keras")
        loaded = load_model(Path(folder) / "m.keras")
    assert_same_model(loaded, model)
    assert loaded.to_json() == model.to_json()
    assert loaded._compiled.metric_specs == [["mae"]] and type(loaded.optimizer) is optimizers.Nadam
