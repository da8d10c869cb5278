"""Layers of the form ``y = activation(z)`` with ``z`` a linear map of the input, and those among them whose map
has a kernel and a bias (Conv2D, Dense)."""

from __future__ import annotations

from numcnn import activations, initializers
from numcnn._checks import flag
from numcnn._registry import serialize
from numcnn.layers.base import Layer


def _regularizer(value):
    if value is None:
        return None
    from numcnn import regularizers

    return regularizers.get(value)


def _constraint(value):
    if value is None:
        return None
    from numcnn import constraints

    return constraints.get(value)


def serialized(value):
    """A regularizer or constraint for ``get_config``: None, or its ``{'class_name', 'config'}``."""
    return None if value is None else serialize(value)


class ActivatedLayer(Layer):
    """A layer ``y = activation(z)`` with ``z`` a linear map of the input (Conv2D, Dense, Activation).

    Subclasses implement ``forward_linear(x) -> z`` and ``backward_linear(dz, need_dx=True) -> dx``. The split
    lets a model skip softmax's Jacobian and feed the fused softmax-crossentropy gradient ``dz`` directly.
    Subclasses that set ``fuses_relu`` also take ``forward_linear(x, relu=True)`` and
    ``backward_linear(dy, relu_output=y)``: ReLU then runs inside their kernels, on data still in cache,
    instead of as two more full passes over the output.
    """

    fuses_relu = False

    def __init__(self, activation=None, **kwargs):
        self.activation = activations.get(activation)
        super().__init__(**kwargs)
        self._z = None
        self._y = None

    def _fused_relu(self) -> bool:
        return self.fuses_relu and self.activation.name == "relu"

    def forward(self, x, training=False):
        if self._fused_relu():
            y = self.forward_linear(x, training=training, relu=True)
            self._z = None
        else:
            z = self.forward_linear(x, training=training)
            y = self.activation.forward(z)
            self._z = z if self.activation.needs_input else None
        self._y = y
        return y

    def backward(self, dy):
        return self._backward(dy, need_dx=True)

    def backward_weights(self, dy) -> None:
        self._backward(dy, need_dx=False)

    def _backward(self, dy, need_dx):
        if self._fused_relu():
            return self.backward_linear(dy, relu_output=self._y, need_dx=need_dx)
        return self.backward_linear(self.activation.backward(dy, self._z, self._y), need_dx=need_dx)

    def forward_linear(self, x, training=False):
        raise NotImplementedError

    def backward_linear(self, dz, need_dx=True):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class KernelLayer(ActivatedLayer):
    """An ``ActivatedLayer`` whose linear map has a ``kernel`` and, with ``use_bias``, a ``bias`` (Conv2D,
    Dense): their shared arguments (initializers, regularizers, constraints), weight creation, config, and the
    fused ReLU of their kernels."""

    fuses_relu = True

    def __init__(
        self,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        self.use_bias = flag("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizer(kernel_regularizer)
        self.bias_regularizer = _regularizer(bias_regularizer)
        self.kernel_constraint = _constraint(kernel_constraint)
        self.bias_constraint = _constraint(bias_constraint)
        super().__init__(activation=activation, **kwargs)
        self._x = None

    def add_kernel_and_bias(self, kernel_shape: tuple) -> None:
        """``kernel`` of ``kernel_shape`` (Keras' layout, outputs last) and, with ``use_bias``, a ``bias``."""
        self.add_weight(
            "kernel",
            kernel_shape,
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                (kernel_shape[-1],),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
        for key in ("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"):
            value = getattr(self, key)
            config[key] = None if value is None else serialize(value)
        return config
