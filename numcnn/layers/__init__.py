"""numcnn's layers, importable as in Keras: ``from numcnn.layers import Dense, Conv2D, …``."""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.layers.base import ActivatedLayer, Input, InputLayer, Layer
from numcnn.layers.conv import Conv2D, Convolution2D
from numcnn.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from numcnn.layers.normalization import BatchNormalization
from numcnn.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from numcnn.layers.reshaping import ZeroPadding2D

MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D

_CLASSES = {
    cls.__name__: cls
    for cls in (
        Conv2D,
        Dense,
        Activation,
        Dropout,
        Flatten,
        Reshape,
        MaxPooling2D,
        AveragePooling2D,
        GlobalAveragePooling2D,
        GlobalMaxPooling2D,
        BatchNormalization,
        ZeroPadding2D,
        InputLayer,
    )
}


def deserialize(spec: dict) -> Layer:
    """Rebuild a layer from ``{"class_name": "Conv2D", "config": {...}}`` (``get_config`` output)."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise invalid("spec", "a dict with 'class_name' and 'config'", spec, TypeError)
    cls = _CLASSES.get(spec["class_name"])
    if cls is None:
        raise invalid("class_name", f"one of {sorted(_CLASSES)}", spec["class_name"])
    return cls.from_config(dict(spec.get("config", {})))


__all__ = [
    "Layer",
    "ActivatedLayer",
    "Input",
    "InputLayer",
    "Conv2D",
    "Convolution2D",
    "Dense",
    "Activation",
    "Dropout",
    "Flatten",
    "Reshape",
    "MaxPooling2D",
    "MaxPool2D",
    "AveragePooling2D",
    "AvgPool2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "BatchNormalization",
    "ZeroPadding2D",
    "deserialize",
]
