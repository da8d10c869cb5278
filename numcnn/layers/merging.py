"""Merge layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum`` and ``Concatenate``.

Each takes a list of tensors and returns one; ``backward(dy)`` returns the list of the inputs' gradients.

The elementwise ones follow Keras 3's shape rules: the per-sample shapes (batch axis left out) line up from the
right and a size of 1 broadcasts, so ``(N, 4, 1)`` merges with ``(N, 4, 5)`` into ``(N, 4, 5)``. An input of lower
rank gains axes of size 1 right after its batch axis first (Keras' ``expand_dims(x, axis=1)``), so ``(N, 5)``
merges with ``(N, 3, 5)``. The gradient of a broadcast input is summed back over the axes it was stretched along.
Keras 3 accepts a single input (Keras 2 wanted two); ``Subtract`` takes exactly two.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import integer, invalid
from numcnn.layers.base import Layer


def _broadcast_shapes(first, second):
    """The broadcast of two per-sample shapes, Keras' ``_compute_elemwise_op_output_shape``; None if they clash."""
    if len(first) < len(second):
        first, second = second, first
    lead = list(first[: len(first) - len(second)])
    tail = []
    for i, j in zip(first[len(first) - len(second) :], second):
        if i is None or j is None:
            tail.append(None)
        elif i == 1 or j == 1 or i == j:
            tail.append(j if i == 1 else i)
        else:
            return None
    return (*lead, *tail)


def _expanded(x: np.ndarray, rank: int) -> np.ndarray:
    """x (N, *s) with axes of size 1 inserted after the batch axis up to ``rank`` (a view)."""
    return x.reshape(x.shape[0], *(1,) * (rank - x.ndim), *x.shape[1:])


def _unbroadcast(dy: np.ndarray, shape) -> np.ndarray:
    """The gradient of an input of ``shape`` that was broadcast to ``dy.shape``: sums over the stretched axes."""
    if dy.shape == tuple(shape):
        return dy
    expanded = (shape[0], *(1,) * (dy.ndim - len(shape)), *shape[1:])
    axes = tuple(i for i, (d, s) in enumerate(zip(dy.shape, expanded)) if s == 1 and d != 1)
    return dy.sum(axis=axes, keepdims=True).reshape(shape)


class Merge(Layer):
    """Base of the elementwise merge layers: Keras' shape checks, broadcasting, and the inputs' shapes kept for
    ``backward``. Subclasses write ``_merge(xs) -> y`` (xs expanded to one rank) and ``_gradients(dy) -> [dx]``
    (each of the output's shape; ``backward`` sums them back to the inputs' shapes)."""

    takes_list = True
    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._shapes = None

    def _check_count(self, shapes) -> None:
        count = len(shapes)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            wanted = (
                f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs else f"at least {self.min_inputs}"
            )
            raise invalid("inputs", f"a list of {wanted} tensors for layer '{self.name}'", count)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        self._check_count(shapes)
        batches = {s[0] for s in shapes if s and s[0] is not None}
        if len(batches) > 1:
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected tensors with one batch size for layer "
                f"'{self.name}' (cannot merge tensors with different batch sizes). Received: input_shape={shapes}"
            )
        out = shapes[0][1:]
        for shape in shapes[1:]:
            merged = _broadcast_shapes(out, shape[1:])
            if merged is None:
                raise ValueError(
                    f"Invalid value for argument 'input_shape': expected shapes that broadcast together for "
                    f"layer '{self.name}' (Inputs have incompatible shapes). Received: input_shape={shapes}"
                )
            out = merged
        return (batches.pop() if batches else None, *out)

    def forward(self, x, training=False):
        shapes = [v.shape for v in x]
        self.compute_output_shape(shapes)  # arrays of another batch size or shape than the symbolic build
        self._shapes = shapes
        rank = max(len(s) for s in shapes)
        return self._merge([_expanded(v, rank) for v in x])

    def backward(self, dy):
        return [_unbroadcast(g, shape) for g, shape in zip(self._gradients(dy), self._shapes)]

    def _merge(self, xs):
        raise NotImplementedError

    def _gradients(self, dy):
        raise NotImplementedError


