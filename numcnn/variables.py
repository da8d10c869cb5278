"""Weights as Keras 3 hands them out: ``layer.weights``, ``layer.kernel``, ``model.trainable_variables`` and a
metric's ``add_weight`` state are Variables with ``name``, ``path``, ``trainable``, ``numpy()`` and ``assign``.

In numcnn a Variable is a view of the layer's own array (an ``ndarray`` subclass), so it is an array
everywhere NumPy takes one, ``assign`` writes into the weight the model trains, and arithmetic on it gives
plain arrays. ``numpy()`` and ``get_weights()`` give copies, as in Keras.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid
from numcnn.tensors import Tensor


class Variable(Tensor):
    """A view of one weight array: ``name`` (``'kernel'``), ``path`` (``'dense/kernel'``), ``trainable``."""

    name: str | None = None
    path: str | None = None
    trainable: bool = False

    @classmethod
    def of(cls, array: np.ndarray, name: str, path: str, trainable: bool) -> Variable:
        view = array.view(cls)
        view.name, view.path, view.trainable = name, path, trainable
        return view

    def __array_finalize__(self, obj) -> None:
        if obj is not None:
            self.name = getattr(obj, "name", None)
            self.path = getattr(obj, "path", None)
            self.trainable = getattr(obj, "trainable", False)

    def numpy(self) -> np.ndarray:
        """A copy of the value, as a plain array."""
        return np.array(self, copy=True)

    @property
    def value(self) -> np.ndarray:
        return self.numpy()

    def _checked(self, value) -> np.ndarray:
        arr = np.asarray(value)
        try:
            return np.broadcast_to(arr, self.shape)
        except ValueError:
            expected = f"an array of shape {self.shape} for variable '{self.path or self.name}'"
            raise invalid("value", expected, arr.shape) from None

    def assign(self, value) -> Variable:
        """Write ``value`` (broadcast to the variable's shape and cast to its dtype) into the weight."""
        self.view(np.ndarray)[...] = self._checked(value)
        return self

    def assign_add(self, value) -> Variable:
        plain = self.view(np.ndarray)
        plain[...] = plain + self._checked(value)
        return self

    def assign_sub(self, value) -> Variable:
        plain = self.view(np.ndarray)
        plain[...] = plain - self._checked(value)
        return self

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self.numpy()!r}>"

    def __reduce__(self):  # a pickled Variable is its value (numcnn never unpickles, but users may pickle)
        return (np.array, (self.numpy(),))
