"""``Conv2DTranspose`` (alias ``Convolution2DTranspose``): the transposed ("de-") convolution, whose forward pass
is a convolution's input gradient and whose input gradient is a convolution."""

from __future__ import annotations

from numcnn import backend
from numcnn._checks import invalid, is_int, positive_int
from numcnn.backend.shapes import conv_output_length, same_pads
from numcnn.layers._spatial import SpatialMixin, unit_dilation
from numcnn.layers.activated import KernelLayer, serialized


def _output_padding(value, strides):
    if value is None:
        return None
    expected = "None, a non-negative integer or a tuple of 2, each smaller than the strides"
    pair = (value, value) if is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(p) for p in pair):
        raise invalid("output_padding", expected, value, TypeError)
    if min(pair) < 0 or any(p >= s for p, s in zip(pair, strides)):
        raise invalid("output_padding", f"{expected} {tuple(strides)}", value)
    return int(pair[0]), int(pair[1])


class Conv2DTranspose(SpatialMixin, KernelLayer):
    """Transposed 2-D convolution with Keras 3's arguments, output sizes and weight layout.

    Input ``(N, H, W, C)`` (or channels first), output ``(N, OH, OW, filters)`` with, per axis (Keras 3 and
    TensorFlow)::

        valid:  OH = (H − 1)·s + k + p      (p = output_padding, default max(s − k, 0))
        same:   OH = H·s                    (no output_padding) or (H − 1)·s + k mod 2 + p

    It is the input gradient of a convolution of an ``(N, OH, OW, filters)`` image by the same kernel, with
    TensorFlow's padding for that convolution (none for 'valid', 'same' pads of OH). Weights: ``kernel``
    ``(kh, kw, filters, C)`` (outputs before inputs, as Keras stores it) and ``bias`` ``(filters,)``.
    """

    fuses_relu = False

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        self.filters = positive_int("filters", filters)
        self._init_spatial("kernel_size", kernel_size, strides, padding, data_format, strides_default=(1, 1))
        self.kernel_size = self.window
        self.output_padding = _output_padding(output_padding, self.strides)
        self.dilation_rate = unit_dilation(dilation_rate, 2)
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)

    def _geometry(self, input_shape):
        """``((OH, OW), pads)`` of the output and of the convolution it transposes; raises if they clash."""
        h, w, _ = self._hwc(input_shape)
        sizes, pads = [], []
        for i, (n, k, s) in enumerate(zip((h, w), self.kernel_size, self.strides)):
            p = None if self.output_padding is None else self.output_padding[i]
            if self.padding == "valid":
                out = (n - 1) * s + k + (max(s - k, 0) if p is None else p)
                before_after = (0, 0)
            else:
                out = n * s if p is None else (n - 1) * s + k % 2 + p
                before_after = same_pads(out, k, s)
            if out < 1 or conv_output_length(out, k, s, *before_after) != n:
                raise ValueError(
                    f"Invalid value for argument 'output_padding': expected one that gives an output from which a "
                    f"convolution returns the input size {n} for layer '{self.name}' (an even kernel with 'same' "
                    f"padding needs output_padding ≥ 1). Received: output_padding={self.output_padding}"
                )
            sizes.append(out)
            pads += list(before_after)
        return tuple(sizes), tuple(pads)

    def compute_output_shape(self, input_shape):
        (oh, ow), _ = self._geometry(input_shape)
        return self._shape_from_hwc(input_shape[0], oh, ow, self.filters)

    def build(self, input_shape):
        (self._out_hw, self.pads) = self._geometry(input_shape)
        _, _, channels = self._hwc(input_shape)
        kernel_shape = (*self.kernel_size, self.filters, channels)
        self.add_weight(
            "kernel", kernel_shape, self.kernel_initializer, True, self.kernel_regularizer, self.kernel_constraint
        )
        if self.use_bias:
            self.add_weight(
                "bias", (self.filters,), self.bias_initializer, True, self.bias_regularizer, self.bias_constraint
            )
        super().build(input_shape)

    def forward_linear(self, x, training=False):
        self._x = self._to_nhwc(x)
        out_shape = (x.shape[0], *self._out_hw, self.filters)
        y = backend.nn.conv2d_input_grad(self._x, self.params["kernel"], out_shape, self.strides, self.pads)
        if self.use_bias:
            y += self.params["bias"]
        return self._from_nhwc(y)

    def backward_linear(self, dz, need_dx=True):
        ops, kernel = backend.nn, self.params["kernel"]
        dz = self._to_nhwc(dz)
        # y = col2im(x·Wᵀ): the kernel's gradient is the convolution weight gradient with the roles of x and dz
        # swapped, and dx is the convolution of dz
        _, dkernel, _ = ops.conv2d_backward(self._x, dz, kernel, self.strides, self.pads, need_dx=False)
        self.grads["kernel"] = dkernel
        if self.use_bias:
            self.grads["bias"] = dz.sum(axis=(0, 1, 2))
        if not need_dx:
            return None
        return self._from_nhwc(ops.conv2d_forward(dz, kernel, None, self.strides, self.pads))

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "filters": self.filters,
            **self._spatial_config("kernel_size"),
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "dilation_rate": list(self.dilation_rate),
        }
        config.setdefault("activity_regularizer", serialized(self.activity_regularizer))
        return config


Convolution2DTranspose = Conv2DTranspose
