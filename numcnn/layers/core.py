"""Core layers: ``Dense``, ``Flatten``, ``Activation``, ``Dropout``, ``Reshape``."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import fraction, invalid, is_int, non_negative_int, positive_int
from numcnn.layers.activated import ActivatedLayer, KernelLayer
from numcnn.layers.base import Layer


class Dense(KernelLayer):
    """Fully connected layer ``y = activation(x @ kernel + bias)`` on the last axis.

    Input ``(N, ..., in)``, output ``(N, ..., units)``; ``kernel`` ``(in, units)``, ``bias`` ``(units,)``.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        self.units = positive_int("units", units)
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise invalid("input_shape", f"a shape of rank 2 or more for layer '{self.name}'", tuple(input_shape))
        return (*tuple(input_shape)[:-1], self.units)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # checks the rank before any weight is made
        self.add_kernel_and_bias((input_shape[-1], self.units))
        super().build(input_shape)

    def forward_linear(self, x, training=False, relu=False):
        ops = backend.nn
        self._x = x
        z = ops.matmul(x.reshape(-1, x.shape[-1]), self.params["kernel"])
        if self.use_bias:
            z += self.params["bias"]
        if relu:
            ops.relu_forward(z, out=z)  # z is ours: rectify it in place
        return z.reshape(*x.shape[:-1], self.units)

    def backward_linear(self, dz, relu_output=None, need_dx=True):
        ops = backend.nn
        if relu_output is not None:
            dz = ops.relu_backward(dz, relu_output)
        x2 = self._x.reshape(-1, self._x.shape[-1])
        dz2 = dz.reshape(-1, self.units)
        self.grads["kernel"] = ops.matmul(x2.T, dz2)
        if self.use_bias:
            self.grads["bias"] = dz2.sum(axis=0)
        if not need_dx:
            return None
        return ops.matmul(dz2, self.params["kernel"].T).reshape(self._x.shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
        }


class Activation(ActivatedLayer):
    """Applies an activation by name: ``Activation('softmax')``. Shape unchanged."""

    def __init__(self, activation, **kwargs):
        super().__init__(activation=activation, **kwargs)

    def forward_linear(self, x, training=False):
        return x

    def backward_linear(self, dz, need_dx=True):
        return dz


class Flatten(Layer):
    """``(N, d1, d2, …) -> (N, d1·d2·…)``, row-major over (H, W, C) like Keras.

    A ``channels_first`` Flatten first moves channels last, as Keras does, so a Dense after it has the
    same weight layout in both data formats.
    """

    def __init__(self, data_format=None, **kwargs):
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def _channels_last(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:
            return x.transpose(0, *range(2, x.ndim), 1)
        return x

    def forward(self, x, training=False):
        self._x_shape = x.shape
        return self._channels_last(x).reshape(x.shape[0], -1)

    def backward(self, dy):
        if self.data_format == "channels_first" and len(self._x_shape) > 2:
            n, c, *spatial = self._x_shape
            nhwc = dy.reshape(n, *spatial, c)
            return np.ascontiguousarray(nhwc.transpose(0, nhwc.ndim - 1, *range(1, nhwc.ndim - 1)))
        return dy.reshape(self._x_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """``Reshape(target_shape)``: per-sample reshape; one entry may be -1 (inferred)."""

    def __init__(self, target_shape, **kwargs):
        if not isinstance(target_shape, (tuple, list)) or not all(is_int(d) for d in target_shape):
            raise invalid("target_shape", "a tuple of integers", target_shape, TypeError)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise invalid("target_shape", "positive integers with at most one -1", tuple(target_shape))
        self.target_shape = tuple(int(d) for d in target_shape)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        size = int(np.prod(input_shape[1:]))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(size // known if d == -1 else d for d in self.target_shape)
        if int(np.prod(shape)) != size:
            raise invalid(
                "target_shape",
                f"a shape with {size} elements to match input_shape={tuple(input_shape)}",
                self.target_shape,
            )
        return (input_shape[0], *shape)

    def forward(self, x, training=False):
        self._x_shape = x.shape
        return x.reshape(x.shape[0], *self.output_shape[1:])

    def backward(self, dy):
        return dy.reshape(self._x_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _noise_shape(value) -> tuple:
    expected = "a tuple of positive integers or None (one per axis, batch first)"
    if not isinstance(value, (tuple, list)) or not all(d is None or is_int(d) for d in value):
        raise invalid("noise_shape", expected, value, TypeError)
    if any(d is not None and d < 1 for d in value):
        raise invalid("noise_shape", expected, value)
    return tuple(None if d is None else int(d) for d in value)


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)``; at inference the identity. Randomness from ``seed`` or numcnn's generator."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        self.rate = fraction("rate", rate)
        self.noise_shape = None if noise_shape is None else _noise_shape(noise_shape)
        self.seed = None if seed is None else non_negative_int("seed", seed)
        self._rng = None if seed is None else nrandom.resolve(seed=self.seed)
        super().__init__(**kwargs)
        self._mask = None

    def compute_output_shape(self, input_shape):
        if self.noise_shape is not None:
            ok = len(self.noise_shape) == len(input_shape) and all(
                d is None or d == 1 or d == n for d, n in zip(self.noise_shape[1:], input_shape[1:])
            )
            if not ok:
                raise invalid(
                    "noise_shape",
                    f"a shape that broadcasts to the inputs {tuple(input_shape)} of layer '{self.name}'",
                    self.noise_shape,
                )
        return tuple(input_shape)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        rng = self._rng or nrandom.generator()
        shape = (
            x.shape
            if self.noise_shape is None
            else tuple(x.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        )
        keep = rng.random(shape) >= self.rate
        self._mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask

    def get_config(self) -> dict:
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.noise_shape is not None:
            config["noise_shape"] = list(self.noise_shape)
        return config
