"""numcnn's layers, importable as in Keras: ``from numcnn.layers import Dense, Conv2D, …``."""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn._registry import Registry
from numcnn._registry import serialize as registry_serialize
from numcnn.layers.activated import ActivatedLayer, KernelLayer
from numcnn.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from numcnn.layers.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomFlip,
    RandomGrayscale,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from numcnn.layers.base import Layer
from numcnn.layers.conv import Conv2D, Convolution2D
from numcnn.layers.conv1d import Conv1D, Convolution1D
from numcnn.layers.conv_transpose import Conv2DTranspose, Convolution2DTranspose
from numcnn.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from numcnn.layers.cropping_augmentation import CenterCrop, RandomCrop
from numcnn.layers.depthwise_conv import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from numcnn.layers.group_normalization import GroupNormalization
from numcnn.layers.input_layer import Input, InputLayer
from numcnn.layers.layer_normalization import LayerNormalization
from numcnn.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from numcnn.layers.normalization import BatchNormalization
from numcnn.layers.passthrough import ActivityRegularization, Identity
from numcnn.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from numcnn.layers.pooling1d import (
    AveragePooling1D,
    AvgPool1D,
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    MaxPool1D,
    MaxPooling1D,
)
from numcnn.layers.preprocessing import Normalization, Rescaling
from numcnn.layers.regularization import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from numcnn.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from numcnn.layers.resizing import Resizing
from numcnn.layers.unit_normalization import UnitNormalization
from numcnn.layers.upsampling import UpSampling1D

MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool2D = GlobalAveragePooling2D

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
    # the layers Keras scripts use beyond the notebook's
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate,
    ReLU,
    LeakyReLU,
    PReLU,
    ELU,
    Softmax,
    Rescaling,
    Resizing,
    Normalization,
    RandomFlip,
    RandomTranslation,
    RandomRotation,
    RandomZoom,
    RandomContrast,
    RandomBrightness,
    RandomGrayscale,
    RandomCrop,
    CenterCrop,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    Conv1D,
    MaxPooling1D,
    AveragePooling1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    UpSampling2D,
    SpatialDropout1D,
    SpatialDropout2D,
    GaussianNoise,
    GaussianDropout,
    LayerNormalization,
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    ZeroPadding1D,
    Identity,
    ActivityRegularization,
    UnitNormalization,
    UpSampling1D,
    GroupNormalization,
):
    _REGISTRY.register(_cls)


def serialize(layer: Layer) -> dict:
    """``{"class_name": "Conv2D", "config": {...}}``: the form :func:`deserialize` reads."""
    if not isinstance(layer, Layer):
        raise invalid("layer", "a numcnn layer", layer, TypeError)
    return registry_serialize(layer)


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
    "GlobalMaxPool2D",
    "GlobalAvgPool2D",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "concatenate",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "Rescaling",
    "Resizing",
    "Normalization",
    "RandomFlip",
    "RandomTranslation",
    "RandomRotation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomGrayscale",
    "RandomCrop",
    "CenterCrop",
    "Conv2DTranspose",
    "Convolution2DTranspose",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "Conv1D",
    "Convolution1D",
    "MaxPooling1D",
    "MaxPool1D",
    "AveragePooling1D",
    "AvgPool1D",
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPooling1D",
    "GlobalMaxPool1D",
    "UpSampling2D",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "LayerNormalization",
    "Cropping1D",
    "Cropping2D",
    "Permute",
    "RepeatVector",
    "ZeroPadding1D",
    "Identity",
    "ActivityRegularization",
    "UnitNormalization",
    "UpSampling1D",
    "GroupNormalization",
    "Lambda",
    "deserialize",
    "serialize",
]


def __getattr__(name):
    # Lambda is a traced model, so it lives in numcnn.models (layers never import models at import time)
    if name == "Lambda":
        from numcnn.models.lambda_layer import Lambda

        return Lambda
    raise AttributeError(f"module 'numcnn.layers' has no attribute {name!r}")
