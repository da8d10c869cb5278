"""Layers that only move values around: ``ZeroPadding2D``, ``ZeroPadding1D``, ``Cropping2D``, ``Cropping1D``,
``UpSampling2D``, ``Permute`` and ``RepeatVector``. Their backward passes move the gradient back (and add it up
where one input feeds several outputs)."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import int_pair, invalid, is_int, one_of, positive_int
from numcnn.layers.base import Layer
from numcnn.layers.upsampling import repeat_nearest, repeat_nearest_backward

_PADDING_EXPECTED = "a non-negative integer, a tuple of 2 non-negative integers or a tuple of 2 such tuples"


def _padding_pairs(padding, name="padding") -> tuple[tuple[int, int], tuple[int, int]]:
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
        raise invalid(name, _PADDING_EXPECTED, padding, TypeError)
    if min(min(pair) for pair in pairs) < 0:
        raise invalid(name, _PADDING_EXPECTED, padding)
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


def _pair(name, value) -> tuple[int, int]:
    """Keras' 1-D amount: ``1`` (both ends) or ``(before, after)``, non-negative."""
    expected = "a non-negative integer or a tuple of 2 non-negative integers"
    pair = (value, value) if is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(v) for v in pair):
        raise invalid(name, expected, value, TypeError)
    if min(pair) < 0:
        raise invalid(name, expected, value)
    return int(pair[0]), int(pair[1])


def _check_rank(layer, input_shape, rank, layout):
    if len(input_shape) != rank:
        raise ValueError(
            f"Invalid value for argument 'input_shape': expected a shape of rank {rank} {layout} for layer "
            f"'{layer.name}'. Received: input_shape={tuple(input_shape)}"
        )


class ZeroPadding1D(Layer):
    """``ZeroPadding1D(padding=1)``: zeros before and after each sequence, ``(N, L, C) -> (N, a + L + b, C)``
    (``channels_first``: along the last axis); ``padding`` is an int or ``(a, b)``."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        self.padding = _pair("padding", padding)
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._axis = 2 if self.data_format == "channels_first" else 1

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 3, "(batch, steps, channels)")
        shape = list(input_shape)
        shape[self._axis] += sum(self.padding)
        return tuple(shape)

    def forward(self, x, training=False):
        widths = [(0, 0)] * 3
        widths[self._axis] = self.padding
        return np.pad(x, widths)

    def backward(self, dy):
        index = [slice(None)] * 3
        index[self._axis] = slice(self.padding[0], dy.shape[self._axis] - self.padding[1])
        return dy[tuple(index)].copy()

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": list(self.padding), "data_format": self.data_format}


class Cropping1D(Layer):
    """``Cropping1D(cropping=(1, 1))``: drop steps at both ends, ``(N, L, C) -> (N, L − a − b, C)``. The
    gradient of the dropped steps is 0."""

    def __init__(self, cropping=(1, 1), **kwargs):
        self.cropping = _pair("cropping", cropping)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 3, "(batch, steps, channels)")
        if input_shape[1] - sum(self.cropping) < 1:
            raise invalid(
                "cropping", f"less in all than the {input_shape[1]} steps of layer '{self.name}'", self.cropping
            )
        return (input_shape[0], input_shape[1] - sum(self.cropping), input_shape[2])

    def forward(self, x, training=False):
        return np.ascontiguousarray(x[:, self.cropping[0] : x.shape[1] - self.cropping[1]])

    def backward(self, dy):
        return np.pad(dy, [(0, 0), self.cropping, (0, 0)])

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": list(self.cropping)}


class Cropping2D(Layer):
    """``Cropping2D(cropping=((0, 0), (0, 0)))``: drop rows and columns at the borders of each image,
    ``(N, H, W, C) -> (N, H − top − bottom, W − left − right, C)``; ``cropping`` is spelt as ``ZeroPadding2D``'s
    ``padding``. The gradient of the dropped pixels is 0."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        self.cropping = _padding_pairs(cropping, "cropping")
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._hw_axes = (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 4, "(batch, rows, columns, channels)")
        shape = list(input_shape)
        for axis, (before, after) in zip(self._hw_axes, self.cropping):
            if shape[axis] - before - after < 1:
                raise invalid(
                    "cropping", f"less than the input size {shape[axis]} on each axis of layer '{self.name}'",
                    self.cropping,
                )  # fmt: skip
            shape[axis] -= before + after
        return tuple(shape)

    def forward(self, x, training=False):
        index = [slice(None)] * 4
        for axis, (before, after) in zip(self._hw_axes, self.cropping):
            index[axis] = slice(before, x.shape[axis] - after)
        return np.ascontiguousarray(x[tuple(index)])

    def backward(self, dy):
        widths = [(0, 0)] * 4
        for axis, pair in zip(self._hw_axes, self.cropping):
            widths[axis] = pair
        return np.pad(dy, widths)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "cropping": [list(pair) for pair in self.cropping],
            "data_format": self.data_format,
        }


