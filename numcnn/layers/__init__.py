"""numcnn's layers, importable as in Keras: ``from numcnn.layers import Dense, Conv2D, …``."""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn._registry import Registry
from numcnn.layers.activated import ActivatedLayer, KernelLayer
from numcnn.layers.base import Layer
from numcnn.layers.conv import Conv2D, Convolution2D
from numcnn.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from numcnn.layers.input_layer import Input, InputLayer
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

_REGISTRY = Registry("class_name", Layer)
for _cls in (
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
):
    _REGISTRY.register(_cls)


def deserialize(spec: dict) -> Layer:
    """Rebuild a layer from ``{"class_name": "Conv2D", "config": {...}}`` (``get_config`` output)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise invalid("spec", "a dict with 'class_name' and 'config'", spec, TypeError)
    return _REGISTRY.get(spec)


__all__ = [
    "Layer",
    "ActivatedLayer",
    "KernelLayer",
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
