"""``model.save('x.h5')``: Keras 2's legacy full-model HDF5 as Keras 3 writes it. numcnn reads back what it
wrote bit for bit (weights, predictions, compile settings, optimizer state: training resumes as if never
stopped); the file's attributes, groups, names and HDF5 types are those of the file Keras 3 itself wrote
(``tests/data/keras/keras3_legacy.h5``); Keras 3's warning is given; what ``.keras`` cannot hold is refused
by name before anything is written. (``tests/data/check_keras_reads_numcnn_h5.py`` has Keras load them.)"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_keras_roundtrip import MODELS, OPTIMIZERS, assert_same_model, fit_epoch, images, one_hot

import numcnn
from numcnn import layers
from numcnn.layers import Lambda
from numcnn.models import Sequential, load_model
from numcnn.saving import keras_files
from numcnn.saving.keras_export import model_to_keras
from numcnn.saving.legacy_h5 import HEADER_LIMIT, LegacyH5, read_legacy_h5, write_legacy_h5
from numcnn.utils import set_random_seed

DATA = Path(__file__).parent / "data" / "keras"
LEGACY = "This file format is considered legacy"


def notebook_small():
    """The notebook's model, smaller: two convolutions, a pooling, three dense layers."""
    return Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.Conv2D(6, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(8, activation="relu"),
            layers.Dense(8, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


BUILDERS = {"notebook": notebook_small, **MODELS}  # + convnet, bn_dropout, residual, nested


def save_h5(model, path):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*{LEGACY}")
        model.save(path)


def attribute_types(path) -> dict:
    """Every attribute of the file → (HDF5 type class, character set for text, shape)."""
    out = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            for key in obj.attrs:
                kind = obj.attrs.get_id(key).get_type()
                cset = kind.get_cset() if isinstance(kind, h5py.h5t.TypeStringID) else None
                out[f"{name}@{key}"] = (kind.get_class(), cset, obj.attrs.get_id(key).shape)

        visit("/", f)
        f.visititems(visit)
    return out


def contents(path) -> dict:
    """Every attribute (JSON parsed, name lists as lists) and every dataset (its array)."""
    out = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            for key, value in obj.attrs.items():
                if key in ("model_config", "training_config"):
                    value = json.loads(value)
                elif isinstance(value, np.ndarray):
                    value = [str(v) for v in value]
                out[f"{name}@{key}"] = value
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]

        visit("/", f)
        f.visititems(visit)
    return out


# -- numcnn → .h5 → numcnn ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", ["notebook", "bn_dropout", "residual", "nested"])
def test_resuming_from_an_h5_file_equals_never_stopping(model_name, tmp_path):
    set_random_seed(7)
    straight = BUILDERS[model_name]()
    straight.compile(optimizer=OPTIMIZERS["adam"](), loss="categorical_crossentropy", metrics=["accuracy"])
    set_random_seed(7)
    resumed = BUILDERS[model_name]()
    resumed.compile(optimizer=OPTIMIZERS["adam"](), loss="categorical_crossentropy", metrics=["accuracy"])
    for epoch in (0, 1):
        fit_epoch(straight, epoch)
    fit_epoch(resumed, 0)
    save_h5(resumed, tmp_path / "checkpoint.h5")
    loaded = load_model(tmp_path / "checkpoint.h5")
    assert_same_model(loaded, resumed)
    assert loaded.to_json() == resumed.to_json()  # the same architecture, names included
    assert model_to_keras(loaded)["compile_config"] == model_to_keras(resumed)["compile_config"]
    x = images(6, 8, 8, 1, seed=5)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), resumed.predict(x, verbose=0))
    fit_epoch(loaded, 1)
    assert_same_model(loaded, straight)


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_float64_and_uncompiled_models_round_trip(suffix, tmp_path):
    model = Sequential([layers.Input((5,)), layers.Dense(4, activation="relu", dtype="float64"), layers.Dense(2)])
    path = tmp_path / f"m{suffix}"
    save_h5(model, path)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f  # as Keras, for no optimizer
    loaded = load_model(path)
    assert not loaded.compiled
    assert [w.dtype for w in loaded.get_weights()] == [np.float64, np.float64, np.float32, np.float32]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True))


