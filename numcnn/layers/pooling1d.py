"""1-D pooling: ``MaxPooling1D``, ``AveragePooling1D`` (on the 2-D pooling ops, one row high), and
``GlobalMaxPooling1D``, ``GlobalAveragePooling1D``."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import flag
from numcnn.layers._steps import StepsMixin
from numcnn.layers.base import Layer


class _Pooling1D(StepsMixin, Layer):
    def __init__(self, pool_size, strides, padding, data_format, **kwargs):
        self._init_steps("pool_size", pool_size, strides, padding, data_format, ("valid", "same"))
        super().__init__(**kwargs)
        self.pool_size = (self.window1,)
        self._x_shape = None

    def compute_output_shape(self, input_shape):
        _, channels = self._steps_channels(input_shape)
        return self._shape_from(input_shape[0], self._output_steps(input_shape), channels)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._steps_config("pool_size")}


class MaxPooling1D(_Pooling1D):
    """``MaxPooling1D(pool_size=2, strides=None, padding='valid')``: the maximum of each window of steps
    (strides default to the pool size). The gradient goes to the first maximum of a window on ties; 'same'
    padding never wins."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def forward(self, x, training=False):
        x4 = self._to_nhwc(x)
        self._x_shape = x4.shape
        y, self._argmax = backend.nn.maxpool2d_forward(x4, (1, self.window1), (1, self.stride1), self.pads)
        return self._from_nhwc(y)

    def backward(self, dy):
        return self._from_nhwc(backend.nn.maxpool2d_backward(self._to_nhwc(dy), self._argmax, self._x_shape))


class AveragePooling1D(_Pooling1D):
    """``AveragePooling1D(pool_size, strides=None, padding='valid')``: the mean of each window, over its real
    (not padded) steps, as Keras. Keras 3 makes ``pool_size`` required here (not for ``MaxPooling1D``)."""

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def forward(self, x, training=False):
        x4 = self._to_nhwc(x)
        self._x_shape = x4.shape
        return self._from_nhwc(backend.nn.avgpool2d_forward(x4, (1, self.window1), (1, self.stride1), self.pads))

    def backward(self, dy):
        dx = backend.nn.avgpool2d_backward(
            self._to_nhwc(dy), self._x_shape, (1, self.window1), (1, self.stride1), self.pads
        )
        return self._from_nhwc(dx)


class _GlobalPooling1D(Layer):
    """Pool over all steps: ``(N, L, C) -> (N, C)`` (``keepdims`` keeps a step axis of 1)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = flag("keepdims", keepdims)
        super().__init__(**kwargs)
        self._axis = 2 if self.data_format == "channels_first" else 1

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected a shape of rank 3 for layer '{self.name}'. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        shape = list(input_shape)
        if self.keepdims:
            shape[self._axis] = 1
        else:
            del shape[self._axis]
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    def forward(self, x, training=False):
        self._x_shape = x.shape
        return x.mean(axis=self._axis, keepdims=self.keepdims)

    def backward(self, dy):
        dy = dy if self.keepdims else np.expand_dims(dy, self._axis)
        return np.broadcast_to(dy / dy.dtype.type(self._x_shape[self._axis]), self._x_shape).copy()


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Global max over the steps; the gradient goes to the first maximum of each channel."""

    def forward(self, x, training=False):
        self._x_shape = x.shape
        self._argmax = np.expand_dims(x.argmax(axis=self._axis), self._axis)  # first maximum; a NaN wins
        y = np.take_along_axis(x, self._argmax, axis=self._axis)
        return y if self.keepdims else np.squeeze(y, self._axis)

    def backward(self, dy):
        dy = dy if self.keepdims else np.expand_dims(dy, self._axis)
        dx = np.zeros(self._x_shape, dtype=dy.dtype)
        np.put_along_axis(dx, self._argmax, dy, axis=self._axis)
        return dx


MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
