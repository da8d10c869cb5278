"""``Op``: one array function of ``numcnn.ops`` as data: how it computes, its vector-Jacobian product, and the
shape and dtype of what it returns, so the same definition runs on arrays and records a graph node.

Calling an ``Op`` with positional tensors (arrays, array-likes, numbers, KerasTensors) and keyword constants
(``axis=…``, ``keepdims=…``):

- on values only, it converts them (:mod:`numcnn.ops._dtypes`), checks them against its shape rule (which
  raises the house-style errors), computes with NumPy or ``backend.nn`` and returns ``numcnn.tensors.Tensor``
  arrays, so ``ops.mean(x).numpy()`` works;
- when a positional input is a KerasTensor, it computes nothing: :func:`numcnn.ops._trace.record` adds a node
  to the graph being built, whose layer runs ``forward`` and ``backward`` when the model does.

The functions an ``Op`` holds:

- ``forward(*arrays, **constants)`` → array, or a tuple of arrays for several outputs;
- ``backward(dy, y, *arrays, **constants)`` → the gradient for each array input (an array, None where an
  input gets none, or a bare array for a one-input op), from the output gradient ``dy`` and output ``y``
  (tuples of them for several outputs). ``backward=None``: the op has no gradient (``argmax``, ``one_hot``);
- ``shape(*shapes, **constants)`` → the output shape (a list of shapes for several outputs), with ``None``
  for sizes unknown while a model is built (the batch axis);
- ``dtype(*dtypes, **constants)`` → the output dtype (a list for several outputs), from input dtypes that are
  NumPy dtypes or ``_dtypes.Weak`` (Python numbers). ``cast`` says which inputs are cast to the (first)
  output dtype before ``forward``: all (True), none (False), or a tuple of positions.
"""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn.ops import _dtypes
from numcnn.tensors import Tensor


def promote_dtype(*dtypes, **constants):
    """Keras' promotion of all inputs (see :func:`numcnn.ops._dtypes.promote`)."""
    return _dtypes.promote(*dtypes)


def float_dtype(*dtypes, **constants):
    """The promoted dtype, made a float: what ``sqrt``, ``mean`` or ``divide`` of integers give."""
    return _dtypes.as_float(_dtypes.promote(*dtypes))


def bool_dtype(*dtypes, **constants):
    return np.dtype(bool)


def fixed_dtype(name: str):
    """A dtype rule that always gives ``name`` (``argmax``'s int32)."""

    def rule(*dtypes, **constants):
        return np.dtype(name)

    return rule


def same_shape(*shapes, **constants):
    return tuple(shapes[0])


class Op:
    """One array function (see the module docstring for what each argument holds)."""

    def __init__(self, name, forward, backward=None, shape=same_shape, dtype=promote_dtype, cast=True):
        self.name = name
        self.forward = forward
        self.backward = backward
        self.shape = shape
        self.dtype = dtype
        self.cast = cast

    def __repr__(self) -> str:
        return f"<Op {self.name}>"

    def cast_positions(self, n: int) -> tuple[int, ...]:
        if self.cast is True:
            return tuple(range(n))
        return tuple(self.cast) if self.cast else ()

    def out_dtypes(self, dtypes, constants) -> list[np.dtype]:
        result = self.dtype(*dtypes, **constants)
        return [np.dtype(d) for d in result] if isinstance(result, (list, tuple)) else [np.dtype(result)]

    def prepare(self, arrays: list, out_dtype) -> list[np.ndarray]:
        """``arrays`` with the inputs in ``cast`` converted to ``out_dtype``."""
        arrays = list(arrays)
        for i in self.cast_positions(len(arrays)):
            if arrays[i].dtype != out_dtype:
                arrays[i] = arrays[i].astype(out_dtype)
        return arrays

    def compute(self, arrays: list, out_dtypes: list, constants: dict):
        """``forward`` on prepared arrays, each output as an array of its dtype (a tuple for several)."""
        y = self.forward(*arrays, **constants)
        if isinstance(y, (list, tuple)):
            dtypes = out_dtypes if len(out_dtypes) == len(y) else out_dtypes[:1] * len(y)  # split: one for all
            return tuple(np.asarray(v).astype(d, copy=False) for v, d in zip(y, dtypes))
        return np.asarray(y).astype(out_dtypes[0], copy=False)

    def __call__(self, *args, **constants):
        from numcnn.ops import _trace  # it imports this module

        args = _trace.weight_arguments(args)
        if any(graph.is_symbolic(a) for a in args):
            return _trace.record(self, args, constants)
        dtypes = [_dtypes.dtype_of(a) for a in args]
        arrays = [_dtypes.to_input(a) for a in args]
        self.shape(*[a.shape for a in arrays], **constants)  # the argument checks, before any work
        out_dtypes = self.out_dtypes(dtypes, constants)
        y = self.compute(self.prepare(arrays, out_dtypes[0]), out_dtypes, constants)
        if isinstance(y, tuple):
            return tuple(wrap(v) for v in y)
        return wrap(y)


def wrap(array: np.ndarray) -> Tensor:
    """An array (0-d for a scalar result) as a ``Tensor``, which answers ``.numpy()``."""
    return np.asarray(array).view(Tensor)


def unbroadcast(grad: np.ndarray, shape) -> np.ndarray:
    """``grad`` of a broadcast result summed back to an input of ``shape``: over the leading axes broadcasting
    added, and over the axes where the input had size 1."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=ones, keepdims=True) if ones else grad
