"""``DepthwiseConv2D`` and ``SeparableConv2D`` (alias ``SeparableConvolution2D``): per-channel convolutions, and a
per-channel convolution followed by a 1×1 convolution that mixes the channels."""

from __future__ import annotations

from numcnn import backend, initializers
from numcnn._checks import flag, positive_int
from numcnn.layers._spatial import SpatialMixin, unit_dilation
from numcnn.layers.activated import ActivatedLayer, _constraint, _regularizer, serialized

_NO_PADS = (0, 0, 0, 0)


class _DepthwiseBase(SpatialMixin, ActivatedLayer):
    """Arguments and output shape shared by the two layers; the depthwise step's weight is named by subclasses."""

    def __init__(
        self,
        kernel_size,
        strides,
        padding,
        depth_multiplier,
        data_format,
        dilation_rate,
        activation,
        use_bias,
        depthwise_initializer,
        bias_initializer,
        depthwise_regularizer,
        bias_regularizer,
        depthwise_constraint,
        bias_constraint,
        **kwargs,
    ):
        self._init_spatial("kernel_size", kernel_size, strides, padding, data_format, strides_default=(1, 1))
        self.kernel_size = self.window
        self.depth_multiplier = positive_int("depth_multiplier", depth_multiplier)
        self.dilation_rate = unit_dilation(dilation_rate, 2)
        self.use_bias = flag("use_bias", use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = _regularizer(depthwise_regularizer)
        self.bias_regularizer = _regularizer(bias_regularizer)
        self.depthwise_constraint = _constraint(depthwise_constraint)
        self.bias_constraint = _constraint(bias_constraint)
        super().__init__(activation=activation, **kwargs)
        self._x = None

    def _depthwise_weight(self, name, channels):
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        self.add_weight(
            name, shape, self.depthwise_initializer, True, self.depthwise_regularizer, self.depthwise_constraint
        )

    def _bias_weight(self, units):
        if self.use_bias:
            self.add_weight("bias", (units,), self.bias_initializer, True, self.bias_regularizer, self.bias_constraint)

    def _output_channels(self, channels):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        oh, ow = self._spatial_output(input_shape)
        _, _, channels = self._hwc(input_shape)
        return self._shape_from_hwc(input_shape[0], oh, ow, self._output_channels(channels))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._spatial_config("kernel_size"),
            "dilation_rate": list(self.dilation_rate),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": serialized(self.depthwise_regularizer),
            "bias_regularizer": serialized(self.bias_regularizer),
            "activity_regularizer": serialized(self.activity_regularizer),
            "depthwise_constraint": serialized(self.depthwise_constraint),
            "bias_constraint": serialized(self.bias_constraint),
        }


class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each input channel is convolved with its own ``depth_multiplier`` filters.

    Input ``(N, H, W, C)`` (or channels first), output ``(N, OH, OW, C·depth_multiplier)`` with output channel
    ``c·depth_multiplier + m`` from input channel c and filter m; OH, OW as for ``Conv2D``. Weights: ``kernel``
    ``(kh, kw, C, depth_multiplier)`` and ``bias`` ``(C·depth_multiplier,)``, Keras' names and layouts
    (the arguments are ``depthwise_initializer``, ``depthwise_regularizer``, ``depthwise_constraint``).
    """

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            depth_multiplier,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )

    def _output_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        _, _, channels = self._hwc(input_shape)
        self._depthwise_weight("kernel", channels)
        self._bias_weight(channels * self.depth_multiplier)
        super().build(input_shape)

    def forward_linear(self, x, training=False):
        self._x = self._to_nhwc(x)
        y = backend.nn.depthwise_conv2d_forward(
            self._x, self.params["kernel"], self.params.get("bias"), self.strides, self.pads
        )
        return self._from_nhwc(y)

    def backward_linear(self, dz, need_dx=True):
        dx, dkernel, dbias = backend.nn.depthwise_conv2d_backward(
            self._to_nhwc(dz), self._x, self.params["kernel"], self.strides, self.pads, need_dx
        )
        self.grads["kernel"] = dkernel
        if self.use_bias:
            self.grads["bias"] = dbias
        return None if dx is None else self._from_nhwc(dx)


class SeparableConv2D(_DepthwiseBase):
    """Depthwise separable 2-D convolution: a ``DepthwiseConv2D`` without bias (with the strides and padding),
    then a 1×1 convolution to ``filters`` channels with the bias and the activation.

    Input ``(N, H, W, C)`` (or channels first), output ``(N, OH, OW, filters)``; OH, OW as for ``Conv2D``.
    Weights in Keras' order: ``depthwise_kernel`` ``(kh, kw, C, depth_multiplier)``, ``pointwise_kernel``
    ``(1, 1, C·depth_multiplier, filters)``, ``bias`` ``(filters,)``. A ReLU runs inside the 1×1 product.
    """

    fuses_relu = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        self.filters = positive_int("filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = _regularizer(pointwise_regularizer)
        self.pointwise_constraint = _constraint(pointwise_constraint)
        super().__init__(
            kernel_size,
            strides,
            padding,
            depth_multiplier,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )
        self._mid = None

    def _output_channels(self, channels):
        return self.filters

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        _, _, channels = self._hwc(input_shape)
        self._depthwise_weight("depthwise_kernel", channels)
        shape = (1, 1, channels * self.depth_multiplier, self.filters)
        self.add_weight(
            "pointwise_kernel",
            shape,
            self.pointwise_initializer,
            True,
            self.pointwise_regularizer,
            self.pointwise_constraint,
        )
        self._bias_weight(self.filters)
        super().build(input_shape)

    def forward_linear(self, x, training=False, relu=False):
        ops = backend.nn
        self._x = self._to_nhwc(x)
        self._mid = ops.depthwise_conv2d_forward(
            self._x, self.params["depthwise_kernel"], None, self.strides, self.pads
        )
        y = ops.conv2d_forward(
            self._mid, self.params["pointwise_kernel"], self.params.get("bias"), (1, 1), _NO_PADS, relu
        )
        return self._from_nhwc(y)

    def backward_linear(self, dz, relu_output=None, need_dx=True):
        ops = backend.nn
        relu_output = None if relu_output is None else self._to_nhwc(relu_output)
        dmid, dpointwise, dbias = ops.conv2d_backward(
            self._to_nhwc(dz), self._mid, self.params["pointwise_kernel"], (1, 1), _NO_PADS, True, relu_output
        )
        dx, ddepthwise, _ = ops.depthwise_conv2d_backward(
            dmid, self._x, self.params["depthwise_kernel"], self.strides, self.pads, need_dx
        )
        self.grads["depthwise_kernel"] = ddepthwise
        self.grads["pointwise_kernel"] = dpointwise
        if self.use_bias:
            self.grads["bias"] = dbias
        return None if dx is None else self._from_nhwc(dx)

    def get_config(self) -> dict:
        config = super().get_config()
        return {
            **config,
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": serialized(self.pointwise_regularizer),
            "pointwise_constraint": serialized(self.pointwise_constraint),
        }


SeparableConvolution2D = SeparableConv2D
