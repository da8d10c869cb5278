"""Write tests/data/keras_layers.npz: what Keras 3 computes for the layers of numcnn.layers beyond the notebook's
(merging, activations, preprocessing, augmentation, convolutions and resampling, normalization, reshaping),
for tests/test_keras_layers.py to hold numcnn to.

Run with the side environment (Keras 3.15.1, TensorFlow 2.21 backend), never from the tests:

    /work/side/bin/python tests/data/make_keras_layers.py

Each case builds one Keras layer from keyword arguments that numcnn's layer takes unchanged, sets random
weights (drawn here, stored), runs it on stored inputs (random normal, and image-like: exact zeros, strokes of
exact ones, ties), and stores the output. The JSON manifest (``manifest`` in the file) lists per case the class,
the arguments, the input and weight keys, Keras' weight names and shapes in order, and Keras' ``get_config()``
keys. Augmentation layers are run through ``transform_images`` with parameters chosen here (stored as the
numcnn layer's parameters of a call: flips, shifts in pixels, angles in degrees, zooms, contrast factors), since
Keras' random draws cannot be reproduced; the noise layers are recorded at inference, where they are the
identity. Normalization cases record ``adapt`` on an array and on a list of batches.
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

OUT = Path(__file__).with_name("keras_layers.npz")
rng = np.random.default_rng(20261201)
arrays: dict[str, np.ndarray] = {}
manifest: list[dict] = []


def f32(x):
    return np.asarray(x, dtype=np.float32)


def normal(*shape):
    return f32(rng.standard_normal(shape))


def image_like(n, h, w, c):
    """Mostly exact zeros with strokes of exact 1.0 and a grey blob; the last image random, the first all zero."""
    x = np.zeros((n, h, w, c))
    for i in range(1, n - 1):
        x[i, rng.integers(0, h), :, :] = 1.0
        x[i, :, rng.integers(0, w), :] = 1.0
        r, s = rng.integers(0, h - 2), rng.integers(0, w - 2)
        x[i, r : r + 2, s : s + 3, :] = 0.5
    x[-1] = rng.random((h, w, c))
    return f32(x * (0.5 + np.arange(c) / c))


def put(key, value):
    arrays[key] = np.asarray(value)
    return key


def random_weights(layer):
    """Weights of the layer's shapes; variances and counts kept valid."""
    values = []
    for w in layer.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            values.append(f32(rng.uniform(0.5, 2.0, shape)))
        elif "count" in w.path:
            values.append(np.zeros(shape, dtype=np.asarray(w).dtype))
        else:
            values.append(f32(rng.standard_normal(shape) * 0.5))
    return values


def record(cid, cls, kwargs, inputs, *, weights=True, adapt=None, transform=None, note=""):
    """Run ``keras.layers.<cls>(**kwargs)`` on ``inputs`` (an array, or a list for a merge layer) and store it all."""
    layer = getattr(keras.layers, cls)(**kwargs)
    as_list = isinstance(inputs, list)
    xs = inputs if as_list else [inputs]
    entry = {"id": cid, "class_name": cls, "kwargs": kwargs, "as_list": as_list, "note": note}
    entry["inputs"] = [put(f"{cid}/x{i}", x) for i, x in enumerate(xs)]
    if adapt is not None:
        layer.adapt(adapt)
        if isinstance(adapt, list):
            entry["adapt"] = [put(f"{cid}/adapt{i}", b) for i, b in enumerate(adapt)]
        else:
            entry["adapt"] = put(f"{cid}/adapt", adapt)
    if transform is not None:
        params, keras_transformation = transform
        layer.build(xs[0].shape)
        y = layer.transform_images(tf.constant(xs[0]), keras_transformation, training=True)
        entry["params"] = put(f"{cid}/params", params)
    else:
        y = layer(inputs if as_list else xs[0])
        if weights and layer.weights and adapt is None:
            layer.set_weights(random_weights(layer))
            y = layer(inputs if as_list else xs[0])
    entry["weights"] = [put(f"{cid}/w{i}", np.asarray(w)) for i, w in enumerate(layer.weights)]
    entry["weight_names"] = [w.path.split("/")[-1] for w in layer.weights]
    entry["weight_shapes"] = [list(w.shape) for w in layer.weights]
    entry["config_keys"] = sorted(layer.get_config())
    entry["output"] = put(f"{cid}/y", np.asarray(y))
    manifest.append(entry)


