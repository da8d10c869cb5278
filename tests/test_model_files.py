"""The entry points of model files: the suffix decides the format, Keras' formats need h5py (and say so), writes
are atomic, and what numcnn cannot write for Keras is refused before anything is written."""

from __future__ import annotations

import os
import sys
import zipfile

import numpy as np
import pytest
from test_models import tiny_model

import numcnn
from numcnn import layers
from numcnn.models import Sequential, load_model
from numcnn.saving import _h5

SAVE_CHOICES = "ending in .keras \\(Keras 3\\), .h5/.hdf5 \\(Keras 2's legacy format\\) or .npz"
LOAD_CHOICES = "ending in .keras \\(Keras 3\\), .h5/.hdf5 \\(Keras 2\\) or .npz"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("m.weights.h5", "weights only: use save_weights"),
        ("m.pkl", SAVE_CHOICES),
        ("m", SAVE_CHOICES),
        ("m.KERAS", SAVE_CHOICES),  # Keras compares suffixes as written
        ("m.keras.tmp", SAVE_CHOICES),
    ],
)
def test_save_refuses_other_suffixes_listing_the_choices(tmp_path, name, message):
    with pytest.raises(ValueError, match=message) as caught:
        tiny_model().save(tmp_path / name)
    assert str(caught.value).startswith("Invalid value for argument 'filepath': expected a file name ending in .keras")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("action", "name", "message"),
    [
        ("save_weights", "w.h5", ".weights.h5 \\(Keras 3\\) or .npz.*refuses .h5 here too; save\\(\\) writes"),
        ("save_weights", "w.keras", "Keras 3 writes weights to a name ending in .weights.h5"),
        ("save_weights", "w.txt", "ending in .weights.h5 \\(Keras 3\\) or .npz"),
        ("load_weights", "w.txt", "ending in .weights.h5 \\(Keras 3\\), .keras, .h5/.hdf5 \\(Keras 2\\) or .npz"),
        ("load_model", "w.weights.h5", "weights only: build the model, then load_weights"),
        ("load_model", "m.pt", LOAD_CHOICES),
    ],
)
def test_the_other_entry_points_refuse_other_suffixes(tmp_path, action, name, message):
    model = tiny_model()
    call = {
        "save_weights": lambda p: model.save_weights(p),
        "load_weights": lambda p: model.load_weights(p),
        "load_model": load_model,
    }[action]
    (tmp_path / "x").write_bytes(b"")  # a file exists: the suffix is refused before it is read
    with pytest.raises(ValueError, match=message):
        call(tmp_path / name)


@pytest.mark.parametrize("suffix", [".npz", ".keras"])
def test_each_suffix_writes_its_format(tmp_path, suffix):
    model = tiny_model()
    model.save(tmp_path / f"m{suffix}")
    head = (tmp_path / f"m{suffix}").read_bytes()[:4]
    assert head == b"PK\x03\x04"  # both are zips; the members tell them apart
    members = zipfile.ZipFile(tmp_path / f"m{suffix}").namelist()
    assert ("config.json" in members) == (suffix == ".keras") and ("__numcnn__.npy" in members) == (suffix == ".npz")
    model.save_weights(tmp_path / "w.weights.h5")
    assert (tmp_path / "w.weights.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"


def test_without_h5py_keras_suffixes_name_the_extra(tmp_path, monkeypatch):
    model = tiny_model()
    model.save(tmp_path / "m.npz")
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now fails
    extra = "pip install 'numcnn\\[keras-files\\]'"
    for call in (
        lambda: model.save(tmp_path / "m.keras"),
        lambda: model.save_weights(tmp_path / "m.weights.h5"),
        lambda: model.load_weights(tmp_path / "m.weights.h5"),
        lambda: load_model(tmp_path / "m.keras"),
        lambda: load_model(tmp_path / "m.h5"),
    ):
        with pytest.raises(_h5.MissingH5pyError, match=extra):
            call()
    assert not (tmp_path / "m.keras").exists()
    assert load_model(tmp_path / "m.npz").count_params() == model.count_params()  # numcnn's own needs no h5py


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5"])
def test_keras_files_are_written_atomically(tmp_path, monkeypatch, name):
    model = tiny_model()
    path = tmp_path / name
    (model.save if name.endswith(".keras") else model.save_weights)(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(5, "I/O error (injected)")

    monkeypatch.setattr(os, "replace", fail)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(OSError, match="injected"):
        (model.save if name.endswith(".keras") else model.save_weights)(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [name]


def test_what_keras_cannot_hold_is_refused_before_writing(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(2, name="a/b")])
    with pytest.raises(ValueError, match="without '/'"):
        model.save(tmp_path / "m.keras")

    class Net(numcnn.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net.build((None, 3))
    with pytest.raises(ValueError, match="subclass of Model.*save_weights"):
        net.save(tmp_path / "n.keras")
    assert os.listdir(tmp_path) == []
    net.save_weights(tmp_path / "n.weights.h5")  # its weights have Keras' paths all the same
    other = Net()
    other.build((None, 3))
    other.load_weights(tmp_path / "n.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), other.get_weights()))


def test_load_model_takes_keras_arguments_but_runs_no_code(tmp_path):
    tiny_model().save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match="argument 'custom_objects'"):
        load_model(tmp_path / "m.keras", custom_objects=["MyLayer"])
    with pytest.raises(TypeError, match="argument 'custom_objects'"):
        load_model(tmp_path / "m.keras", custom_objects={"MyLayer": 3})
    with pytest.raises(ValueError, match="safe_mode"):
        load_model(tmp_path / "m.keras", safe_mode=False)
    assert not load_model(tmp_path / "m.keras", compile=False).compiled


def test_load_weights_skips_the_state_of_another_optimizer_with_a_warning(tmp_path):
    """As Keras: a .weights.h5 holds no optimizer class; a state that does not fit is skipped, the weights load."""
    from test_models import tiny_data

    x, y, _ = tiny_data(10)
    source = tiny_model(optimizer="sgd")
    source.compile(optimizer=numcnn.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy")
    source.fit(x, y, epochs=1, verbose=0)
    source.save_weights(tmp_path / "w.weights.h5")
    target = tiny_model()  # Adam: another layout of optimizer variables
    target.fit(x, y, epochs=1, verbose=0)
    adam = target.optimizer.state_dict()
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        target.load_weights(tmp_path / "w.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights()))
    assert all(np.array_equal(adam[k], v) for k, v in target.optimizer.state_dict().items())


def test_a_state_not_covering_the_trainable_weights_is_saved_as_an_unbuilt_optimizer(tmp_path):
    from test_models import tiny_data

    x, y, _ = tiny_data(10)
    model = tiny_model()
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = True  # its weights have no moments yet
    with pytest.warns(UserWarning, match="only its step count and learning rate are saved"):
        model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.optimizer.state_dict().keys() == {"iterations", "learning_rate"}


def test_models_of_other_layer_sets_still_refuse_what_keras_cannot_name(tmp_path):
    """A layer whose class has no Keras entry (a user's own) is refused by name on save."""

    class Mine(layers.Layer):
        def forward(self, x, training=False):
            return x

    model = Sequential([layers.Input((3,)), Mine(name="mine")])
    with pytest.raises(TypeError, match="'Mine'"):
        model.save(tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []
