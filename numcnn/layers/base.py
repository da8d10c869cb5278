"""The layer protocol every numcnn layer follows, and the ``Input`` placeholder.

A layer owns its weights and their gradients:

- ``build(input_shape)`` creates ``self.params`` (trainable, e.g. ``{"kernel": …, "bias": …}``) and
  ``self.state`` (non-trainable, e.g. BatchNormalization's moving statistics); ``self.grads`` has the
  keys of ``params``. ``input_shape`` includes the batch axis as ``None``, like Keras.
- ``forward(x, training=False) -> y`` caches only what ``backward`` needs.
- ``backward(dy) -> dx`` overwrites ``self.grads`` and returns the gradient for the input; it never
  updates params and never modifies ``dy``.

Weights are in Keras' layouts and order so ``get_weights``/``set_weights`` interoperate with Keras.
"""

from __future__ import annotations

import re
import weakref

import numpy as np

from numcnn import activations, backend, initializers
from numcnn._checks import check_allocation, flag, invalid, positive_int, shape_tuple

_name_counts: dict[str, int] = {}


def unique_name(base: str) -> str:
    """``conv2d_1``, ``conv2d_2``, … — per-process counters, as the notebook's summary shows."""
    _name_counts[base] = _name_counts.get(base, 0) + 1
    return f"{base}_{_name_counts[base]}"


def reset_names() -> None:
    """Restart the name counters (Keras' ``clear_session`` does the same)."""
    _name_counts.clear()


def _snake_case(name: str) -> str:
    # "MaxPooling2D" -> "max_pooling2d", "Conv2D" -> "conv2d"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", name).lower()


def format_shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def float_dtype(dtype) -> np.dtype:
    """A layer's ``dtype``: ``None`` (``backend.floatx()``), float32 or float64, else raise.

    float16 is refused: the kernels compute in float32 or float64 only (and half precision would need
    loss scaling to train at all).
    """
    if dtype is None:
        return np.dtype(backend.floatx())
    expected = "'float32' or 'float64'"
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        raise invalid("dtype", expected, dtype, TypeError) from None
    if resolved not in (np.dtype("float32"), np.dtype("float64")):
        raise invalid("dtype", expected, dtype)
    return resolved


