"""The metric base class, stateful over an epoch as Keras 3 computes metrics, and Keras 3's metric names.

A metric accumulates over the batches of an epoch and reports one number:

- ``update_state(y_true, y_pred, sample_weight=None)``: add one batch (``sample_weight`` of shape ``(N,)``);
- ``result() -> float``: the value over everything added since the last reset;
- ``reset_state()``: start again (the trainer calls it at each epoch's start);
- ``name``: the key the value is logged under; ``get_config``/``from_config``.

Every check runs before the state changes, so a bad batch leaves the accumulators as they were. Values are
computed in the metric's ``dtype`` (``floatx()`` unless given, as Keras) and accumulated in float64.

Names follow Keras 3: a class with a fixed default name (``CategoricalAccuracy`` → ``'categorical_accuracy'``)
always takes it; one without (``AUC``, ``Precision``, ``Recall``) takes the class name in snake case, made
unique per session: ``'auc'``, ``'auc_1'``, … (``reset_names()`` starts over, as ``clear_session`` does).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from numcnn import backend
from numcnn._checks import float_dtype, optional_string, shape_tuple
from numcnn._naming import snake_case
from numcnn.tensors import Tensor
from numcnn.variables import Variable

_name_uids: dict[str, int] = {}


def auto_name(class_name: str) -> str:
    """Keras 3's ``auto_name``: ``'auc'`` the first time, then ``'auc_1'``, ``'auc_2'``, …"""
    base = snake_case(class_name)
    count = _name_uids.get(base, 0)
    _name_uids[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    """Forget the names handed out (``backend.clear_session()`` should call this)."""
    _name_uids.clear()


def _tensor_result(result):
    """``result`` returning its number as a 0-d array of the metric's dtype with ``.numpy()``, as Keras' tensor
    (``metric.result().numpy()``, ``float(...)`` and f-strings all work); every subclass's ``result`` is wrapped."""

    @functools.wraps(result)
    def tensor_result(self):
        value = result(self)
        if isinstance(value, Tensor):
            return value
        if isinstance(value, (numbers.Number, np.ndarray, np.generic)):
            return np.asarray(value, dtype=self.dtype).view(Tensor)
        return value

    return tensor_result


class Metric:
    """Base class of every metric; a subclass writes ``update_state``, ``result`` and ``reset_state``.

    A subclass written as Keras' guides write them keeps its state in ``add_weight`` variables; then the
    default ``reset_state`` sets every one of them back to zeros, as Keras' does.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "result" in cls.__dict__:
            cls.result = _tensor_result(cls.__dict__["result"])

    def __init__(self, name=None, dtype=None):
        optional_string("name", name)
        self.dtype = float_dtype(dtype, backend.floatx()).name
        self.name = name or auto_name(type(self).__name__)
        self._variables: list[Variable] = []

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None) -> Variable:
        """A new state variable of ``shape`` (``()``: a scalar), made by ``initializer``, in the metric's dtype
        unless given (Keras 3's ``Metric.add_weight``)."""
        from numcnn import initializers

        optional_string("name", name)
        shape = () if shape in ((), []) else shape_tuple("shape", shape)
        dtype = np.dtype(self.dtype if dtype is None else dtype)
        value = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype).reshape(shape)
        variable = Variable.of(value.copy(), name or f"variable_{len(self.variables)}", "", trainable=False)
        variable.path = f"{self.name}/{variable.name}"
        self.variables.append(variable)
        return variable

    @property
    def variables(self) -> list[Variable]:
        """The state variables made by ``add_weight``, in creation order."""
        if "_variables" not in self.__dict__:  # a subclass that set attributes before calling __init__
            self._variables = []
        return self._variables

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        if not self.variables:
            raise NotImplementedError(f"{type(self).__name__} must implement reset_state()")
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args, **kwargs):
        """``update_state`` then ``result``, as Keras' ``Metric.__call__``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