class Add(Merge):
    """Elementwise sum of the inputs: ``Add()([x1, x2, …])``. Each input's gradient is ``dy``."""

    def _merge(self, xs):
        out = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for v in xs[2:]:
            out += v  # out is a new array: broadcasting made it the output's shape
        return out

    def _gradients(self, dy):
        return [dy] * len(self._shapes)


class Subtract(Merge):
    """``inputs[0] − inputs[1]``, of exactly two inputs; the gradients are ``dy`` and ``−dy``."""

    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]

    def _gradients(self, dy):
        return [dy, -dy]


class Multiply(Merge):
    """Elementwise product of the inputs; input i's gradient is ``dy`` times the product of the others (no
    division, so zeros in the inputs are fine)."""

    def _merge(self, xs):
        self._xs = xs  # views of the inputs, never written
        out = xs[0] * xs[1] if len(xs) > 1 else xs[0].copy()
        for v in xs[2:]:
            out *= v
        return out

    def _gradients(self, dy):
        grads = []
        for i in range(len(self._xs)):
            g = dy
            for j, v in enumerate(self._xs):
                if j != i:
                    g = g * v
            grads.append(g)
        return grads


class Average(Merge):
    """Elementwise mean of the inputs; each gets ``dy / n``."""

    def _merge(self, xs):
        total = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for v in xs[2:]:
            total += v
        return total / total.dtype.type(len(xs))

    def _gradients(self, dy):
        return [dy / dy.dtype.type(len(self._shapes))] * len(self._shapes)


class _Extremum(Merge):
    """Elementwise maximum or minimum. The gradient goes to the first input holding the extreme value (on ties,
    the earliest input in the list takes all of it, as TensorFlow's pairwise ``maximum`` gradient does); a NaN
    wins like the extreme value."""

    _pick = None  # np.argmax or np.argmin

    def _merge(self, xs):
        stacked = np.stack(np.broadcast_arrays(*xs))
        self._winner = type(self)._pick(stacked, axis=0)  # the first index on ties; a NaN wins
        return np.take_along_axis(stacked, self._winner[None], axis=0)[0]

    def _gradients(self, dy):
        zero = dy.dtype.type(0)
        return [np.where(self._winner == i, dy, zero) for i in range(len(self._shapes))]


class Maximum(_Extremum):
    """Elementwise maximum of the inputs (see ``_Extremum`` for ties)."""

    _pick = staticmethod(np.argmax)


class Minimum(_Extremum):
    """Elementwise minimum of the inputs (see ``_Extremum`` for ties)."""

    _pick = staticmethod(np.argmin)


class Concatenate(Layer):
    """``Concatenate(axis=-1)([x1, x2, …])``: joins tensors of one rank whose sizes agree on every axis but
    ``axis`` (counted with the batch axis, which cannot be the one joined). ``backward`` splits ``dy``."""

    takes_list = True

    def __init__(self, axis=-1, **kwargs):
        self.axis = integer("axis", axis)
        super().__init__(**kwargs)
        self._sizes = None

    def _resolved_axis(self, rank: int) -> int:
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"Invalid value for argument 'axis': expected a non-batch axis of inputs of rank {rank} for layer "
                f"'{self.name}'. Received: axis={self.axis}"
            )
        return self.axis % rank

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        if not shapes:
            raise invalid("inputs", f"a list of at least 1 tensor for layer '{self.name}'", 0)
        ranks = {len(s) for s in shapes}
        axis = self._resolved_axis(len(shapes[0]))
        others = {tuple(d for i, d in enumerate(s) if i not in (0, axis)) for s in shapes}
        batches = {s[0] for s in shapes} - {None}
        if len(ranks) > 1 or len(others) > 1 or len(batches) > 1:
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected shapes that match except on the "
                f"concatenation axis {self.axis} for layer '{self.name}'. Received: input_shape={shapes}"
            )
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return tuple(out)

    def forward(self, x, training=False):
        self.compute_output_shape([v.shape for v in x])
        axis = self.axis % x[0].ndim
        self._axis, self._sizes = axis, [v.shape[axis] for v in x]
        return np.concatenate(x, axis=axis)

    def backward(self, dy):
        cuts = np.cumsum(self._sizes)[:-1]
        return [np.ascontiguousarray(part) for part in np.split(dy, cuts, axis=self._axis)]

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Keras' functional form: ``add([x1, x2])`` is ``Add(**kwargs)([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
