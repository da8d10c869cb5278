"""Activation layers with arguments: ``ReLU``, ``LeakyReLU``, ``PReLU`` (trainable slopes), ``ELU`` and ``Softmax``.

Shapes are unchanged and the dtype is the layer's. At a kink the derivative is one of the two one-sided ones, as
TensorFlow takes it: each docstring says which.
"""

from __future__ import annotations

import numpy as np

from numcnn import activations, backend, initializers
from numcnn._checks import finite_number, invalid, is_int
from numcnn._registry import serialize
from numcnn.layers.activated import ActivatedLayer, _constraint, _regularizer
from numcnn.layers.base import Layer


class ReLU(Layer):
    """``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``, Keras' rectifier with its three knobs::

        y = min(x, max_value)              for x > threshold
        y = negative_slope · (x − threshold)   otherwise

    The derivative is 1 on ``threshold < x < max_value``, ``negative_slope`` for ``x ≤ threshold`` and 0 for
    ``x ≥ max_value``. With the defaults it is the plain ReLU, run by the backend's ReLU ops.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        self.max_value = None if max_value is None else finite_number("max_value", max_value, low=0)
        self.negative_slope = finite_number("negative_slope", negative_slope, low=0)
        self.threshold = finite_number("threshold", threshold, low=0)
        super().__init__(**kwargs)
        self._x = self._y = None

    def _plain(self) -> bool:
        return self.max_value is None and self.negative_slope == 0.0 and self.threshold == 0.0

    def forward(self, x, training=False):
        if self._plain():
            self._x, self._y = None, backend.nn.relu_forward(x)
            return self._y
        t = x.dtype.type(self.threshold)
        above = x if self.max_value is None else np.minimum(x, x.dtype.type(self.max_value))
        self._x = x  # read in backward, never written
        return np.where(x > t, above, (x - t) * x.dtype.type(self.negative_slope))

    def backward(self, dy):
        if self._x is None:
            return backend.nn.relu_backward(dy, self._y)
        x = self._x
        t = x.dtype.type(self.threshold)
        slope = dy * dy.dtype.type(self.negative_slope)
        inside = x > t if self.max_value is None else (x > t) & (x < x.dtype.type(self.max_value))
        return np.where(inside, dy, np.where(x > t, dy.dtype.type(0), slope))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """``LeakyReLU(negative_slope=0.3)``: ``x`` for ``x > 0``, else ``negative_slope · x`` (the slope also at 0).

    Keras 3's default slope is 0.3 (the ``leaky_relu`` *function* defaults to 0.2); Keras 2 called the argument
    ``alpha``, which is still accepted.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        self.negative_slope = finite_number("negative_slope", negative_slope, low=0)
        super().__init__(**kwargs)
        self._x = None

    def forward(self, x, training=False):
        self._x = x
        return np.where(x > 0, x, x * x.dtype.type(self.negative_slope))

    def backward(self, dy):
        return np.where(self._x > 0, dy, dy * dy.dtype.type(self.negative_slope))

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


