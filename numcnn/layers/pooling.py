"""Pooling layers: ``MaxPooling2D``, ``AveragePooling2D``, ``GlobalMaxPooling2D``, ``GlobalAveragePooling2D``."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import flag, invalid
from numcnn.layers._spatial import SpatialMixin
from numcnn.layers.base import Layer


class _Pooling2D(SpatialMixin, Layer):
    """Shared construction and shapes of windowed pooling; subclasses supply forward/backward."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        self._init_spatial("pool_size", pool_size, strides, padding, data_format)
        super().__init__(**kwargs)
        self.pool_size = self.window
        self._x_shape = None

    def compute_output_shape(self, input_shape):
        oh, ow = self._spatial_output(input_shape)
        _, _, channels = self._hwc(input_shape)
        return self._shape_from_hwc(input_shape[0], oh, ow, channels)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._spatial_config("pool_size")}


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows; output size as in ``SpatialMixin`` (odd sizes floor, like Keras).

    Backward routes each output gradient to the input element that won its window; on ties the first
    maximum in row-major window order (top-left first) takes all of it. 'same' padding never wins.
    """

    def forward(self, x, training=False):
        x = self._to_nhwc(x)
        self._x_shape = x.shape
        y, self._argmax = backend.nn.maxpool2d_forward(x, self.pool_size, self.strides, self.pads)
        return self._from_nhwc(y)

    def backward(self, dy):
        dx = backend.nn.maxpool2d_backward(self._to_nhwc(dy), self._argmax, self._x_shape)
        return self._from_nhwc(dx)


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows, counting only real (non-padded) elements, like Keras."""

    def forward(self, x, training=False):
        x = self._to_nhwc(x)
        self._x_shape = x.shape
        y = backend.nn.avgpool2d_forward(x, self.pool_size, self.strides, self.pads)
        return self._from_nhwc(y)

    def backward(self, dy):
        dx = backend.nn.avgpool2d_backward(self._to_nhwc(dy), self._x_shape, self.pool_size, self.strides, self.pads)
        return self._from_nhwc(dx)


class _GlobalPooling2D(Layer):
    """Pool over all of height and width: ``(N, H, W, C) -> (N, C)`` (``keepdims`` keeps 1×1)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = flag("keepdims", keepdims)
        super().__init__(**kwargs)
        self._axes = (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise invalid(
                "input_shape", f"a shape of rank 4 for {type(self).__name__} '{self.name}'", tuple(input_shape)
            )
        if self.keepdims:
            return tuple(1 if i in self._axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in self._axes)

    def _expand(self, dy):
        return dy if self.keepdims else np.expand_dims(dy, self._axes)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    def forward(self, x, training=False):
        self._x_shape = x.shape
        return x.mean(axis=self._axes, keepdims=self.keepdims)

    def backward(self, dy):
        count = self._x_shape[self._axes[0]] * self._x_shape[self._axes[1]]
        return np.broadcast_to(self._expand(dy) / dy.dtype.type(count), self._x_shape).copy()


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Global max; the gradient goes to the first maximum of each channel (row-major order)."""

    def forward(self, x, training=False):
        nhwc = x.transpose(0, 2, 3, 1) if self.data_format == "channels_first" else x
        self._nhwc_shape = nhwc.shape
        flat = nhwc.reshape(nhwc.shape[0], -1, nhwc.shape[-1])  # (N, H*W, C)
        self._argmax = flat.argmax(axis=1)  # (N, C); the first maximum wins ties, a NaN always wins
        y = np.take_along_axis(flat, self._argmax[:, None, :], axis=1)[:, 0, :]
        return y.reshape(self.compute_output_shape(x.shape))

    def backward(self, dy):
        n, h, w, c = self._nhwc_shape
        flat = np.zeros((n, h * w, c), dtype=dy.dtype)
        np.put_along_axis(flat, self._argmax[:, None, :], dy.reshape(n, 1, c), axis=1)
        dx = flat.reshape(n, h, w, c)
        if self.data_format == "channels_first":
            return np.ascontiguousarray(dx.transpose(0, 3, 1, 2))
        return dx
