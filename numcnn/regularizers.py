"""Weight penalties added to the loss, as Keras 3's ``keras.regularizers``.

A regularizer maps a weight array ``w`` (any shape, float32 or float64) to

- ``__call__(w) -> float``: the penalty, added to the training loss as it is (not divided by the batch);
- ``gradient(w) -> array``: its gradient, of ``w``'s shape and dtype, added to the weight's gradient.

``L1(l1=0.01)``: ``l1·Σ|w|`` (gradient ``l1·sign(w)``, 0 at 0 as TensorFlow's); ``L2(l2=0.01)``: ``l2·Σw²``
(gradient ``2·l2·w``; Keras 3 has no ½); ``L1L2(l1=0.0, l2=0.0)``: both; ``OrthogonalRegularizer(factor=0.01,
mode='rows')``: ``factor·½·Σ_{i≠j}|r̂ᵢ·r̂ⱼ| / (n(n−1)/2)`` over the unit-normalised rows (or columns) of a
rank-2 weight. Names resolve as Keras 3's do: ``'l1'``, ``'l2'``, ``'l1l2'``, ``'orthogonal_regularizer'`` and the
class names; the lowercase ``l1``, ``l2``, ``l1_l2`` are the classes themselves. Keras 3 does not resolve the
string ``'l1_l2'`` (Keras 2 did); numcnn does, quietly.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import finite_number, one_of
from numcnn._config import Configurable
from numcnn._registry import Registry, serialize


def _coefficient(name, value, default):
    # Keras: None means the default; anything else must be a finite number ≥ 0.
    return default if value is None else finite_number(name, value, low=0)


def _weights(w) -> np.ndarray:
    w = np.asarray(w)
    return w if w.dtype.kind == "f" else w.astype(backend.floatx())


class Regularizer(Configurable):
    """Base class: no penalty. A subclass writes ``__call__``, ``gradient`` and ``get_config``."""

    def __call__(self, w) -> float:
        return 0.0

    def gradient(self, w) -> np.ndarray:
        return np.zeros_like(_weights(w))

    def get_config(self) -> dict:
        return {}


class L1L2(Regularizer):
    """``l1·Σ|w| + l2·Σw²``: ``L1L2(l1=0.0, l2=0.0)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _coefficient("l1", l1, 0.0)
        self.l2 = _coefficient("l2", l2, 0.0)

    def __call__(self, w):
        w = _weights(w)
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(w), dtype=np.float64))
        if self.l2:
            penalty += self.l2 * float(np.sum(np.square(w, dtype=np.float64)))
        return penalty

    def gradient(self, w):
        w = _weights(w)
        return (self.l1 * np.sign(w) + (2.0 * self.l2) * w).astype(w.dtype, copy=False)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1·Σ|w|``: ``L1(l1=0.01)``."""

    def __init__(self, l1=0.01):
        super().__init__(l1=_coefficient("l1", l1, 0.01))

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2·Σw²``: ``L2(l2=0.01)``."""

    def __init__(self, l2=0.01):
        super().__init__(l2=_coefficient("l2", l2, 0.01))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode='rows'``) or columns of a rank-2 weight towards orthogonality:
    ``OrthogonalRegularizer(factor=0.01, mode='rows')``. Each vector is normalised by ``max(‖v‖, ε)``."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = finite_number("factor", factor, low=0)
        self.mode = one_of("mode", mode, ("rows", "columns"))

    def _vectors(self, w):
        w = _weights(w)
        if w.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={w.shape}")
        return w if self.mode == "rows" else w.T

    def _parts(self, v):
        norms = np.sqrt(np.sum(np.square(v, dtype=np.float64), axis=1, keepdims=True))
        scale = 1.0 / np.maximum(norms, backend.epsilon())  # Keras: min(1/‖v‖, 1/ε)
        unit = v * scale
        n = v.shape[0]
        pairs = n * (n - 1) / 2.0
        return unit, scale, norms, pairs

    def __call__(self, w):
        v = self._vectors(w)
        if v.shape[0] < 2:
            return 0.0
        unit, _, _, pairs = self._parts(v)
        product = unit @ unit.T
        np.fill_diagonal(product, 0.0)
        return float(self.factor * 0.5 * np.sum(np.abs(product)) / pairs)

    def gradient(self, w):
        v = self._vectors(w)
        if v.shape[0] < 2:
            return np.zeros_like(_weights(w))
        unit, scale, norms, pairs = self._parts(v)
        signs = np.sign(unit @ unit.T)
        np.fill_diagonal(signs, 0.0)
        d_unit = (self.factor / pairs) * (signs @ unit)  # ½ cancels the pair being counted twice
        # unit = v·s with s = 1/‖v‖ (or the 1/ε cap, a constant): d/dv = s·(d_unit − (d_unit·û)û) off the cap
        radial = np.where(norms <= backend.epsilon(), 0.0, np.sum(d_unit * unit, axis=1, keepdims=True) * unit)
        grad = scale * (d_unit - radial)
        grad = grad if self.mode == "rows" else grad.T
        return grad.astype(_weights(w).dtype, copy=False)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_REGISTRY = Registry("regularizer", Regularizer)
for _cls, _name in ((L1, "l1"), (L2, "l2"), (L1L2, "l1l2"), (OrthogonalRegularizer, "orthogonal_regularizer")):
    _REGISTRY.register(_cls, _name)
_REGISTRY.register(L1L2, "l1_l2", shown=False)


def get(identifier) -> Regularizer | None:
    """``None`` stays ``None``; a name, class, instance or ``{'class_name', 'config'}`` dict gives a Regularizer."""
    return None if identifier is None else _REGISTRY.get(identifier)


deserialize = _REGISTRY.get  # a ``serialize`` dict or, as Keras' ``deserialize`` takes, a name


__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
    "get",
    "serialize",
    "deserialize",
]