class UpSampling2D(Layer):
    """``UpSampling2D(size=(2, 2), interpolation='nearest')``: ``(N, H, W, C) -> (N, sh·H, sw·W, C)``.

    ``'nearest'`` repeats each pixel ``sh × sw`` times (backward sums each block); ``'bilinear'`` is Keras'
    ``ops.image.resize`` with half-pixel centres, clamped at the borders (backward: its transpose). Keras'
    other interpolations (bicubic, lanczos, area) are not available.
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        self.size = int_pair("size", size)
        self.data_format = backend.standardize_data_format(data_format)
        self.interpolation = one_of("interpolation", interpolation, ("nearest", "bilinear"))
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 4, "(batch, rows, columns, channels)")
        n, a, b, c = input_shape
        if self.data_format == "channels_first":
            return (n, a, b * self.size[0], c * self.size[1])
        return (n, a * self.size[0], b * self.size[1], c)

    def _nhwc(self, x):
        return x.transpose(0, 2, 3, 1) if self.data_format == "channels_first" else x

    def _back(self, y):
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) if self.data_format == "channels_first" else y

    def forward(self, x, training=False):
        x = self._nhwc(x)
        self._x_shape = x.shape
        sh, sw = self.size
        if self.interpolation == "nearest":
            return self._back(repeat_nearest(x, self.size, (1, 2)))
        return self._back(backend.nn.resize_bilinear(x, (x.shape[1] * sh, x.shape[2] * sw)))

    def backward(self, dy):
        dy = self._nhwc(dy)
        if self.interpolation == "nearest":
            return self._back(repeat_nearest_backward(dy, self.size, (1, 2)))
        return self._back(backend.nn.resize_bilinear_backward(dy, self._x_shape))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class Permute(Layer):
    """``Permute(dims)``: reorder the non-batch axes, ``dims`` a permutation of ``1 … rank−1`` (e.g. ``(2, 1)``
    swaps the two axes of ``(N, a, b)``)."""

    def __init__(self, dims, **kwargs):
        expected = "a permutation of 1, …, n (the non-batch axes)"
        if not isinstance(dims, (tuple, list)) or not all(is_int(d) for d in dims):
            raise invalid("dims", expected, dims, TypeError)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise invalid("dims", expected, dims)
        self.dims = tuple(int(d) for d in dims)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise invalid(
                "input_shape", f"a shape of rank {len(self.dims) + 1} for layer '{self.name}'", tuple(input_shape)
            )
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, x, training=False):
        return np.ascontiguousarray(x.transpose(0, *self.dims))

    def backward(self, dy):
        return np.ascontiguousarray(dy.transpose(0, *(int(i) + 1 for i in np.argsort(self.dims))))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """``RepeatVector(n)``: ``(N, F) -> (N, n, F)``, the vector repeated n times; backward sums the copies."""

    def __init__(self, n, **kwargs):
        self.n = positive_int("n", n)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise invalid(
                "input_shape", f"a shape of rank 2 (batch, features) for layer '{self.name}'", tuple(input_shape)
            )
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x, training=False):
        return np.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, dy):
        return dy.sum(axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
