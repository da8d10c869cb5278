"""Weight constraints, applied to a weight after each optimizer step, as Keras 3's ``keras.constraints``.

``__call__(w) -> w'``: a new array of ``w``'s shape and dtype (``w`` is never modified). Norms are the L2
norms along ``axis`` (an int or a tuple of ints; for a Conv2D kernel ``(kh, kw, c_in, c_out)`` Keras suggests
``axis=[0, 1, 2]``, one norm per filter), and every rescaling divides by ``ε + norm`` as Keras does:

- ``MaxNorm(max_value=2, axis=0)``: ``w · clip(n, 0, max_value) / (ε + n)``;
- ``NonNeg()``: ``max(w, 0)``;
- ``UnitNorm(axis=0)``: ``w / (ε + n)``;
- ``MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)``:
  ``w · (rate·clip(n, min_value, max_value) + (1 − rate)·n) / (ε + n)``.

Names: the class names and ``'max_norm'``, ``'non_neg'``, ``'unit_norm'``, ``'min_max_norm'``, also the
lowercase aliases of the classes.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import finite_number, invalid, is_int
from numcnn._config import Configurable
from numcnn._registry import Registry, serialize


def _axis(axis):
    """An int, or a tuple/list of ints, kept as given for the config."""
    if is_int(axis):
        return int(axis)
    if isinstance(axis, (tuple, list)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise invalid("axis", "an integer or a list of integers", axis, TypeError)


def _norms(w, axis):
    axes = tuple(axis) if isinstance(axis, list) else axis
    try:
        return np.sqrt(np.sum(np.square(w), axis=axes, keepdims=True))
    except ValueError:  # NumPy's AxisError
        raise ValueError(
            f"Invalid value for argument 'axis': expected axes of a weight of shape {w.shape}. Received: axis={axis}"
        ) from None


def _weights(w):
    w = np.asarray(w)
    return w if w.dtype.kind == "f" else w.astype(backend.floatx())


class Constraint(Configurable):
    """Base class: the identity. A subclass writes ``__call__`` and ``get_config``."""

    def __call__(self, w) -> np.ndarray:
        return np.array(w, copy=True)

    def get_config(self) -> dict:
        return {}


class MaxNorm(Constraint):
    """Rescales each slice whose norm exceeds ``max_value``: ``MaxNorm(max_value=2, axis=0)``."""

    def __init__(self, max_value=2, axis=0):
        finite_number("max_value", max_value, low=0)
        self.max_value, self.axis = max_value, _axis(axis)

    def __call__(self, w):
        w = _weights(w)
        n = _norms(w, self.axis)
        return (w * (np.clip(n, 0, self.max_value) / (backend.epsilon() + n))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0: ``NonNeg()``."""

    def __call__(self, w):
        return np.maximum(_weights(w), 0)


class UnitNorm(Constraint):
    """Rescales each slice to norm 1: ``UnitNorm(axis=0)``."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _weights(w)
        return (w / (backend.epsilon() + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm into ``[min_value, max_value]`` at ``rate`` (1 = all the way):
    ``MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        finite_number("min_value", min_value, low=0)
        finite_number("max_value", max_value, low=0)
        if max_value < min_value:
            raise invalid("max_value", f"a number ≥ min_value={min_value!r}", max_value)
        finite_number("rate", rate)
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, _axis(axis)

    def __call__(self, w):
        w = _weights(w)
        n = _norms(w, self.axis)
        desired = self.rate * np.clip(n, self.min_value, self.max_value) + (1 - self.rate) * n
        return (w * (desired / (backend.epsilon() + n))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_REGISTRY = Registry("constraint", Constraint)
for _cls, _name in ((MaxNorm, "max_norm"), (NonNeg, "non_neg"), (UnitNorm, "unit_norm"), (MinMaxNorm, "min_max_norm")):
    _REGISTRY.register(_cls, _name)


def get(identifier) -> Constraint | None:
    """``None`` stays ``None``; a name, class, instance or ``{'class_name', 'config'}`` dict gives a Constraint."""
    return None if identifier is None else _REGISTRY.get(identifier)


deserialize = _REGISTRY.get  # a ``serialize`` dict or, as Keras' ``deserialize`` takes, a name


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
    "get",
    "serialize",
    "deserialize",
]
