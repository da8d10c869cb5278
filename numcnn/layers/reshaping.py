"""Layers that only move values around: ``ZeroPadding2D``."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import invalid, is_int
from numcnn.layers.base import Layer

_PADDING_EXPECTED = "a non-negative integer, a tuple of 2 non-negative integers or a tuple of 2 such tuples"


def _padding_pairs(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' three spellings -> ``((top, bottom), (left, right))``: ``1``, ``(1, 2)``, ``((1, 0), (2, 2))``."""
    if is_int(padding):
        pairs = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(is_int(p) for p in padding):
        pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
    elif (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) and len(p) == 2 and all(is_int(v) for v in p) for p in padding)
    ):
        pairs = (tuple(padding[0]), tuple(padding[1]))
    else:
        raise invalid("padding", _PADDING_EXPECTED, padding, TypeError)
    if min(min(pair) for pair in pairs) < 0:
        raise invalid("padding", _PADDING_EXPECTED, padding)
    return (int(pairs[0][0]), int(pairs[0][1])), (int(pairs[1][0]), int(pairs[1][1]))


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image.

    ``(N, H, W, C) -> (N, top + H + bottom, left + W + right, C)`` (``channels_first``: the same on the
    last two axes). ``padding`` is an int (all four sides), ``(sym_h, sym_w)`` or
    ``((top, bottom), (left, right))``, as in Keras. Backward slices the padding off the gradient.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        self.padding = _padding_pairs(padding)
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._hw_axes = (2, 3) if self.data_format == "channels_first" else (1, 2)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise invalid("input_shape", "a shape of rank 4 (batch, rows, columns, channels)", tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._hw_axes, self.padding):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def _inner(self, shape) -> tuple[slice, ...]:
        """The index of the original image inside a padded array of ``shape``."""
        index = [slice(None)] * 4
        for axis, (before, after) in zip(self._hw_axes, self.padding):
            index[axis] = slice(before, shape[axis] - after)
        return tuple(index)

    def forward(self, x, training=False):
        out = np.zeros(self.compute_output_shape(x.shape), dtype=x.dtype)
        out[self._inner(out.shape)] = x
        return out

    def backward(self, dy):
        return dy[self._inner(dy.shape)].copy()  # a copy: the caller may reuse dy's buffer

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "padding": [list(pair) for pair in self.padding],
            "data_format": self.data_format,
        }
