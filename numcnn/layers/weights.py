"""A layer's weights: ``add_weight``'s arguments in either order, a new weight's initial value, the lists Keras
hands out (``weights``, ``trainable_weights``, … as Variables) and ``get_weights``/``set_weights``, whose values
are checked against the weights they replace before any is written."""

from __future__ import annotations

import numpy as np

from numcnn import initializers
from numcnn._checks import check_allocation, format_shape, invalid
from numcnn.variables import Variable

_KERAS_POSITIONAL = ("shape", "initializer", "dtype")
_NUMCNN_POSITIONAL = ("name", "shape", "initializer", "trainable", "regularizer", "constraint")
_DEFAULTS = {"trainable": True}  # the others default to None


def weight_arguments(args: tuple, given: dict) -> dict:
    """``add_weight``'s arguments by name: positional ones in Keras 3's order (shape, initializer, dtype), or in
    numcnn's (name, shape, initializer, trainable, regularizer, constraint) when the first is a ``str``."""
    order = _NUMCNN_POSITIONAL if args and isinstance(args[0], str) else _KERAS_POSITIONAL
    if len(args) > len(order):
        raise TypeError(f"add_weight() takes at most {len(order)} positional arguments ({', '.join(order)})")
    spec = dict(given)
    for key, value in zip(order, args):
        if given[key] is not _DEFAULTS.get(key):
            raise TypeError(f"add_weight() got argument '{key}' both by position and by keyword")
        spec[key] = value
    return spec


def initial_value(layer_name: str, name: str, shape: tuple, dtype: np.dtype, initializer) -> np.ndarray:
    """A new weight of ``shape`` and ``dtype`` from ``initializer`` (``None``: Keras' ``glorot_uniform``)."""
    initializer = initializers.get("glorot_uniform" if initializer is None else initializer)
    # Initializers draw in float64: refuse sizes that cannot fit before NumPy tries (units=10**12).
    check_allocation(
        f"Cannot create weight '{name}' of layer '{layer_name}' (its size arguments are too large for its input)",
        shape,
        8 + dtype.itemsize,
    )
    return np.asarray(initializer(shape, dtype=dtype), dtype=dtype).reshape(shape)


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


class WeightLists:
    """The weight lists and ``get_weights``/``set_weights`` of a :class:`~numcnn.layers.base.Layer`, from its
    ``params`` (trainable) and ``state`` (non-trainable) dicts, ``name`` and ``trainable``."""

    def _variables(self, names_arrays, trainable: bool) -> list[Variable]:
        return [Variable.of(a, n, f"{self.name}/{n}", trainable) for n, a in names_arrays]

    @property
    def weights(self) -> list[Variable]:
        """Every weight, trainable first, as Variables: views of the layer's arrays (``assign`` writes into them)."""
        return self._variables(self.params.items(), self.trainable) + self._variables(self.state.items(), False)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights ``fit`` updates: none while the layer is frozen (``trainable = False``), as in Keras."""
        return self._variables(self.params.items(), True) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """The weights ``fit`` leaves alone (moving statistics; every weight of a frozen layer)."""
        if self.trainable:
            return self._variables(self.state.items(), False)
        return self._variables([*self.params.items(), *self.state.items()], False)

    # Keras 3's names for the same lists
    variables = property(lambda self: self.weights)
    trainable_variables = property(lambda self: self.trainable_weights)
    non_trainable_variables = property(lambda self: self.non_trainable_weights)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights in Keras order (e.g. ``[kernel, bias]``)."""
        return [np.array(w) for w in self.weights]

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
