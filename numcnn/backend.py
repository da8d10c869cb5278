"""Global settings, as in ``keras.backend``: image data format, float type and which kernels run.

``from numcnn import backend as K; K.image_data_format()`` returns ``'channels_last'``, like Keras.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import one_of

_DATA_FORMATS = ("channels_last", "channels_first")
_FLOATX = ("float32", "float64")  # the kernels compute in these two only
_KERNELS = ("numba", "numpy")

_settings = {"image_data_format": "channels_last", "floatx": "float32", "kernels": "numba"}


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


def kernels() -> str:
    """Which op implementations layers call: ``'numba'`` (fast, default) or ``'numpy'`` (the references)."""
    return _settings["kernels"]


def set_kernels(name: str) -> None:
    _settings["kernels"] = one_of("name", name, _KERNELS)


def ops():
    """The module holding the active op implementations (same function names in both)."""
    if _settings["kernels"] == "numba":
        from numcnn import _kernels

        return _kernels
    from numcnn import functional

    return functional


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
    "kernels",
    "set_kernels",
    "ops",
    "standardize_data_format",
    "cast_to_floatx",
]
