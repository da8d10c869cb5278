"""``Conv2D`` (alias ``Convolution2D``): 2-D convolution through im2col and one matrix product."""

from __future__ import annotations

from numcnn import backend
from numcnn._checks import positive_int
from numcnn.layers._spatial import SpatialMixin, unit_dilation, unit_groups
from numcnn.layers.activated import KernelLayer


class Conv2D(SpatialMixin, KernelLayer):
    """2-D convolution, Keras' arguments and weight layout.

    Input ``(N, H, W, C)`` (``channels_last``) or ``(N, C, H, W)``; output ``(N, OH, OW, filters)`` (or
    channels first) with ``OH = floor((H + pad_top + pad_bottom - kh) / sh) + 1`` (likewise ``OW``).
    Weights: ``kernel`` ``(kh, kw, C, filters)``, ``bias`` ``(filters,)``.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        self.filters = positive_int("filters", filters)
        unit_dilation(dilation_rate, 2)  # Keras' defaults are accepted; other values are refused by name
        unit_groups(groups)
        self._init_spatial("kernel_size", kernel_size, strides, padding, data_format, strides_default=(1, 1))
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)
        self.kernel_size = self.window

    def compute_output_shape(self, input_shape):
        oh, ow = self._spatial_output(input_shape)
        return self._shape_from_hwc(input_shape[0], oh, ow, self.filters)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # refuses a kernel larger than the input before any weight exists
        _, _, channels = self._hwc(input_shape)
        self.add_kernel_and_bias((*self.kernel_size, channels, self.filters))
        super().build(input_shape)

    def forward_linear(self, x, training=False, relu=False):
        self._x = self._to_nhwc(x)
        y = backend.nn.conv2d_forward(
            self._x, self.params["kernel"], self.params.get("bias"), self.strides, self.pads, relu
        )
        return self._from_nhwc(y)

    def backward_linear(self, dz, relu_output=None, need_dx=True):
        dx, dkernel, dbias = backend.nn.conv2d_backward(
            self._to_nhwc(dz),
            self._x,
            self.params["kernel"],
            self.strides,
            self.pads,
            need_dx,
            relu_output=None if relu_output is None else self._to_nhwc(relu_output),
        )
        self.grads["kernel"] = dkernel
        if self.use_bias:
            self.grads["bias"] = dbias
        return None if dx is None else self._from_nhwc(dx)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._spatial_config("kernel_size"),
        }


Convolution2D = Conv2D