def test_a_compiled_model_never_trained_keeps_its_step_and_rate(tmp_path):
    """Keras writes an unbuilt optimizer's two variables: iteration and learning_rate."""
    model = MODELS["convnet"]()
    model.compile(optimizer=numcnn.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
    save_h5(model, tmp_path / "m.h5")
    stored = read_legacy_h5(str(tmp_path / "m.h5"))
    assert model.optimizer.name == "SGD"  # Keras' default name for SGD(...) too, its variables' scope
    assert stored.optimizer_names == ["SGD/iteration", "SGD/learning_rate"]
    assert stored.optimizer[0].dtype == np.int64 and stored.optimizer[1] == np.float32(0.05)
    loaded = load_model(tmp_path / "m.h5")
    assert type(loaded.optimizer).__name__ == "SGD" and loaded.optimizer.learning_rate == 0.05


def test_load_weights_reads_the_weights_of_a_saved_model_by_position(tmp_path):
    source = MODELS["bn_dropout"]()
    source.compile(optimizer="adam", loss="categorical_crossentropy")
    fit_epoch(source, 0)
    save_h5(source, tmp_path / "m.h5")
    target = MODELS["bn_dropout"]()  # other layer names
    target.build((None, 8, 8, 1))
    target.load_weights(tmp_path / "m.h5")
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights(), strict=True))


def test_model_checkpoint_writes_h5_as_keras_3_allows(tmp_path):
    """Keras 3's ModelCheckpoint takes a name ending in .keras or .h5 for whole models."""
    model = MODELS["convnet"]()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    checkpoint = numcnn.callbacks.ModelCheckpoint(tmp_path / "best.h5", monitor="loss")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*{LEGACY}")
        model.fit(images(10, 8, 8, 1), one_hot(10, 3), epochs=2, verbose=0, callbacks=[checkpoint])
    assert_same_model(load_model(tmp_path / "best.h5"), model)


# -- the layout Keras 3 writes ------------------------------------------------------------------------------


def test_a_keras_file_loaded_and_saved_again_is_the_file_keras_wrote(tmp_path):
    """keras3_legacy.h5 (Keras 3's own writer: Conv2D, MaxPooling2D, Flatten, Dense, Adam after 2 steps) read by
    numcnn and written again: the same attributes (text types too), configs, groups and arrays, bit for bit.
    Only the weights' names differ: Keras names a variable by the scope it was built in, which for a Sequential
    Keras trained itself is the model's name ('sequential/conv2d/kernel'); for a model Keras loaded, and for a
    functional model, it is numcnn's 'conv2d/kernel' (the Keras check shows that file identical). Keras loads
    by position, never by these names."""
    source = str(DATA / "keras3_legacy.h5")
    save_h5(load_model(source), tmp_path / "again.h5")
    assert attribute_types(tmp_path / "again.h5") == attribute_types(source)

    def unscoped(item):
        key, value = item
        key = key.replace("/sequential/", "/").replace("/sequential_", "/")
        if isinstance(value, list):
            value = [v.replace("sequential/", "").replace("sequential_", "") for v in value]
        return key, value

    ours, keras = contents(tmp_path / "again.h5"), dict(map(unscoped, contents(source).items()))
    assert sorted(ours) == sorted(keras)
    for key, value in keras.items():
        if isinstance(value, np.ndarray):
            assert ours[key].dtype == value.dtype and np.array_equal(ours[key], value), key
        else:
            assert ours[key] == value, key
    assert ours["model_weights@layer_names"] == ["conv2d", "max_pooling2d", "flatten", "dense"]
    assert ours["model_weights/conv2d@weight_names"] == ["conv2d/kernel", "conv2d/bias"]
    assert ours["optimizer_weights@weight_names"][:3] == [
        "adam/iteration",
        "adam/learning_rate",
        "adam/conv2d_kernel_momentum",
    ]


def test_functional_files_list_every_layer_and_keras_2_weight_order(tmp_path):
    """A functional model lists its InputLayer; a nested model's group holds all its layers' trainable weights,
    then the others (BatchNormalization's moving statistics last), Keras' legacy order."""
    inner = Sequential([layers.Input((4,)), layers.BatchNormalization(name="bn"), layers.Dense(3, name="d")], name="s")
    inputs = numcnn.Input((4,), name="x")
    model = numcnn.Model(inputs, layers.Dense(2, name="out")(inner(inputs)), name="f")
    save_h5(model, tmp_path / "m.h5")
    stored = read_legacy_h5(str(tmp_path / "m.h5"))
    assert list(stored.layers) == ["x", "s", "out"]
    assert stored.weight_names == {
        "x": [],
        "s": ["bn/gamma", "bn/beta", "d/kernel", "d/bias", "bn/moving_mean", "bn/moving_variance"],
        "out": ["out/kernel", "out/bias"],
    }
    config = stored.model_config
    assert set(config) == {"class_name", "config"} and config["class_name"] == "Functional"
    nested = config["config"]["layers"][1]
    assert set(nested) == {"class_name", "config", "name", "inbound_nodes"}  # no module, registered_name, build
    assert [set(layer) for layer in nested["config"]["layers"]] == [{"class_name", "config"}] * 3
    assert nested["inbound_nodes"][0]["kwargs"] == {"mask": None}  # Keras 3's node form, as Keras writes it
    assert config["config"]["output_layers"] == ["out", 0, 0]


