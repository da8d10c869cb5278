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

import numpy as np

from numcnn import activations, backend
from numcnn._checks import invalid, shape_tuple

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


class Layer:
    """Base class: naming, weights bookkeeping, shape checks and the Keras weight API."""

    def __init__(self, name=None, input_shape=None, trainable=True, dtype=None, **kwargs):
        if "batch_input_shape" in kwargs:
            input_shape = tuple(kwargs.pop("batch_input_shape"))[1:]
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected keyword argument(s): {unknown}")
        if name is not None and (not isinstance(name, str) or not name):
            raise invalid("name", "a non-empty string or None", name, TypeError)
        self.name = name or unique_name(_snake_case(type(self).__name__))
        self.input_spec_shape = None if input_shape is None else shape_tuple("input_shape", input_shape)
        self.trainable = bool(trainable)
        self.dtype = np.dtype(dtype or backend.floatx())
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis ``None``). Subclasses extend."""
        self.input_shape = (None, *tuple(input_shape)[1:])
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def add_weight(self, name: str, shape, initializer, trainable: bool = True) -> np.ndarray:
        from numcnn import initializers

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
            self.build((None, *np.shape(x)[1:]))
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
        current = self.weights
        if not isinstance(weights, (list, tuple)):
            raise invalid("weights", f"a list of {len(current)} arrays", type(weights).__name__, TypeError)
        if len(weights) != len(current):
            raise ValueError(
                f"Invalid value for argument 'weights': expected a list of {len(current)} arrays for layer "
                f"'{self.name}'. Received: a list of {len(weights)} arrays"
            )
        arrays = []
        for i, (new, old) in enumerate(zip(weights, current)):
            arr = np.asarray(new)
            if arr.dtype.kind not in "fiu" or arr.dtype == np.dtype("O"):
                raise invalid(f"weights[{i}]", "a numeric array", f"array of dtype {arr.dtype}", TypeError)
            if arr.shape != old.shape:
                raise ValueError(
                    f"Invalid value for argument 'weights[{i}]': expected shape {format_shape(old.shape)} for "
                    f"layer '{self.name}'. Received: shape={format_shape(arr.shape)}"
                )
            if not np.all(np.isfinite(arr)):
                raise invalid(f"weights[{i}]", "finite values", "an array containing NaN or inf")
            arrays.append(arr)
        for arr, old in zip(arrays, current):
            old[...] = arr  # in place: optimizers and models hold references to these arrays

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
    """

    def __init__(self, activation=None, **kwargs):
        self.activation = activations.get(activation)
        super().__init__(**kwargs)
        self._z = None
        self._y = None

    def forward(self, x, training=False):
        z = self.forward_linear(x, training=training)
        y = self.activation.forward(z)
        self._z = z if self.activation.needs_input else None
        self._y = y
        return y

    def backward(self, dy):
        dz = self.activation.backward(dy, self._z, self._y)
        return self.backward_linear(dz)

    def forward_linear(self, x, training=False):
        raise NotImplementedError

    def backward_linear(self, dz):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class InputLayer(Layer):
    """``Input(shape=(28, 28, 1))``: declares the per-sample input shape of a Sequential model."""

    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if shape is None:
            raise invalid("shape", "a tuple of positive integers", shape, TypeError)
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
