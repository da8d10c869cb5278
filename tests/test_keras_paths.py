"""Keras 3's other spellings of what numcnn has: top-level base classes, ``keras.config``, ``keras.saving``,
``keras.preprocessing.image``, lower-case initializer aliases, (de)serializer pairs, ``optimizers.legacy``,
and Keras' ``save``/``save_weights``/``load_weights`` arguments."""

from __future__ import annotations

import numpy as np
import pytest

import numcnn
from numcnn import activations, initializers, layers, saving


def tiny():
    model = numcnn.Sequential([numcnn.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_top_level_names_are_the_classes_keras_users_subclass():
    assert numcnn.Layer is layers.Layer and numcnn.Loss is numcnn.losses.Loss
    assert numcnn.Metric is numcnn.metrics.Metric and numcnn.Optimizer is numcnn.optimizers.Optimizer
    assert numcnn.Initializer is initializers.Initializer and numcnn.Regularizer is numcnn.regularizers.Regularizer
    assert isinstance(numcnn.Input((2,)), numcnn.KerasTensor)
    assert numcnn.version() == numcnn.__version__


def test_config_reads_and_sets_the_backends_settings():
    assert numcnn.config.backend() == "numpy" and numcnn.config.epsilon() == numcnn.backend.epsilon()
    numcnn.config.set_floatx("float64")
    try:
        assert numcnn.backend.floatx() == "float64" and layers.Dense(2).dtype == np.float64
    finally:
        numcnn.config.set_floatx("float32")


def test_saving_functions_round_trip_a_model(tmp_path):
    model = tiny()
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    saving.save_model(model, tmp_path / "m.keras")
    restored = saving.load_model(tmp_path / "m.keras")
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    numcnn.models.save_model(model, tmp_path / "m.npz")
    other = tiny()
    saving.load_weights(other, tmp_path / "m.npz")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(TypeError, match="'model'"):
        saving.save_model("not a model", tmp_path / "x.keras")


def test_overwrite_false_refuses_an_existing_file_and_leaves_it_whole(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"the user's file")
    model = tiny()
    for save in (lambda: model.save(path, overwrite=False), lambda: model.save_weights(path, overwrite=False)):
        with pytest.raises(FileExistsError, match="overwrite=False"):
            save()
        assert path.read_bytes() == b"the user's file"
    model.save(tmp_path / "new.npz", overwrite=False)  # nothing there: saved
    assert (tmp_path / "new.npz").stat().st_size > 0


def test_forms_numcnn_does_not_write_or_load_are_refused_before_anything_changes(tmp_path):
    model = tiny()
    with pytest.raises(ValueError, match="'zipped'"):
        model.save(tmp_path / "m.keras", zipped=False)
    assert not (tmp_path / "m.keras").exists()
    model.save(tmp_path / "m.npz")
    before = model.get_weights()
    other = tiny()
    with pytest.raises(ValueError, match="'skip_mismatch'"):
        other.load_weights(tmp_path / "m.npz", skip_mismatch=True)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_preprocessing_image_is_utils_image_helpers():
    from numcnn.preprocessing import image

    assert image.load_img is numcnn.utils.load_img and image.img_to_array is numcnn.utils.img_to_array
    assert numcnn.preprocessing.image_dataset_from_directory is numcnn.utils.image_dataset_from_directory
    assert numcnn.utils.clear_session is numcnn.backend.clear_session


def test_lower_case_initializers_are_the_classes():
    assert initializers.glorot_uniform is initializers.GlorotUniform
    np.testing.assert_array_equal(initializers.he_normal(seed=4)((3, 5)), initializers.HeNormal(seed=4)((3, 5)))
    assert isinstance(
        initializers.deserialize(initializers.serialize(initializers.Constant(2.0))), initializers.Constant
    )


def test_serializers_and_deserializers_invert_each_other():
    assert activations.deserialize(activations.serialize(activations.gelu)) is activations.gelu
    dense = layers.Dense(7, activation="relu", name="d")
    again = layers.deserialize(layers.serialize(dense))
    assert type(again) is layers.Dense and again.get_config() == dense.get_config()
    with pytest.raises(TypeError, match="'layer'"):
        layers.serialize({"class_name": "Dense"})


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "Ftrl", "Optimizer"])
def test_keras_2_legacy_optimizers_raise_a_clear_import_error(name):
    with pytest.raises(ImportError, match=f"legacy.{name} is Keras 2's"):
        getattr(numcnn.optimizers.legacy, name)(learning_rate=0.01)


def test_register_keras_serializable_records_the_class_and_returns_it():
    @saving.register_keras_serializable(package="MyPackage")
    class Scale(layers.Layer):
        def forward(self, x, training=False):
            return 2 * x

    assert saving.get_custom_objects()["MyPackage>Scale"] is Scale
    assert Scale()(np.ones((1, 2))).tolist() == [[2.0, 2.0]]
    with pytest.raises(TypeError, match="'package'"):
        saving.register_keras_serializable(package=3)
