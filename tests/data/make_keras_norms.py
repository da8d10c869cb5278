"""Writes tests/data/keras_norms/norms.json: Keras 3's outputs, activity losses and layer specs for Identity,
ActivityRegularization, UnitNormalization, UpSampling1D and GroupNormalization, the configs of the Orthogonal and
Identity initializers, and the predictions of norms_model.keras, a model of them that Keras saves next to it
(tests/test_norm_layers.py, test_matrix_initializers.py and test_norm_model.py compare numcnn with them).

Run with the side environment (never a test dependency):
    KERAS_BACKEND=tensorflow /work/side/bin/python tests/data/make_keras_norms.py
"""

import json
from pathlib import Path

import keras
import numpy as np
from keras import layers
from keras.saving import serialize_keras_object

rng = np.random.default_rng(2026)
images = rng.standard_normal((3, 4, 4, 6)) * 2 + 1
images[1] = 0.0  # an all-zero sample
images[2, 1:3] = 1.0  # a stroke
sequences = rng.standard_normal((2, 5, 3))

CASES = [
    ("identity", layers.Identity(), images),
    ("activity_regularization", layers.ActivityRegularization(l1=0.01, l2=0.02), images),
    ("unit_normalization", layers.UnitNormalization(), images),
    ("unit_normalization_axes", layers.UnitNormalization(axis=[1, 2]), images),
    ("up_sampling1d", layers.UpSampling1D(size=3), sequences),
    ("group_normalization", layers.GroupNormalization(groups=2, epsilon=1e-5), images),
    ("group_normalization_instance", layers.GroupNormalization(groups=-1), images),
    ("group_normalization_axis1", layers.GroupNormalization(groups=2, axis=1), images),
]

out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": {}}
for name, layer, x in CASES:
    x = x.astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    case = {"input": x.tolist(), "output": y.tolist(), "spec": serialize_keras_object(layer)}
    if layer.losses:
        case["loss"] = float(keras.ops.convert_to_numpy(layer.losses[0]))
    out["cases"][name] = case
out["initializers"] = [
    serialize_keras_object(keras.initializers.Orthogonal(gain=2.0, seed=3)),
    serialize_keras_object(keras.initializers.Orthogonal()),
    serialize_keras_object(keras.initializers.Identity()),
]
path = Path(__file__).parent / "keras_norms" / "norms.json"  # apart from keras/, whose files have a manifest
path.write_text(json.dumps(out) + "\n")
print("wrote", path)

# A model of them, saved by Keras, with its predictions on the image batch.
keras.utils.set_random_seed(7)
model = keras.Sequential(
    [
        keras.Input((4, 4, 6)),
        layers.Conv2D(4, 3, padding="same"),
        layers.GroupNormalization(2, gamma_initializer="random_normal", beta_initializer="random_normal"),
        layers.Identity(),
        layers.ActivityRegularization(l2=0.001),
        layers.UnitNormalization(),
        layers.Reshape((16, 4)),
        layers.UpSampling1D(2),
        layers.Flatten(),
        layers.Dense(3, kernel_initializer=keras.initializers.Orthogonal(seed=1)),
    ]
)
model.save(path.parent / "norms_model.keras")
out["model_predictions"] = model.predict(images.astype("float32"), verbose=0).tolist()
path.write_text(json.dumps(out) + "\n")
print("wrote", path.parent / "norms_model.keras")
