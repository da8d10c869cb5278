"""Write tests/data/keras_augment.npz: what Keras computes for the cropping and colour augmentation layers
(``RandomCrop``, ``CenterCrop``, ``RandomBrightness``, ``RandomGrayscale``), for tests/test_keras_augment.py to
hold numcnn to.

Run with the side environment (Keras 3.15.1 on TensorFlow 2.21, and tf_keras 2.21 for Keras 2), never from the
tests:

    /work/side/bin/python tests/data/make_keras_augment.py

Cases, each on stored inputs (image-like: exact zeros, strokes of exact ones, ties; and random ones):

- ``CenterCrop``: Keras 3's output, crop and resize (``smart_resize``) paths, both layouts;
- ``RandomCrop`` in training where Keras 3's window is not random (an axis not larger than the target);
- ``RandomCrop`` at inference: ``keras.preprocessing.image.smart_resize`` (Keras 3's docstring's rule), which tf_keras'
  ``RandomCrop(training=False)`` is checked here to equal; Keras 3.15.1's own inference output is checked here
  to be its input, uncut (keras-team/keras issue #21868), and recorded as a note only;
- ``RandomBrightness`` and ``RandomGrayscale`` through ``transform_images`` with transformations chosen here
  (stored as numcnn's parameters of a call: shifts in image units, the images turned grey), since Keras'
  random draws cannot be reproduced.

Every case stores the layer's ``.keras`` spec (``serialize_keras_object``, built on the case's input shape).
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

OUT = Path(__file__).with_name("keras_augment.npz")
rng = np.random.default_rng(20261215)
arrays: dict[str, np.ndarray] = {}
cases: list[dict] = []


def image_like(n, h, w, c):
    """Mostly exact zeros with strokes of exact 1.0 and a grey blob; the first image all zero, the last random."""
    x = np.zeros((n, h, w, c))
    for i in range(1, n - 1):
        x[i, rng.integers(0, h), :, :] = 1.0
        x[i, :, rng.integers(0, w), :] = 1.0
        r, s = rng.integers(0, max(h - 2, 1)), rng.integers(0, max(w - 2, 1))
        x[i, r : r + 2, s : s + 3, :] = 0.5
    x[-1] = rng.random((h, w, c))
    return (x * (0.5 + np.arange(c) / c)).astype(np.float32)


def layout(x, data_format):
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if data_format == "channels_first" else x


def record(cid, cls, kwargs, x, y, params=None, note=""):
    layer = getattr(keras.layers, cls)(**kwargs)
    keras.Sequential([keras.Input(x.shape[1:]), layer])  # builds it, as a model file records it
    arrays[f"{cid}/x"], arrays[f"{cid}/y"] = x, np.asarray(y)
    entry = {"id": cid, "class_name": cls, "kwargs": kwargs, "note": note}
    entry["spec"] = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    if params is not None:
        arrays[f"{cid}/params"] = np.asarray(params)
    cases.append(entry)


def center_crop(cid, shape, height, width, data_format="channels_last", kind=image_like):
    x = layout(kind(*shape), data_format)
    kwargs = {"height": height, "width": width, "data_format": data_format}
    y = keras.layers.CenterCrop(**kwargs)(x)
    record(cid, "CenterCrop", kwargs, x, y)


def random_crop_training(cid, shape, height, width, data_format="channels_last"):
    x = layout(image_like(*shape), data_format)
    kwargs = {"height": height, "width": width, "seed": 3, "data_format": data_format}
    first = np.asarray(keras.layers.RandomCrop(**kwargs)(x, training=True))
    again = np.asarray(keras.layers.RandomCrop(**{**kwargs, "seed": 4})(x, training=True))
    assert np.array_equal(first, again), f"{cid}: Keras' window is random here"
    record(cid, "RandomCrop", kwargs, x, first, note="training, a window Keras does not draw")


def random_crop_inference(cid, shape, height, width, data_format="channels_last"):
    x = layout(image_like(*shape), data_format)
    kwargs = {"height": height, "width": width, "seed": 3, "data_format": data_format}
    uncut = np.asarray(keras.layers.RandomCrop(**kwargs)(x, training=False))
    assert np.array_equal(uncut, x), f"{cid}: Keras 3 now cuts at inference; see its rule again"
    y = np.asarray(keras.preprocessing.image.smart_resize(x, (height, width), data_format=data_format))
    if data_format == "channels_last":  # tf_keras' RandomCrop takes channels_last only
        keras2 = tf_keras.layers.RandomCrop(height, width, seed=3)(x, training=False).numpy()
        assert np.array_equal(keras2, y), f"{cid}: Keras 2's inference differs from smart_resize"
    note = "inference: smart_resize (Keras 3's docstring, Keras 2's output); Keras 3.15.1 returns x uncut"
    record(cid, "RandomCrop", kwargs, x, y, note=note)


def brightness(cid, kwargs, x, factors):
    layer = keras.layers.RandomBrightness(**kwargs)
    layer.build(x.shape)
    low, high = sorted(kwargs.get("value_range", (0, 255)))
    shifts = np.asarray(factors, np.float32) * np.float32(high - low)
    y = layer.transform_images(tf.constant(x), {"rgb_delta": tf.constant(shifts[:, None, None, None])}, training=True)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    record(cid, "RandomBrightness", kwargs, x, y, params=shifts)


def grayscale(cid, kwargs, x, grey):
    layer = keras.layers.RandomGrayscale(**kwargs)
    layer.build(x.shape)
    should = tf.constant(np.asarray(grey)[:, None, None, None])
    y = layer.transform_images(tf.constant(x), should, training=True)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    record(cid, "RandomGrayscale", kwargs, x, y, params=np.asarray(grey))


def uniform(n, h, w, c):
    return rng.random((n, h, w, c)).astype(np.float32)


# -- CenterCrop: a crop where the image is large enough, smart_resize where it is not -----------------------
center_crop("center_crop", (3, 9, 11, 3), 5, 6)
center_crop("center_crop_odd_margin", (3, 8, 8, 2), 5, 5)
center_crop("center_crop_same_size", (3, 4, 5, 1), 4, 5)
center_crop("center_crop_smaller", (3, 6, 10, 3), 8, 8)
center_crop("center_crop_narrower", (3, 10, 7, 2), 8, 8)
center_crop("center_crop_tall_target", (3, 9, 11, 3), 12, 4)
center_crop("center_crop_random", (2, 5, 7, 3), 9, 4, kind=uniform)
center_crop("center_crop_channels_first", (3, 9, 11, 2), 4, 7, "channels_first")
center_crop("center_crop_smaller_channels_first", (3, 5, 6, 2), 7, 7, "channels_first")

# -- RandomCrop: Keras 3's deterministic training windows, and the inference rule -------------------------
random_crop_training("random_crop_train_same_size", (3, 8, 8, 1), 8, 8)
random_crop_training("random_crop_train_height_equal", (3, 8, 11, 2), 8, 6)
random_crop_training("random_crop_train_width_equal", (3, 10, 8, 2), 8, 8)
random_crop_training("random_crop_train_smaller", (3, 6, 10, 3), 8, 8)
random_crop_training("random_crop_train_smaller_both", (3, 4, 5, 1), 6, 7)
random_crop_training("random_crop_train_channels_first", (3, 5, 9, 2), 7, 6, "channels_first")
random_crop_inference("random_crop_inference", (3, 9, 11, 3), 5, 6)
random_crop_inference("random_crop_inference_square", (3, 10, 10, 1), 8, 8)
random_crop_inference("random_crop_inference_smaller", (3, 6, 10, 2), 8, 8)
random_crop_inference("random_crop_inference_channels_first", (3, 9, 7, 2), 4, 5, "channels_first")

# -- colour -------------------------------------------------------------------------------------------------
pixels = (image_like(4, 5, 6, 3) * 255).round()
brightness("brightness", {"factor": 0.3}, pixels, [0.25, -0.2, 0.05, -0.3])
unit = uniform(3, 4, 5, 2)
brightness("brightness_unit_range", {"factor": (-0.5, 0.4), "value_range": (0, 1)}, unit, [0.4, -0.5, 0.1])
signed = image_like(3, 4, 4, 1)
brightness("brightness_signed_range", {"factor": 0.5, "value_range": (-1, 1), "seed": 5}, signed, [0.3, -0.4, 0.2])
grayscale("grayscale", {"factor": 0.5}, image_like(4, 5, 6, 3), [True, False, True, True])
grayscale("grayscale_random", {"factor": 0.8, "seed": 2}, uniform(3, 4, 5, 3), [False, True, True])
grayscale("grayscale_one_channel", {}, image_like(3, 4, 5, 1), [True, True, False])
grayscale(
    "grayscale_channels_first",
    {"factor": 0.3, "data_format": "channels_first"},
    layout(uniform(3, 4, 5, 3), "channels_first"),
    [True, False, True],
)

versions = {
    "keras": keras.__version__,
    "tf_keras": tf_keras.__version__,
    "tensorflow": tf.__version__,
    "numpy": np.__version__,
    "python": platform.python_version(),
    "backend": keras.backend.backend(),
}
arrays["manifest"] = np.array(json.dumps({"versions": versions, "cases": cases}))
np.savez_compressed(OUT, **arrays)
print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB): {len(cases)} cases, {versions}")
