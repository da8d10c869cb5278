"""``Conv1D`` (alias ``Convolution1D``): a 1-D convolution, run as a ``Conv2D`` over images one row high."""

from __future__ import annotations

from numcnn import backend
from numcnn._checks import positive_int
from numcnn.layers._spatial import unit_dilation, unit_groups
from numcnn.layers._steps import StepsMixin
from numcnn.layers.activated import KernelLayer, serialized


class Conv1D(StepsMixin, KernelLayer):
    """1-D convolution with Keras' arguments and weight layout.

    Input ``(N, L, C)`` (``channels_last``) or ``(N, C, L)``; output ``(N, OL, filters)`` (or channels first)
    with ``OL`` as in ``StepsMixin``: 'causal' padding makes output t see inputs up to t only (WaveNet's), with
    ``OL = ceil(L / s)``. Weights: ``kernel`` ``(k, C, filters)``, ``bias`` ``(filters,)``. Keras'
    ``dilation_rate`` and ``groups`` are accepted at 1 only.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        self.filters = positive_int("filters", filters)
        self._init_steps("kernel_size", kernel_size, strides, padding, data_format, ("valid", "same", "causal"))
        self.kernel_size = (self.window1,)
        self.dilation_rate = unit_dilation(dilation_rate, 1)
        self.groups = unit_groups(groups)
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)

    def compute_output_shape(self, input_shape):
        return self._shape_from(input_shape[0], self._output_steps(input_shape), self.filters)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        _, channels = self._steps_channels(input_shape)
        self.add_kernel_and_bias((self.window1, channels, self.filters))
        super().build(input_shape)

    def _kernel2d(self):
        return self.params["kernel"][None]  # (1, k, C, F): a view of the weight

    def forward_linear(self, x, training=False, relu=False):
        self._x = self._to_nhwc(x)
        strides = (1, self.stride1)
        y = backend.nn.conv2d_forward(self._x, self._kernel2d(), self.params.get("bias"), strides, self.pads, relu)
        return self._from_nhwc(y)

    def backward_linear(self, dz, relu_output=None, need_dx=True):
        dx, dkernel, dbias = backend.nn.conv2d_backward(
            self._to_nhwc(dz),
            self._x,
            self._kernel2d(),
            (1, self.stride1),
            self.pads,
            need_dx,
            relu_output=None if relu_output is None else self._to_nhwc(relu_output),
        )
        self.grads["kernel"] = dkernel[0]
        if self.use_bias:
            self.grads["bias"] = dbias
        return None if dx is None else self._from_nhwc(dx)

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "filters": self.filters,
            **self._steps_config("kernel_size"),
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
        }
        config.setdefault("activity_regularizer", serialized(self.activity_regularizer))
        return config


Convolution1D = Conv1D
