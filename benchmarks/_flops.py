"""A stand-in for the part of Keras' API the zoo's model code uses, which counts multiply-adds instead of computing.

A zoo model is written once, as a Keras script writes it (``builder(keras)``); the same function runs on Keras,
on numcnn and on this module, which walks the shapes and records, for every convolution and dense layer, its
multiply-adds per sample and whether its input needs a gradient (it does unless it is the model's input).
``_common.flop_per_sample`` turns the records into FLOP. Nothing here imports a framework.

    forward, train = flop_per_sample(layer_macs(builder))

Shapes are per sample, channels last, as in Keras: a 'valid' window gives ``floor((in - k) / s) + 1``, a 'same'
one ``ceil(in / s)``; pools stride by their size unless told otherwise.
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

_CALLS = itertools.count()  # orders the records of a graph whatever path reaches them


class Tensor:
    """A symbolic per-sample tensor: its shape, the weighted layer calls that made it, whether it needs dX."""

    def __init__(self, shape, records=None, needs_grad=False):
        self.shape = tuple(int(d) for d in shape)
        self.records = records or {}  # call number → (layer name, multiply-adds per sample, needs_dx)
        self.needs_grad = needs_grad


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _window(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding.lower() == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


class Layer:
    weighted = False  # has trainable weights: its output needs a gradient even where its input does not

    def __init__(self, *args, input_shape=None, name=None, **kwargs):
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.name = name or type(self).__name__

    def output_shape(self, shapes: list[tuple]) -> tuple:
        return shapes[0]

    def macs(self, shapes: list[tuple], out: tuple) -> int:
        return 0

    def __call__(self, inputs):
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        shapes = [t.shape for t in tensors]
        out = self.output_shape(shapes)
        records = {}
        for tensor in tensors:
            records.update(tensor.records)
        needs_dx = any(t.needs_grad for t in tensors)
        macs = self.macs(shapes, out)
        if macs:
            records[next(_CALLS)] = (self.name, macs, needs_dx)
        return Tensor(out, records, needs_dx or self.weighted)


class Conv2D(Layer):
    weighted = True

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel, self.strides, self.padding = filters, _pair(kernel_size), _pair(strides), padding

    def output_shape(self, shapes):
        h, w, _ = shapes[0]
        (kh, kw), (sh, sw) = self.kernel, self.strides
        return _window(h, kh, sh, self.padding), _window(w, kw, sw, self.padding), self.filters

    def macs(self, shapes, out):
        return math.prod(out) * self.kernel[0] * self.kernel[1] * shapes[0][-1]


class Dense(Layer):
    weighted = True

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def output_shape(self, shapes):
        return (*shapes[0][:-1], self.units)

    def macs(self, shapes, out):
        return math.prod(shapes[0]) * self.units


class MaxPooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool = _pair(pool_size)
        self.strides = self.pool if strides is None else _pair(strides)
        self.padding = padding

    def output_shape(self, shapes):
        h, w, c = shapes[0]
        return (*(_window(n, k, s, self.padding) for n, k, s in zip((h, w), self.pool, self.strides)), c)


class Flatten(Layer):
    def output_shape(self, shapes):
        return (math.prod(shapes[0]),)


class GlobalAveragePooling2D(Layer):
    def output_shape(self, shapes):
        return (shapes[0][-1],)


class BatchNormalization(Layer):
    weighted = True  # γ and β: its multiply-adds are elementwise and not counted


class Dropout(Layer):
    pass


class Activation(Layer):
    pass


class Add(Layer):
    def output_shape(self, shapes):
        if len(set(shapes)) != 1:
            raise ValueError(f"Add needs inputs of one shape, got {shapes}")
        return shapes[0]


class Concatenate(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError("this counter concatenates along the last axis only")

    def output_shape(self, shapes):
        return (*shapes[0][:-1], sum(shape[-1] for shape in shapes))


def Input(shape, batch_size=None, name=None, **kwargs):  # noqa: N802 (Keras' name)
    return Tensor(shape)


class Model:
    """Keras' functional ``Model(inputs, outputs)``."""

    def __init__(self, inputs, outputs, name=None, **kwargs):
        self.output = outputs


class Sequential:
    """Keras' ``Sequential``: ``Input`` first, or ``input_shape=`` on the first layer."""

    def __init__(self, layers=None, name=None):
        self.output = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        if isinstance(layer, Tensor):
            self.output = layer
            return
        if self.output is None:
            if layer.input_shape is None:
                raise ValueError("the first layer needs input_shape= (or start with Input)")
            self.output = Input(layer.input_shape)
        self.output = layer(self.output)


layers = SimpleNamespace(
    Conv2D=Conv2D,
    Convolution2D=Conv2D,
    Dense=Dense,
    MaxPooling2D=MaxPooling2D,
    MaxPool2D=MaxPooling2D,
    Flatten=Flatten,
    GlobalAveragePooling2D=GlobalAveragePooling2D,
    BatchNormalization=BatchNormalization,
    Dropout=Dropout,
    Activation=Activation,
    Add=Add,
    Concatenate=Concatenate,
    Input=Input,
)
models = SimpleNamespace(Sequential=Sequential, Model=Model)
KERAS_LIKE = SimpleNamespace(layers=layers, models=models, Input=Input, Model=Model, Sequential=Sequential)


def layer_macs(builder) -> list[tuple[float, bool]]:
    """``(multiply-adds per sample, needs_dx)`` of each convolution and dense layer ``builder(keras)`` builds."""
    model = builder(KERAS_LIKE)
    return [(macs, needs_dx) for _, macs, needs_dx in model.output.records.values()]