def _shared_axes(value):
    if value is None:
        return None
    axes = [value] if is_int(value) else value
    expected = "None, a positive integer or a list of them (axes counted with the batch axis as 0)"
    if not isinstance(axes, (list, tuple)) or not all(is_int(a) for a in axes):
        raise invalid("shared_axes", expected, value, TypeError)
    if not axes or min(axes) < 1:
        raise invalid("shared_axes", expected, value)
    return [int(a) for a in axes]


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x > 0`` and ``alpha · x`` for ``x < 0``, with a trainable ``alpha``.

    ``alpha`` has the per-sample input shape, with size 1 along each of ``shared_axes`` (e.g. ``[1, 2]`` shares
    one slope per channel over height and width of an image). Weight: ``alpha``; Keras' initializer default
    ``'Zeros'`` makes it a ReLU at first. At ``x = 0`` both derivatives are 0, as TensorFlow takes them
    (Keras computes ``relu(x) − alpha·relu(−x)``).
    """

    def __init__(
        self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None, **kwargs
    ):
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = _regularizer(alpha_regularizer)
        self.alpha_constraint = _constraint(alpha_constraint)
        self.shared_axes = _shared_axes(shared_axes)
        super().__init__(**kwargs)
        self._x = None

    def _alpha_shape(self, input_shape) -> tuple:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= len(input_shape):
                raise ValueError(
                    f"Invalid value for argument 'shared_axes': expected axes of inputs of rank {len(input_shape)} "
                    f"for layer '{self.name}'. Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        return tuple(shape)

    def compute_output_shape(self, input_shape):
        self._alpha_shape(input_shape)
        return tuple(input_shape)

    def build(self, input_shape):
        shape = self._alpha_shape(input_shape)
        self.add_weight(
            "alpha", shape, self.alpha_initializer, regularizer=self.alpha_regularizer, constraint=self.alpha_constraint
        )
        super().build(input_shape)

    def forward(self, x, training=False):
        self._x = x
        return np.where(x > 0, x, x * self.params["alpha"])

    def backward(self, dy):
        x, alpha = self._x, self.params["alpha"]
        negative = np.minimum(x, x.dtype.type(0))
        shared = tuple(i for i in range(x.ndim) if i == 0 or alpha.shape[i - 1] == 1 and x.shape[i] != 1)
        self.grads["alpha"] = np.sum(dy * negative, axis=shared, keepdims=True).reshape(alpha.shape)
        zero = dy.dtype.type(0)
        return np.where(x > 0, dy, np.where(x < 0, dy * alpha, zero))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": None if self.alpha_regularizer is None else serialize(self.alpha_regularizer),
            "alpha_constraint": None if self.alpha_constraint is None else serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(Layer):
    """``ELU(alpha=1.0)``: ``x`` for ``x > 0``, else ``alpha · (eˣ − 1)``; the derivative at 0 is ``alpha``."""

    def __init__(self, alpha=1.0, **kwargs):
        self.alpha = finite_number("alpha", alpha)
        super().__init__(**kwargs)
        self._x = None

    def forward(self, x, training=False):
        self._x = x
        return np.where(x > 0, x, x.dtype.type(self.alpha) * np.expm1(np.minimum(x, 0)))

    def backward(self, dy):
        x = self._x
        return np.where(x > 0, dy, dy * (dy.dtype.type(self.alpha) * np.exp(np.minimum(x, 0))))

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


def _axes(value):
    expected = "an integer or a tuple of integers"
    if is_int(value):
        return int(value)
    if isinstance(value, (list, tuple)) and value and all(is_int(a) for a in value):
        return [int(a) for a in value]
    raise invalid("axis", expected, value, TypeError)


def _softmax_over(axes):
    """An activation computing softmax over ``axes`` (a tuple of axes of the full shape)."""

    def forward(x):
        e = np.exp(x - x.max(axis=axes, keepdims=True))  # the shift keeps exp from overflowing
        return e / e.sum(axis=axes, keepdims=True)

    def backward(dy, x, y):
        return y * (dy - np.sum(dy * y, axis=axes, keepdims=True))

    return activations.ActivationFn(f"softmax_over_axes_{'_'.join(map(str, axes))}", forward, backward)


class Softmax(ActivatedLayer):
    """``Softmax(axis=-1)``: ``exp(x) / Σ exp(x)`` over ``axis`` (an int or a tuple of axes, batch axis counted).

    Over the last axis it is the ``softmax`` activation, so a model output made by ``Softmax()`` with a
    crossentropy loss gets the plan's fused, stable gradient ``(p − y)/N``, as ``Dense(…, activation='softmax')``
    does; over other axes its backward is the Jacobian product ``y·(dy − Σ dy·y)``.
    """

    def __init__(self, axis=-1, **kwargs):
        self.axis = _axes(axis)
        super().__init__(activation="softmax", **kwargs)

    def _resolved(self, rank: int) -> tuple:
        axes = [self.axis] if is_int(self.axis) else self.axis
        if any(not -rank <= a < rank or a % rank == 0 for a in axes) or len({a % rank for a in axes}) < len(axes):
            raise ValueError(
                f"Invalid value for argument 'axis': expected distinct non-batch axes of inputs of rank {rank} "
                f"for layer '{self.name}'. Received: axis={self.axis}"
            )
        return tuple(sorted(a % rank for a in axes))

    def compute_output_shape(self, input_shape):
        self._resolved(len(input_shape))
        return tuple(input_shape)

    def build(self, input_shape):
        axes = self._resolved(len(input_shape))
        last = axes == (len(input_shape) - 1,)
        self.activation = activations.get("softmax") if last else _softmax_over(axes)
        super().build(input_shape)

    def forward_linear(self, x, training=False):
        return x

    def backward_linear(self, dz, need_dx=True):
        return dz

    def get_config(self) -> dict:
        config = super().get_config()
        del config["activation"]  # Keras' Softmax has none: its function is fixed
        return {**config, "axis": self.axis}