def check_weight(label: str, value, current: np.ndarray, layer_name: str) -> np.ndarray:
    """``value`` as a new array of ``current``'s shape and dtype, or raise naming ``label`` (``weights[i]``).

    Accepts arrays and nested lists of ints and floats; refuses objects, strings, bools, complex numbers,
    other shapes, and NaN or inf — also values that only overflow when cast to the layer's dtype.
    """
    if value is None or isinstance(value, (str, bytes, dict)):
        raise invalid(label, "a numeric array", f"a {type(value).__name__}", TypeError)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError) as err:
        raise invalid(label, "a numeric array", f"an object that is not an array ({err})", TypeError) from None
    if arr.dtype.kind not in "fiu":
        raise invalid(label, "a numeric array", f"array of dtype {arr.dtype}", TypeError)
    if arr.shape != current.shape:
        raise ValueError(
            f"Invalid value for argument '{label}': expected shape {format_shape(current.shape)} for "
            f"layer '{layer_name}'. Received: shape={format_shape(arr.shape)}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        cast = arr.astype(current.dtype)  # a copy: never keep a reference to the caller's array
    if not np.isfinite(cast).all():
        received = "an array containing NaN or inf"
        if np.isfinite(arr).all():
            received = f"values too large for {current.dtype.name}"
        raise invalid(label, "finite values", received)
    return cast


class Layer:
    """Base class: naming, weights bookkeeping, shape checks and the Keras weight API."""

    def __init__(self, name=None, input_shape=None, trainable=True, dtype=None, **kwargs):
        if "batch_input_shape" in kwargs:
            batch_input_shape = kwargs.pop("batch_input_shape")
            if not isinstance(batch_input_shape, (tuple, list)) or len(batch_input_shape) < 2:
                expected = "a shape with the batch axis, e.g. (None, 28, 28, 1)"
                raise invalid("batch_input_shape", expected, batch_input_shape, TypeError)
            input_shape = tuple(batch_input_shape)[1:]
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected keyword argument(s): {unknown}")
        if name is not None and (not isinstance(name, str) or not name):
            raise invalid("name", "a non-empty string or None", name, TypeError)
        self.name = name or unique_name(_snake_case(type(self).__name__))
        self.input_spec_shape = None if input_shape is None else shape_tuple("input_shape", input_shape)
        self.trainable = flag("trainable", trainable)
        self.dtype = float_dtype(dtype)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self._models = weakref.WeakSet()  # the models this layer is in (a layer may be shared, as in Keras)

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis ``None``). Subclasses extend."""
        self.input_shape = (None, *tuple(input_shape)[1:])
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def add_weight(self, name: str, shape, initializer, trainable: bool = True) -> np.ndarray:
        # Initializers draw in float64: refuse sizes that cannot fit before NumPy tries (units=10**12).
        check_allocation(
            f"Cannot create weight '{name}' of layer '{self.name}' (its size arguments are too large for its input)",
            tuple(shape),
            8,
        )
        value = initializers.get(initializer)(tuple(shape), dtype=self.dtype)
        if trainable:
            self.params[name] = value
            self.grads[name] = np.zeros_like(value)
        else:
            self.state[name] = value
        return value

    # -- running ----------------------------------------------------------------------------------
    def check_input(self, x) -> None:
        """Raise a clear error when ``x`` does not fit the shape this layer was built for."""
        expected = self.input_shape
        if expected is None:
            return
        if not isinstance(x, np.ndarray):
            raise invalid("inputs", f"a numpy array for layer '{self.name}'", type(x).__name__, TypeError)
        if x.ndim != len(expected) or tuple(x.shape[1:]) != tuple(expected[1:]):
            raise ValueError(
                f"Invalid value for argument 'inputs': expected an array of shape {format_shape(expected)} "
                f"for layer '{self.name}'. Received: inputs.shape={format_shape(x.shape)}"
            )

    def __call__(self, x, training=False):
        if not self.built:
            shape = (None, *np.shape(x)[1:])
            self.compute_output_shape(shape)  # refuse a shape that does not fit before making any weight
            try:
                self.build(shape)
            except BaseException:
                self.unbuild()
                raise
        self.check_input(x)
        return self.forward(x, training=training)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    # -- weights ----------------------------------------------------------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        return [*self.params.values(), *self.state.values()]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights in Keras order (e.g. ``[kernel, bias]``)."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Replace the weights by ``weights`` (Keras order and shapes); checks all before writing any."""
        self.assign_weights(self.checked_weights(weights))

    def checked_weights(self, weights) -> list[np.ndarray]:
        """``weights`` checked against this layer's weights and cast to their dtypes; nothing is written."""
        current = self.weights
        if not isinstance(weights, (list, tuple)):
            raise invalid("weights", f"a list of {len(current)} arrays", type(weights).__name__, TypeError)
        if len(weights) != len(current):
            raise ValueError(
                f"Invalid value for argument 'weights': expected a list of {len(current)} arrays for layer "
                f"'{self.name}'. Received: a list of {len(weights)} arrays"
            )
        return [
            check_weight(f"weights[{i}]", new, old, self.name) for i, (new, old) in enumerate(zip(weights, current))
        ]

    def assign_weights(self, arrays: list[np.ndarray]) -> None:
        """Write arrays from ``checked_weights`` into the weights."""
        for arr, old in zip(arrays, self.weights):
            old[...] = arr  # in place: optimizers and models hold references to these arrays

    def unbuild(self) -> None:
        """Forget the weights and shapes of a build that failed part-way, so the layer can be built again."""
        self.params, self.grads, self.state = {}, {}, {}
        self.built = False
        self.input_shape = self.output_shape = None

    def count_params(self) -> int:
        return int(sum(w.size for w in self.weights))

    # -- description ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.input_spec_shape is not None:
            config["input_shape"] = list(self.input_spec_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        shape = "" if self.output_shape is None else f", output_shape={format_shape(self.output_shape)}"
        return f"<{type(self).__name__} name={self.name!r}{shape}, params={self.count_params() if self.built else '?'}>"


class ActivatedLayer(Layer):
    """A layer ``y = activation(z)`` with ``z`` a linear map of the input (Conv2D, Dense, Activation).

    Subclasses implement ``forward_linear(x) -> z`` and ``backward_linear(dz) -> dx``. The split lets the
    model skip softmax's Jacobian and feed the fused softmax-crossentropy gradient ``dz`` directly.
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
        if self._fused_relu():
            return self.backward_linear(dy, relu_output=self._y)
        return self.backward_linear(self.activation.backward(dy, self._z, self._y))

    def forward_linear(self, x, training=False):
        raise NotImplementedError

    def backward_linear(self, dz):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class KernelLayer(ActivatedLayer):
    """An ``ActivatedLayer`` whose linear map has a ``kernel`` and, with ``use_bias``, a ``bias`` (Conv2D,
    Dense): their shared arguments, weight creation, config, and the fused ReLU of their kernels."""

    fuses_relu = True

    def __init__(
        self,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        self.use_bias = flag("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        super().__init__(activation=activation, **kwargs)
        self.input_gradient = True  # the model turns this off for the first layer with weights
        self._x = None

    def add_kernel_and_bias(self, kernel_shape: tuple) -> None:
        """``kernel`` of ``kernel_shape`` (Keras' layout, outputs last) and, with ``use_bias``, a ``bias``."""
        self.add_weight("kernel", kernel_shape, self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (kernel_shape[-1],), self.bias_initializer)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class InputLayer(Layer):
    """``Input(shape=(28, 28, 1))``: declares the per-sample input shape of a Sequential model."""

    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if shape is None:
            raise invalid("shape", "a tuple of positive integers", shape, TypeError)
        shape = shape_tuple("shape", shape)
        self.batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
        super().__init__(name=name, input_shape=shape, **kwargs)
        self.shape = self.input_spec_shape
        self.build((None, *self.shape))

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy

    def get_config(self) -> dict:
        config = super().get_config()
        config["shape"] = list(config.pop("input_shape"))
        return config


def Input(shape=None, batch_size=None, name=None, **kwargs) -> InputLayer:  # noqa: N802 (Keras' name)
    """Keras' ``Input``: a placeholder layer carrying the per-sample shape (no batch axis)."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)