def test_long_name_lists_are_split_as_keras_splits_them():
    names = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(2000)]  # 70 KB of names
    data = write_legacy_h5(LegacyH5({n: [] for n in names}, {}, model_config={"class_name": "Sequential"}))
    with h5py.File(io.BytesIO(data), "r") as f:
        attrs = f["model_weights"].attrs
        assert "layer_names" not in attrs and sorted(attrs) == [
            "backend",
            "keras_version",
            "layer_names0",
            "layer_names1",
        ]
        assert all(attrs[k].nbytes <= HEADER_LIMIT for k in ("layer_names0", "layer_names1"))
    assert list(read_legacy_h5(data).layers) == names


# -- the warning and the refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "save",
    [
        lambda m, p: m.save(p),
        lambda m, p: numcnn.saving.save_model(m, p),
        lambda m, p: numcnn.models.save_model(m, p),
    ],
)
def test_saving_to_h5_gives_keras_warning(save, tmp_path):
    with pytest.warns(UserWarning) as caught:
        save(MODELS["convnet"](), tmp_path / "m.h5")
    assert [str(w.message) for w in caught] == [keras_files.LEGACY_WARNING]
    assert keras_files.LEGACY_WARNING.startswith("You are saving your model as an HDF5 file via `model.save()`")
    assert "`model.save('my_model.keras')`" in keras_files.LEGACY_WARNING


def test_the_warning_points_at_the_callers_line(tmp_path):
    with pytest.warns(UserWarning, match=LEGACY) as caught:
        MODELS["convnet"]().save(tmp_path / "m.h5")
    assert caught[0].filename == __file__


def _lambda_model():
    return Sequential([layers.Input((3,)), Lambda(lambda v: v * 2.0), layers.Dense(1)])


def _custom_model():
    class Mine(layers.Layer):
        def forward(self, x, training=False):
            return x

    return Sequential([layers.Input((3,)), Mine(name="mine")])


def _ops_model():
    x = numcnn.Input((4,))
    return numcnn.Model(x, numcnn.ops.softmax(layers.Dense(3)(x) * 2.0))


def _subclassed_model():
    class Net(numcnn.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net.build((None, 3))
    return net


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (_lambda_model, ValueError, "Python code"),
        (_custom_model, TypeError, "'Mine'"),
        (_ops_model, ValueError, "numcnn.ops calls recorded"),
        (_subclassed_model, ValueError, "subclass of Model"),
        (lambda: Sequential([layers.Input((3,)), layers.Dense(2, name="a/b")]), ValueError, "without '/'"),
    ],
)
def test_what_keras_cannot_hold_is_refused_by_name_before_anything_is_written(make, error, message, tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"an older file")
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before Keras' warning too
        with pytest.raises(error, match=message):
            model.save(path)
    assert path.read_bytes() == b"an older file" and os.listdir(tmp_path) == ["m.h5"]


def test_save_weights_to_h5_is_refused_as_keras_3_refuses_it(tmp_path):
    with pytest.raises(ValueError, match="ending in .weights.h5.*refuses .h5 here too; save\\(\\) writes a legacy"):
        MODELS["convnet"]().save_weights(tmp_path / "w.h5")
    assert os.listdir(tmp_path) == []


def test_writes_are_atomic_and_follow_the_umask(tmp_path, monkeypatch):
    model = MODELS["convnet"]()
    path = tmp_path / "m.h5"
    old = os.umask(0o027)
    try:
        save_h5(model, path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)

    def fail(*args, **kwargs):
        raise OSError(5, "I/O error (injected)")

    monkeypatch.setattr(os, "replace", fail)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(OSError, match="injected"):
        save_h5(model, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.h5"]
