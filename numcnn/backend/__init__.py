"""Global settings, as in ``keras.backend``, and the switch between numcnn's two implementations of every op.

``from numcnn import backend as K; K.image_data_format()`` returns ``'channels_last'``, like Keras.

Every array op behind the layers exists twice, side by side as in Keras 3's ``keras/src/backend/<name>/``:
a slow, obvious NumPy reference in :mod:`numcnn.backend.numpy` and a fast numba twin with the same name,
signature and result in :mod:`numcnn.backend.numba`. Layers call ``backend.nn.<op>``, the active one
(``set_implementation('numpy')`` switches to the references). The twins and the tests that hold them together:

==============================  =====================  ======================  ===============================
op                              reference (numpy/)     fast (numba/)           held together by
==============================  =====================  ======================  ===============================
im2col, col2im                  conv.py                im2col.py               test_kernels, test_reference_ops
conv2d_forward                  conv.py                conv.py: direct,        test_kernels, test_exact_windows,
                                                       planar.py, Winograd,    test_planar, test_differential
                                                       im2col+GEMM
conv2d_backward                 conv.py                conv_backward.py        test_kernels, test_differential
conv2d_pool_forward (fused)     conv.py: conv, pool    conv.py                 test_kernels, test_differential
conv2d_pool_backward (fused)    conv.py: scatter,      conv_backward.py        test_kernels, test_differential
                                conv backward
maxpool2d_forward/_backward     pooling.py             pool.py                 test_kernels, test_differential
avgpool2d_forward/_backward     pooling.py             pool.py                 test_kernels, test_differential
matmul                          math.py                linalg.py               test_kernels
relu_forward, relu_backward     math.py                elementwise.py          test_kernels
adam_update                     math.py                elementwise.py          test_kernels, test_optimizers
softmax                         math.py                (no loop: the same)     test_kernels
batchnorm_forward/_backward     normalization.py       normalization.py        test_batchnorm_ops, test_differential
conv2d_input_grad               conv.py                conv_backward.py        test_conv_layers
depthwise_conv2d_forward        depthwise.py           depthwise.py            test_conv_layers
depthwise_conv2d_backward       depthwise.py           depthwise.py            test_conv_layers
affine_transform(_backward)     image.py               (NumPy only: the same)  test_augmentation
resize_bilinear(_backward)      image.py               (NumPy only: the same)  test_shape_layers
==============================  =====================  ======================  ===============================

The window geometry both share (output sizes, Keras' 'same' pads, window counts) is :mod:`numcnn.backend.shapes`.
"""

from __future__ import annotations

import importlib

import numpy as np

from numcnn._checks import one_of

_DATA_FORMATS = ("channels_last", "channels_first")
_FLOATX = ("float32", "float64")  # the kernels compute in these two only
_IMPLEMENTATIONS = ("numba", "numpy")

_settings = {"image_data_format": "channels_last", "floatx": "float32", "implementation": "numba"}
_modules: dict[str, object] = {}


def image_data_format() -> str:
    """The default ``data_format`` of spatial layers: ``'channels_last'`` (NHWC) or ``'channels_first'``."""
    return _settings["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    _settings["image_data_format"] = one_of("data_format", data_format, _DATA_FORMATS)


def floatx() -> str:
    """The default float type of weights and inputs: ``'float32'`` unless changed."""
    return _settings["floatx"]


def set_floatx(value: str) -> None:
    _settings["floatx"] = one_of("value", value, _FLOATX)


def epsilon() -> float:
    """Keras' fuzz factor, used to clip probabilities in crossentropy."""
    return 1e-7


def implementation() -> str:
    """Which implementation of the ops layers call: ``'numba'`` (fast, default) or ``'numpy'`` (references)."""
    return _settings["implementation"]


def set_implementation(name: str) -> None:
    """Make the layers call the ``'numba'`` ops (the default) or the ``'numpy'`` references."""
    _settings["implementation"] = one_of("name", name, _IMPLEMENTATIONS)


# The names earlier versions of numcnn gave the switch; they keep working.
kernels = implementation
set_kernels = set_implementation


def ops():
    """The module of the active implementation (``numcnn.backend.numba`` or ``numcnn.backend.numpy``)."""
    name = _settings["implementation"]
    module = _modules.get(name)
    if module is None:
        module = _modules[name] = importlib.import_module(f"numcnn.backend.{name}")
    return module


def __getattr__(name: str):
    # ``backend.nn`` is the active implementation, looked up on every access so that a switch takes effect.
    if name == "nn":
        return ops()
    raise AttributeError(f"module 'numcnn.backend' has no attribute {name!r}")


def clear_session(free_memory=True) -> None:
    """Keras' ``clear_session``: restart the automatic names of layers, models and metrics (``conv2d_1``, …)
    and the global random state's stream of names; models already built keep their names and weights.
    ``free_memory`` is accepted for Keras' sake (NumPy frees arrays when they are no longer referenced)."""
    from numcnn.layers.base import reset_names
    from numcnn.metrics.metric import reset_names as reset_metric_names

    reset_names()
    reset_metric_names()


def standardize_data_format(data_format) -> str:
    """``None`` means the backend default; otherwise one of the two format names."""
    if data_format is None:
        return image_data_format()
    return one_of("data_format", data_format, _DATA_FORMATS)


def cast_to_floatx(x) -> np.ndarray:
    return np.asarray(x, dtype=floatx())


__all__ = [
    "image_data_format",
    "set_image_data_format",
    "floatx",
    "set_floatx",
    "epsilon",
    "implementation",
    "set_implementation",
    "kernels",
    "set_kernels",
    "ops",
    "clear_session",
    "standardize_data_format",
    "cast_to_floatx",
]
