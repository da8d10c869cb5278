"""Hostile and malformed model files, made by the tests (issue 12's rules at the model level): a config that
declares what its weights do not hold is refused before any layer is built or any weight allocated, in each
format; weights that do not fit the model are refused naming where; MemoryError becomes ValueError; nothing
named in a file runs."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_keras_hostile import h5_bytes

from numcnn import layers
from numcnn.layers.base import Layer
from numcnn.models import Sequential, load_model
from numcnn.saving import _h5, npz
from numcnn.saving.keras_zip import keras_zip_bytes

NESTED = Path(__file__).parent / "data" / "keras" / "nested.keras"
BIG_IN, BIG_OUT = 8192, 16384  # a 512 MiB float32 kernel (and a 1 GiB float64 draw) a 3 KB file asks for


def small_model():
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def members(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite_keras(path, change_config=None, weights=None):
    found = members(path)
    config = json.loads(found["config.json"])
    if change_config:
        change_config(config)
    path.write_bytes(keras_zip_bytes(config, weights if weights is not None else found["model.weights.h5"]))


def declare_big_dense(config):
    layers_ = config["config"]["layers"]
    layers_[0]["config"]["batch_shape"] = [None, BIG_IN]
    layers_[1]["config"]["units"] = BIG_OUT
    layers_[1]["build_config"]["input_shape"] = [None, BIG_IN]
    config["config"]["build_input_shape"] = config["build_config"]["input_shape"] = [None, BIG_IN]


@pytest.fixture
def no_big_weights(monkeypatch):
    """Fails the test if any layer allocates a weight of more than a million elements, and measures the peak."""
    real = Layer.add_weight

    def guarded(self, name, shape, *args, **kwargs):
        assert int(np.prod(shape)) < 1_000_000, f"allocated {name} of shape {shape}"
        return real(self, name, shape, *args, **kwargs)

    monkeypatch.setattr(Layer, "add_weight", guarded)
    tracemalloc.start()
    yield
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.usefixtures("no_big_weights")
def test_a_keras_file_declaring_a_huge_dense_is_refused_before_allocating(tmp_path):
    path = tmp_path / "big.keras"
    small_model().save(path)
    rewrite_keras(path, declare_big_dense)
    assert path.stat().st_size < 40_000
    with pytest.raises(ValueError, match=r"layers/dense.*\(8192, 16384\).*\(3, 2\)") as caught:
        load_model(path)
    assert str(path) in str(caught.value)


@pytest.mark.usefixtures("no_big_weights")
def test_a_numcnn_file_declaring_a_huge_dense_is_refused_before_allocating(tmp_path):
    path = tmp_path / "big.npz"
    small_model().save(path)
    meta, arrays = npz.read_archive(path)
    meta["config"]["config"]["input_shape"] = [BIG_IN]
    meta["config"]["config"]["layers"][0]["config"]["units"] = BIG_OUT
    npz.write_archive(path, {k: v for k, v in meta.items() if k not in ("format", "version")}, arrays)
    with pytest.raises(ValueError, match=r"weight 0 .* has shape \(3, 2\) in the file, expected shape \(8192, 16384\)"):
        load_model(path)


@pytest.mark.usefixtures("no_big_weights")
def test_a_legacy_file_declaring_a_huge_dense_is_refused_before_allocating(tmp_path):
    config = json.loads(members_of_keras2()["model_config"])
    config["config"]["layers"][0]["config"]["batch_input_shape"] = [None, BIG_IN]
    config["config"]["layers"][1]["config"]["units"] = BIG_OUT

    def build(f):
        f.attrs["model_config"] = json.dumps(config)
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [b"dense"]
        layer = group.create_group("dense")
        layer.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        layer["dense/kernel:0"] = np.zeros((3, 2), np.float32)
        layer["dense/bias:0"] = np.zeros(2, np.float32)

    path = tmp_path / "big.h5"
    path.write_bytes(h5_bytes(build))
    with pytest.raises(ValueError, match=r"shapes \[\(3, 2\), \(2,\)\]; the model's layer takes \[\(8192, 16384\)"):
        load_model(path)


def members_of_keras2() -> dict:
    """A Keras 2 model_config of Input(3) → Dense(2), as tf_keras writes it."""
    layer = {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 2}}
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "in"}}, layer],
        },
    }
    return {"model_config": json.dumps(config)}


def saved(tmp_path):
    path = tmp_path / "m.keras"
    small_model().save(path)
    return path


def change_weights(path, build):
    found = members(path)
    with h5py.File(io.BytesIO(found["model.weights.h5"]), "r") as original:
        data = h5_bytes(lambda f: (original.copy(original["layers"], f), original.copy(original["vars"], f), build(f)))
    rewrite_keras(path, weights=data)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda f: f["layers/dense/vars"].__delitem__("1"), r"'layers/dense' holds 2 weights .* has 1 there"),
        (lambda f: f["layers/dense/vars"].create_dataset("2", data=np.zeros(2)), "has 3 there"),
        (lambda f: f.create_group("layers/dense_9/vars").create_dataset("0", data=np.zeros(2)), "'layers/dense_9'"),
        (lambda f: f["layers"].__delitem__("dense"), "has 0 there"),
    ],
    ids=["missing-bias", "extra-variable", "extra-layer", "missing-layer"],
)
def test_weights_that_do_not_fit_the_model_are_refused_naming_where(tmp_path, build, message):
    path = saved(tmp_path)
    change_weights(path, build)
    with pytest.raises(ValueError, match=message):
        load_model(path)


def layer_change(**config):
    def change(model_config):
        model_config["config"]["layers"][1]["config"].update(config)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["config"]["layers"][1].update(class_name="Lambda"), "'Lambda' layer in layer 'dense.*Python code"),
        (lambda c: c["config"]["layers"][1].update(registered_name="evil>Dense"), "custom layer class 'evil>Dense'"),
        (lambda c: c["config"]["layers"][1].update(module="os"), "module"),
        (layer_change(function="__import__('os').system('touch x')"), "'function'"),
        (layer_change(units=-3), "'units'"),
        (layer_change(activation="glu"), "activation"),
        (lambda c: c.update(class_name="MyModel"), "numcnn loads no subclassed model"),
        (lambda c: c["compile_config"].update(loss="focal"), "'loss'"),
        (lambda c: c["compile_config"]["optimizer"]["config"].update(use_ema=True), "'use_ema'"),
        (lambda c: c["config"]["layers"].insert(2, c["config"]["layers"][0]), "InputLayer only first"),
    ],
)
def test_configs_numcnn_cannot_hold_are_refused_by_name(tmp_path, change, message):
    path = saved(tmp_path)
    rewrite_keras(path, change)
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_memory_errors_become_value_errors(tmp_path, monkeypatch):
    keras_path, npz_path = saved(tmp_path), tmp_path / "m.npz"
    small_model().save(npz_path)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(_h5.H5Reader, "read", exhausted)
    monkeypatch.setattr(npz.NpzArchive, "read", exhausted)
    for path in (keras_path, npz_path):
        with pytest.raises(ValueError, match=f"Cannot load '{path}'.*memory"):
            load_model(path)
    with pytest.raises(ValueError, match="memory"):
        small_model().load_weights(npz_path)


def test_a_legacy_file_with_another_count_of_layers_is_refused():
    def build(f):
        f.attrs["model_config"] = members_of_keras2()["model_config"]
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [b"dense", b"dense_1"]
        for name in ("dense", "dense_1"):
            layer = group.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/kernel:0".encode()]
            layer[f"{name}/kernel:0"] = np.zeros((3, 2), np.float32)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "two.h5"
        path.write_bytes(h5_bytes(build))
        with pytest.raises(ValueError, match="weights for 2 layers.*the model has 1"):
            load_model(path)


def test_a_refused_load_weights_changes_nothing(tmp_path):
    path = saved(tmp_path)
    change_weights(path, lambda f: f["layers/dense/vars"].__delitem__("1"))
    model = small_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="has 1 there"):
        model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


JUNK = [None, 0, -1, 1.5, "x", [], {}, [1, 2], {"a": 1}, True, "Lambda", [None, 3], {"class_name": "Dense"}, 10**12]


def _paths(obj, path=()):
    yield path
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        yield from _paths(value, (*path, key))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_config_with_any_value_replaced_is_loaded_or_refused_with_a_value_error(data):
    """Any node of a real config (nested models, shared layers, two outputs) replaced by junk: the load
    succeeds or raises ValueError, never another exception."""
    found = members(NESTED)
    config = json.loads(found["config.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from([p for p in _paths(config) if p]))
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(JUNK)))  # JUNK itself stays as it is
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "junk.keras"
        path.write_bytes(keras_zip_bytes(config, found["model.weights.h5"]))
        with contextlib.suppress(ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_model(path)
