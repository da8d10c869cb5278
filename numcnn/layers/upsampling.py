"""Nearest-neighbour upsampling, shared by ``UpSampling1D`` (here) and ``UpSampling2D`` (reshaping.py): each value
repeated ``size`` times along each axis, and its adjoint, which sums every block of copies."""

from __future__ import annotations

import numpy as np

from numcnn._checks import positive_int
from numcnn.layers.base import Layer


def repeat_nearest(x: np.ndarray, sizes, axes) -> np.ndarray:
    """``x`` with each entry repeated ``sizes[i]`` times along ``axes[i]`` (``axes`` increasing)."""
    for size, axis in zip(sizes, axes):
        x = np.repeat(x, size, axis=axis)
    return x


def repeat_nearest_backward(dy: np.ndarray, sizes, axes) -> np.ndarray:
    """The gradient for ``x`` of ``repeat_nearest(x, sizes, axes)``: each block of copies in ``dy`` summed."""
    shape, summed = [], []
    for axis, n in enumerate(dy.shape):
        if axis in axes:
            size = sizes[axes.index(axis)]
            shape += [n // size, size]
            summed.append(len(shape) - 1)
        else:
            shape.append(n)
    return dy.reshape(shape).sum(axis=tuple(summed))


class UpSampling1D(Layer):
    """``UpSampling1D(size=2)``: each step repeated ``size`` times, ``(N, L, C) -> (N, size·L, C)``; backward
    sums the gradient of each step's copies. Keras 3 has no ``data_format`` here: steps are axis 1."""

    def __init__(self, size=2, **kwargs):
        self.size = positive_int("size", size)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "Invalid value for argument 'input_shape': expected a shape of rank 3 (batch, steps, channels) for "
                f"layer '{self.name}'. Received: input_shape={tuple(input_shape)}"
            )
        n, steps, channels = input_shape
        return (n, None if steps is None else steps * self.size, channels)

    def forward(self, x, training=False):
        return repeat_nearest(x, (self.size,), (1,))

    def backward(self, dy):
        return repeat_nearest_backward(dy, (self.size,), (1,))

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}
