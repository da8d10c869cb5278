"""The user's own layer classes in numcnn's model files and JSON configs: found only where the user hands them
over (``custom_objects``, ``custom_object_scope``, ``register_keras_serializable``), rebuilt with their
``from_config``; a class not handed over is refused by name, and nothing a file names is ever imported."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import numcnn
from numcnn import layers, ops
from numcnn.models import Sequential, load_model, model_from_json
from numcnn.saving import custom_objects as user_classes


class Linear(layers.Layer):
    """keras.io's layer, with a get_config so that it can be rebuilt."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _trained_model(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 5)).astype("float32"), rng.integers(0, 3, 32)
    model = Sequential([numcnn.Input((5,)), Linear(3, name="linear"), layers.Activation("softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.npz")
    return model, x


def test_a_custom_layer_loads_with_custom_objects_and_predicts_the_same(tmp_path):
    model, x = _trained_model(tmp_path)
    loaded = load_model(tmp_path / "m.npz", custom_objects={"Linear": Linear})
    assert isinstance(loaded.layers[0], Linear) and loaded.layers[0].units == 3
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations


def test_without_the_class_the_file_is_refused_naming_it_and_how_to_hand_it_over(tmp_path):
    _trained_model(tmp_path)
    with pytest.raises(ValueError, match="Unknown layer class_name='Linear'.*custom_objects"):
        load_model(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="Unknown layer class_name='Linear'"):
        load_model(tmp_path / "m.npz", custom_objects={"Other": Linear})


def test_a_scope_and_a_registered_class_are_found_too(tmp_path):
    model, x = _trained_model(tmp_path)
    with numcnn.utils.custom_object_scope({"Linear": Linear}):
        np.testing.assert_array_equal(load_model(tmp_path / "m.npz").predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="Unknown layer class"):
        load_model(tmp_path / "m.npz")  # the scope ended
    registered = numcnn.saving.register_keras_serializable(package="Tests", name="Linear")(Linear)
    try:
        assert numcnn.saving.get_registered_name(registered) == "Tests>Linear"
        assert numcnn.saving.get_registered_object("Tests>Linear") is Linear
        np.testing.assert_array_equal(load_model(tmp_path / "m.npz").predict(x, verbose=0), model.predict(x, verbose=0))
    finally:
        user_classes._REGISTERED.pop("Tests>Linear")
        del Linear._registered_name


def test_model_from_json_takes_custom_objects():
    model = Sequential([numcnn.Input((5,)), Linear(2, name="linear")])
    rebuilt = model_from_json(model.to_json(), custom_objects={"Linear": Linear})
    assert isinstance(rebuilt.layers[0], Linear) and rebuilt.layers[0].units == 2


def test_scopes_nest_and_belong_to_their_thread():
    class Other(Linear):
        pass

    with user_classes.CustomObjectScope({"Linear": Linear}):
        with user_classes.CustomObjectScope({"Linear": Other}):
            assert user_classes.find("Linear") is Other
        assert user_classes.find("Linear") is Linear
        seen = []
        thread = threading.Thread(target=lambda: seen.append(user_classes.find("Linear")))
        thread.start()
        thread.join()
        assert seen == [None]
    assert user_classes.find("Linear") is None


def test_a_class_that_cannot_take_its_config_or_is_no_layer_is_a_clear_error(tmp_path):
    _trained_model(tmp_path)

    class NoKwargs(Linear):
        def __init__(self, units=4):
            super().__init__(units)

    with pytest.raises(ValueError, match="Cannot rebuild the custom layer 'Linear' from its config"):
        load_model(tmp_path / "m.npz", custom_objects={"Linear": NoKwargs})
    with pytest.raises(ValueError, match="argument 'custom_objects'.*Layer subclasses"):
        load_model(tmp_path / "m.npz", custom_objects={"Linear": dict})
    for bad in (["Linear"], {"Linear": 3}, {3: Linear}):
        with pytest.raises(TypeError, match="argument 'custom_objects'"):
            load_model(tmp_path / "m.npz", custom_objects=bad)