# -- merging --------------------------------------------------------------------------------------------
img = image_like(4, 5, 6, 3)
record("add", "Add", {}, [normal(4, 5, 6, 3), img])
record("add_broadcast", "Add", {}, [normal(3, 4, 5), normal(3, 4, 1), normal(3, 5)], note="(N,4,5)+(N,4,1)+(N,5)")
record("subtract", "Subtract", {}, [normal(3, 7), normal(3, 7)])
record("multiply", "Multiply", {}, [normal(3, 4, 5), normal(3, 1, 5), img[:3, 0, :5, :1].reshape(3, 5)[:, None, :]])
record("average", "Average", {}, [normal(3, 7), normal(3, 7), normal(3, 7)])
record("maximum_ties", "Maximum", {}, [img, image_like(4, 5, 6, 3)])
record("minimum", "Minimum", {}, [normal(3, 7), normal(3, 7), normal(3, 7)])
record("concatenate", "Concatenate", {}, [normal(2, 4, 3), normal(2, 4, 5)])
record("concatenate_axis1", "Concatenate", {"axis": 1}, [normal(2, 4, 3), normal(2, 2, 3)])

# -- activations ----------------------------------------------------------------------------------------
act = normal(4, 9) * 3
record("relu", "ReLU", {}, act)
record("relu6", "ReLU", {"max_value": 6.0}, act)
record("relu_all", "ReLU", {"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}, act)
record("relu_leaky", "ReLU", {"negative_slope": 0.2}, act)
record("leaky_relu", "LeakyReLU", {}, act)
record("leaky_relu_01", "LeakyReLU", {"negative_slope": 0.1}, act)
record("prelu", "PReLU", {}, normal(3, 4, 5, 2))
record("prelu_shared", "PReLU", {"shared_axes": [1, 2]}, normal(3, 4, 5, 2))
record("elu", "ELU", {}, act)
record("elu_05", "ELU", {"alpha": 0.5}, act)
record("softmax", "Softmax", {}, act)
record("softmax_axis1", "Softmax", {"axis": 1}, normal(3, 4, 5))
record("softmax_axes", "Softmax", {"axis": [1, 2]}, normal(3, 4, 5))

# -- preprocessing --------------------------------------------------------------------------------------
pixels = f32(rng.integers(0, 256, (3, 4, 5, 3)))
record("rescaling", "Rescaling", {"scale": 1 / 255}, pixels)
record("rescaling_offset", "Rescaling", {"scale": 1 / 127.5, "offset": -1.0}, pixels)
record("normalization_given", "Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 0.25, 1.0]}, normal(4, 3))
record(
    "normalization_invert",
    "Normalization",
    {"mean": 2.0, "variance": 9.0, "invert": True, "axis": None},
    normal(4, 3),
)
features = f32(rng.standard_normal((50, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -1.0, 2.0])
record("normalization_adapt", "Normalization", {}, normal(5, 4), adapt=features)
record("normalization_adapt_none", "Normalization", {"axis": None}, normal(5, 4), adapt=features)
record(
    "normalization_adapt_images",
    "Normalization",
    {"axis": -1},
    image_like(3, 4, 5, 3),
    adapt=[image_like(6, 4, 5, 3), pixels[:2] / 255.0, image_like(3, 4, 5, 3)],
)
record("normalization_adapt_axes", "Normalization", {"axis": (1, 3)}, normal(3, 4, 5, 2), adapt=normal(7, 4, 5, 2))

# -- augmentation (parameters of a call chosen here) ------------------------------------------------------
aug = image_like(3, 7, 8, 2)
aug_cf = f32(aug.transpose(0, 3, 1, 2))
flips = np.array([True, False, True])
for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
    record(f"flip_{mode}", "RandomFlip", {"mode": mode}, aug, transform=(flips, {"flips": flips[:, None, None, None]}))
shifts = f32([[1.37, -0.62], [-2.21, 1.83], [3.3, 2.6]])  # (width, height) pixels
for fill in ("reflect", "wrap", "constant", "nearest"):
    for interpolation in ("bilinear", "nearest"):
        kwargs = {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": fill, "interpolation": interpolation}
        if fill == "constant":
            kwargs["fill_value"] = 0.25
        t = {"translations": tf.constant(shifts), "input_shape": aug.shape}
        record(f"translation_{fill}_{interpolation}", "RandomTranslation", kwargs, aug, transform=(shifts, t))
t = {"translations": tf.constant(shifts), "input_shape": aug_cf.shape}
record(
    "translation_channels_first",
    "RandomTranslation",
    {"height_factor": 0.5, "width_factor": 0.5, "data_format": "channels_first"},
    aug_cf,
    transform=(shifts, t),
)
angles = f32([23.3, -71.9, 131.7])


def rotation(layer_kwargs, x, channels_first=False):
    probe = keras.layers.RandomRotation(**layer_kwargs)
    h, w = (x.shape[2], x.shape[3]) if channels_first else (x.shape[1], x.shape[2])
    zeros, ones = tf.zeros([3]), tf.ones([3])
    matrix = probe._compute_affine_matrix(
        center_x=0.5,
        center_y=0.5,
        angle=tf.constant(angles),
        translate_x=zeros,
        translate_y=zeros,
        scale=ones,
        shear_x=zeros,
        shear_y=zeros,
        height=h,
        width=w,
    )
    return angles, {"rotation_matrix": matrix}


for fill in ("reflect", "constant"):
    kwargs = {"factor": 0.5, "fill_mode": fill}
    record(f"rotation_{fill}", "RandomRotation", kwargs, aug, transform=rotation(kwargs, aug))
kwargs = {"factor": (-0.2, 0.4), "fill_mode": "wrap", "interpolation": "nearest"}
record("rotation_wrap_nearest", "RandomRotation", kwargs, aug, transform=rotation(kwargs, aug))
zooms = f32([[1.23, 0.81], [0.67, 1.31], [1.11, 1.11]])  # (width, height)
for kwargs in (
    {"height_factor": 0.4, "width_factor": 0.4},
    {"height_factor": (-0.3, 0.3), "width_factor": 0.4, "fill_mode": "constant", "fill_value": 0.5},
    {"height_factor": 0.4, "width_factor": 0.4, "fill_mode": "nearest", "interpolation": "nearest"},
):
    t = {"width_zoom": tf.constant(zooms[:, :1]), "height_zoom": tf.constant(zooms[:, 1:]), "input_shape": aug.shape}
    name = f"zoom_{kwargs.get('fill_mode', 'reflect')}_{kwargs.get('interpolation', 'bilinear')}"
    record(name, "RandomZoom", kwargs, aug, transform=(zooms, t))
contrast = f32([1.31, 0.62, 1.0])
record(
    "contrast_unit_range",
    "RandomContrast",
    {"factor": 0.5, "value_range": (0, 1)},
    aug,
    transform=(contrast, {"contrast_factor": tf.constant(contrast[:, None, None, None])}),
)
record(
    "contrast_pixels",
    "RandomContrast",
    {"factor": (0.4, 0.4)},
    pixels,
    transform=(contrast, {"contrast_factor": tf.constant(contrast[:, None, None, None])}),
)

# -- convolutions and resampling --------------------------------------------------------------------------
x5 = normal(2, 5, 6, 3)
record("conv2d_transpose_valid", "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, x5)
record(
    "conv2d_transpose_same", "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, x5
)
record(
    "conv2d_transpose_output_padding",
    "Conv2DTranspose",
    {"filters": 2, "kernel_size": (2, 3), "strides": (2, 3), "padding": "same", "output_padding": (1, 2)},
    x5,
)
record("conv2d_transpose_small_kernel", "Conv2DTranspose", {"filters": 3, "kernel_size": 1, "strides": 2}, x5)
record(
    "conv2d_transpose_relu_cf",
    "Conv2DTranspose",
    {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu", "data_format": "channels_first"},
    normal(2, 3, 5, 6),
)
record("depthwise", "DepthwiseConv2D", {"kernel_size": 3}, image_like(3, 6, 7, 3))
record(
    "depthwise_same", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2}, x5
)
record(
    "separable",
    "SeparableConv2D",
    {"filters": 4, "kernel_size": 3, "padding": "same", "depth_multiplier": 2, "activation": "relu"},
    image_like(3, 6, 7, 3),
)
record("separable_valid_strides", "SeparableConv2D", {"filters": 2, "kernel_size": (2, 3), "strides": 2}, x5)
seq = normal(2, 9, 3)
record("conv1d", "Conv1D", {"filters": 4, "kernel_size": 3}, seq)
record("conv1d_same_strides", "Conv1D", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, seq)
record("conv1d_causal", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal", "activation": "relu"}, seq)
record(
    "conv1d_channels_first",
    "Conv1D",
    {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
    normal(2, 3, 9),
)
record("max_pooling1d", "MaxPooling1D", {}, seq)
record("max_pooling1d_same", "MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, seq)
record("average_pooling1d", "AveragePooling1D", {"pool_size": 2}, seq)
record("average_pooling1d_same", "AveragePooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, seq)
record("global_average_pooling1d", "GlobalAveragePooling1D", {}, seq)
record("global_max_pooling1d", "GlobalMaxPooling1D", {"keepdims": True}, seq)
record("up_sampling2d", "UpSampling2D", {"size": (2, 3)}, x5)
record("up_sampling2d_bilinear", "UpSampling2D", {"interpolation": "bilinear"}, image_like(2, 4, 5, 2))
record("up_sampling2d_bilinear_3x2", "UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, x5)

# -- regularization, normalization and shape ----------------------------------------------------------------
record("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.3}, x5, note="inference: the identity")
record("spatial_dropout1d", "SpatialDropout1D", {"rate": 0.3}, seq, note="inference: the identity")
record("gaussian_noise", "GaussianNoise", {"stddev": 0.2}, x5, note="inference: the identity")
record("gaussian_dropout", "GaussianDropout", {"rate": 0.2}, x5, note="inference: the identity")
record("layer_normalization", "LayerNormalization", {}, normal(3, 4, 5) * 2 + 1)
record("layer_normalization_axes", "LayerNormalization", {"axis": [1, 2], "epsilon": 1e-5}, image_like(3, 4, 5, 2))
record("layer_normalization_no_center", "LayerNormalization", {"center": False}, normal(3, 6))
record("cropping2d", "Cropping2D", {"cropping": ((1, 0), (2, 1))}, x5)
record("cropping2d_int", "Cropping2D", {"cropping": 1}, x5)
record("cropping1d", "Cropping1D", {"cropping": (1, 2)}, seq)
record("zero_padding1d", "ZeroPadding1D", {"padding": (1, 2)}, seq)
record("permute", "Permute", {"dims": (2, 1)}, seq)
record("permute_3d", "Permute", {"dims": (3, 1, 2)}, x5)
record("repeat_vector", "RepeatVector", {"n": 3}, normal(2, 5))

versions = {
    "keras": keras.__version__,
    "tensorflow": tf.__version__,
    "numpy": np.__version__,
    "python": platform.python_version(),
    "backend": keras.backend.backend(),
}
arrays["manifest"] = np.array(json.dumps({"versions": versions, "cases": manifest}))
np.savez_compressed(OUT, **arrays)
print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB): {len(manifest)} cases, {versions}")
