"""Models with GroupNormalization, UnitNormalization, Identity, ActivityRegularization and UpSampling1D: a small
CNN trains and comes back from .npz and .keras files with identical predictions; every weight's gradient through
the path fit runs against central differences (float64, random and image-like inputs); and the model Keras 3.15.1
saved with them (tests/data/keras_norms/norms_model.keras, by tests/data/make_keras_norms.py) loads with Keras'
predictions and is written back as Keras wrote it."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors
from strategies import image_like
from test_keras_config import without_sharing

import numcnn
from numcnn import layers
from numcnn.models import load_model
from numcnn.utils import set_random_seed, to_categorical

DATA = Path(__file__).parent / "data" / "keras_norms"
FIXTURE = json.loads((DATA / "norms.json").read_text())


def small_cnn(dtype="float32", l2=1e-3, filters=8, units=16):
    kw = {"dtype": dtype}
    return numcnn.Sequential(
        [
            numcnn.Input((8, 8, 1)),
            layers.Conv2D(filters, 3, padding="same", kernel_initializer="orthogonal", **kw),
            layers.GroupNormalization(filters // 2, gamma_initializer="random_normal", **kw),  # 2 channels a group
            layers.ReLU(**kw),
            layers.ActivityRegularization(l2=l2, **kw),
            layers.Identity(**kw),
            layers.MaxPooling2D(**kw),
            layers.Reshape((16, filters), **kw),
            layers.UpSampling1D(2, **kw),
            layers.Flatten(**kw),
            layers.Dense(units, **kw),
            layers.UnitNormalization(**kw),
            layers.Dense(3, activation="softmax", kernel_initializer=numcnn.initializers.Identity(2.0), **kw),
        ]
    )


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = image_like(rng, (n, 8, 8, 1), ["strokes", "blobs", "empty", "repeated", "random", "saturated"])
    labels = (x[:, :4].sum(axis=(1, 2, 3)) > x[:, 4:].sum(axis=(1, 2, 3))).astype(int) + (x.mean((1, 2, 3)) > 0.5)
    return x.astype(np.float32), to_categorical(labels, 3)


def test_a_small_cnn_with_the_new_layers_trains_and_saves(tmp_path):
    set_random_seed(3)
    x, y = _data()
    model = small_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses
    before = model.predict(x, verbose=0)
    for name in ("model.npz", "model.keras"):
        model.save(tmp_path / name)
        again = load_model(tmp_path / name)
        assert [type(a) for a in again.layers] == [type(b) for b in model.layers]
        assert [a.get_config() for a in again.layers] == [b.get_config() for b in model.layers]
        np.testing.assert_array_equal(again.predict(x, verbose=0), before)
    written = json.loads(zipfile.ZipFile(tmp_path / "model.keras").read("config.json"))["config"]["layers"]
    assert [spec["class_name"] for spec in written[1:]] == [type(layer).__name__ for layer in model.layers]


def test_activity_regularization_shrinks_the_activations_it_watches():
    # the same training with and without the penalty: the penalised activations end smaller
    x, y = _data(32, seed=1)
    sizes = []
    for l2 in (0.0, 0.5):
        set_random_seed(5)
        model = small_cnn(l2=l2)
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, y, epochs=4, batch_size=8, verbose=0)
        model.predict(x, verbose=0)
        index = next(i for i, layer in enumerate(model.layers) if isinstance(layer, layers.ActivityRegularization))
        watched = x
        for layer in model.layers[:index]:
            watched = layer(watched)
        sizes.append(float(np.mean(np.asarray(watched) ** 2)))
    assert sizes[1] < 0.8 * sizes[0], sizes


@pytest.mark.parametrize("kind", ["random", "image_like"])
def test_every_weight_gradient_through_fit(kind):
    set_random_seed(1)
    rng = np.random.default_rng(4)
    if kind == "random":
        x = rng.standard_normal((3, 8, 8, 1))
    else:
        x = image_like(rng, (4, 8, 8, 1), ["strokes", "blobs", "empty", "repeated"]) + 0.0137
    y = to_categorical(np.arange(x.shape[0]) % 3, 3)
    model = small_cnn("float64", l2=0.3, filters=4, units=6)  # the penalty is in the loss and its gradient
    model.predict(x, verbose=0)
    for layer in model.layers:
        for name in layer.params:  # away from the zero biases' ReLU ties
            layer.params[name] += rng.standard_normal(layer.params[name].shape) * 0.05
    errors = model_gradient_errors(model, x, y, "categorical_crossentropy")
    assert len(errors) == 8  # conv kernel, bias; gamma, beta; two Dense kernels and biases
    assert max(errors.values()) <= 1e-7, errors


def test_the_model_keras_saved_loads_with_its_predictions_and_is_written_back(tmp_path):
    path = DATA / "norms_model.keras"
    model = load_model(path)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[1:6] == ["GroupNormalization", "Identity", "ActivityRegularization", "UnitNormalization", "Reshape"]
    x = np.array(FIXTURE["cases"]["identity"]["input"], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), FIXTURE["model_predictions"], rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "again.keras")

    def config(p):
        return without_sharing(json.loads(zipfile.ZipFile(p).read("config.json")))

    assert config(tmp_path / "again.keras") == config(path)
