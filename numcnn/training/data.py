"""What ``fit``, ``evaluate`` and ``predict`` accept as data, turned into batches of checked arrays.

Three kinds of data, as in Keras:

- arrays: ``x`` one array, a list of arrays (one per model input) or a dict by input name; ``y`` likewise per
  output; ``sample_weight`` an array ``(N,)`` (or a list/dict per output). They are checked and cast once, where
  they enter, and then sliced into batches (:class:`ArrayData`);
- a ``numcnn.utils.PyDataset`` (Keras' ``Sequence`` interface: ``__len__``, ``__getitem__``, ``on_epoch_end``);
- any other iterable or generator of ``(x, y)`` or ``(x, y, sample_weight)`` tuples (or ``x`` alone for
  ``predict``). Each batch of these is checked as it arrives (:class:`StreamData`).

Every batch comes out as ``(xs, ys, weights)``: lists of arrays in the model's input and output order
(``ys`` None for predict, ``weights`` a list of ``(N,)`` arrays or None per output).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from numcnn import random as nrandom
from numcnn._checks import invalid
from numcnn._data import as_numeric_array, check_inputs
from numcnn.utils.py_dataset import batch_order, standardize_batch


def _batch_order(data, shuffle: bool):
    """A PyDataset's batch indices for one epoch (any object with ``__len__``/``__getitem__`` too)."""
    if hasattr(data, "num_batches"):
        return batch_order(data, shuffle, nrandom.generator())
    return nrandom.generator().permutation(len(data)).tolist() if shuffle else range(len(data))


def _by_name(value, names: list[str], what: str, argument: str) -> list:
    """A list in model order from ``value``: one item, a list/tuple of ``len(names)``, or a dict by name."""
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        unknown = sorted(set(value) - set(names))
        if missing or unknown:
            raise ValueError(
                f"Invalid value for argument '{argument}': expected a dict with the keys {names} (the model's "
                f"{what} names). Received: keys {sorted(value)}"
            )
        return [value[n] for n in names]
    if len(names) > 1:
        if not isinstance(value, (list, tuple)) or len(value) != len(names):
            received = f"a {type(value).__name__}" + (
                f" of {len(value)} items" if isinstance(value, (list, tuple)) else ""
            )
            raise invalid(
                argument, f"a list of {len(names)} arrays (one per {what}: {names}) or a dict", received, TypeError
            )
        return list(value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and hasattr(value[0], "shape"):
        return [value[0]]  # [x] for a model with one input, as Keras allows
    return [value]


class Structure:
    """How a model names its inputs and outputs, and the dtypes and per-sample shapes they take."""

    def __init__(self, model):
        self.model = model
        inputs = model.inputs
        self.input_names = [t.name or t.node.layer.name for t in inputs]
        self.input_shapes = [t.shape for t in inputs]
        self.input_dtypes = [model.input_dtype(i) for i in range(len(inputs))]
        self.output_names = model.output_names
        self.output_shapes = [t.shape for t in model.outputs]

    def inputs(self, x, argument="x") -> list[np.ndarray]:
        """``x`` as checked arrays of the inputs' dtypes and shapes (NaN, inf and overflow refused)."""
        names = [argument] if len(self.input_names) == 1 else [f"{argument}[{n!r}]" for n in self.input_names]
        arrays = []
        for value, label, shape, dtype in zip(
            _by_name(x, self.input_names, "input", argument), names, self.input_shapes, self.input_dtypes
        ):
            arr = as_numeric_array(label, value, check_finite=False)
            check_inputs(arr, shape, label)
            arrays.append(as_numeric_array(label, arr, dtype=dtype))
        n = arrays[0].shape[0]
        for arr, label in zip(arrays[1:], names[1:]):
            if arr.shape[0] != n:
                raise invalid(label, f"as many samples as {names[0]} ({n})", f"{arr.shape[0]} samples")
        return arrays

    def targets(self, y, losses, n: int, argument="y") -> list:
        """``y`` per output, checked against each output's loss (None where an output has no loss)."""
        if y is None:
            raise invalid(argument, "target arrays for the model's loss", None, TypeError)
        names = [argument] if len(self.output_names) == 1 else [f"{argument}[{n!r}]" for n in self.output_names]
        values = _by_name(y, self.output_names, "output", argument)
        out = []
        for value, label, shape, loss in zip(values, names, self.output_shapes, losses):
            if loss is None:
                out.append(None)
                continue
            arr = as_numeric_array(label, value, dtype=None if getattr(loss, "sparse", False) else self.input_dtypes[0])
            if arr.shape[0] != n:
                raise ValueError(
                    f"Invalid value for argument '{label}': expected as many samples as x ({n}). "
                    f"Received: {label} with {arr.shape[0]} samples"
                )
            loss.check_targets(arr, (n, *shape[1:]), label)
            out.append(arr)
        return out

    def weights(self, sample_weight, n: int, argument="sample_weight") -> list | None:
        """``sample_weight`` as one ``(N,)`` float64 array per output, or None."""
        if sample_weight is None:
            return None
        values = (
            _by_name(sample_weight, self.output_names, "output", argument)
            if isinstance(sample_weight, (dict, list, tuple)) and len(self.output_names) > 1
            else [sample_weight] * len(self.output_names)
        )
        out = []
        for value in values:
            w = as_numeric_array(argument, value, dtype=np.float64)
            if w.ndim == 2 and w.shape[1] == 1:
                w = w[:, 0]
            if w.shape != (n,):
                raise invalid(argument, f"an array of shape ({n},), one weight per sample", f"shape {w.shape}")
            if (w < 0).any():
                raise invalid(argument, "non-negative weights", "a negative weight")
            out.append(w)
        return out


def class_weights(class_weight, y: np.ndarray, sparse: bool) -> np.ndarray:
    """Keras' ``class_weight`` ({class index: weight}) as per-sample weights ``(N,)`` for targets ``y``."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise invalid("class_weight", "a dict {class index: weight}", class_weight, TypeError)
    labels = y.reshape(-1).astype(np.int64) if sparse or y.ndim == 1 or y.shape[-1] == 1 else y.argmax(axis=-1)
    if y.ndim > 1 and y.shape[-1] == 1 and not sparse:  # binary targets: the class is the rounded target
        labels = np.round(y.reshape(-1)).astype(np.int64)
    table = np.ones(int(max(labels.max(initial=0) + 1, max(int(k) for k in class_weight) + 1)))
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise invalid("class_weight", "non-negative integer class indices as keys", key, TypeError)
        if not isinstance(weight, (int, float, np.number)) or isinstance(weight, bool) or not np.isfinite(weight):
            raise invalid("class_weight", "finite numbers as weights", weight, TypeError)
        table[int(key)] = float(weight)
    return table[labels]


class ArrayData:
    """In-memory arrays, checked once, yielding batches in order or in a fresh permutation every epoch."""

    def __init__(self, xs, ys, weights, batch_size: int, shuffle=False):
        self.xs, self.ys, self.weights = xs, ys, weights
        self.n = xs[0].shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle

    def steps(self) -> int:
        return -(-self.n // self.batch_size)

    def split(self, fraction: float):
        """Keras' ``validation_split``: the first ``floor(n·(1 − v))`` samples train, the rest validate (taken
        before any shuffling). Returns ``(train, validation)``."""
        n_train = int(self.n * (1.0 - fraction))
        if n_train < 1 or n_train == self.n:
            raise ValueError(
                f"Invalid value for argument 'validation_split': expected a fraction that leaves at least one "
                f"training and one validation sample of {self.n}. Received: validation_split={fraction}"
            )

        def part(arrays, rows):
            return None if arrays is None else [None if a is None else a[rows] for a in arrays]

        head, tail = slice(0, n_train), slice(n_train, None)
        train = ArrayData(
            part(self.xs, head), part(self.ys, head), part(self.weights, head), self.batch_size, self.shuffle
        )
        val = ArrayData(part(self.xs, tail), part(self.ys, tail), part(self.weights, tail), self.batch_size)
        return train, val

    def epoch(self, steps=None):
        """One epoch's batches ``(xs, ys, weights)``: a new permutation of the samples each epoch when shuffling."""
        order = nrandom.generator().permutation(self.n) if self.shuffle else None
        limit = self.steps() if steps is None else min(steps, self.steps())
        for step in range(limit):
            start = step * self.batch_size
            index = slice(start, min(start + self.batch_size, self.n))
            if order is not None:
                index = order[index]
            yield (
                [x[index] for x in self.xs],
                None if self.ys is None else [None if y is None else y[index] for y in self.ys],
                None if self.weights is None else [w[index] for w in self.weights],
            )

    def on_epoch_end(self) -> None:
        pass


_ARRAY_LIKE = (np.ndarray, list, tuple, dict, str, bytes)


def _is_py_dataset(data) -> bool:
    return hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, _ARRAY_LIKE)


def is_stream(data) -> bool:
    """Whether ``data`` is a PyDataset, generator or other iterator of batches rather than arrays."""
    if _is_py_dataset(data):
        return True
    if hasattr(data, "__array__") or hasattr(data, "__array_interface__"):
        return False  # a tensor of another framework: an array
    return hasattr(data, "__next__") or (hasattr(data, "__iter__") and not isinstance(data, _ARRAY_LIKE))


class StreamData:
    """Batches from a PyDataset (its batches in order, shuffled per epoch when asked, ``on_epoch_end`` after
    each epoch) or from a generator/iterator (read on across epochs: ``steps_per_epoch`` batches each)."""

    def __init__(self, data, structure: Structure, losses, shuffle=False, for_predict=False, argument="x"):
        self.data = data
        self.structure, self.losses = structure, losses
        self.shuffle = shuffle
        self.for_predict = for_predict
        self.argument = argument
        self._iterator = None if _is_py_dataset(data) else iter(data)
        self.exhausted = False

    def steps(self):
        if self._iterator is not None:
            return None
        try:
            return self.data.num_batches if hasattr(self.data, "num_batches") else len(self.data)
        except NotImplementedError:
            return None

    def _batch(self, item):
        item = standardize_batch(item) if self._iterator is None else item
        if not isinstance(item, tuple):
            item = (item,)
        if len(item) not in (1, 2, 3) or (len(item) == 1 and not self.for_predict and any(self.losses)):
            raise invalid(
                self.argument, "batches (x, y) or (x, y, sample_weight)", f"a tuple of {len(item)} items", TypeError
            )
        xs = self.structure.inputs(item[0], f"{self.argument} batch")
        n = xs[0].shape[0]
        if self.for_predict:
            return xs, None, None
        ys = self.structure.targets(item[1] if len(item) > 1 else None, self.losses, n, "y batch")
        weights = self.structure.weights(item[2] if len(item) > 2 else None, n, "sample_weight batch")
        return xs, ys, weights

    def epoch(self, steps=None):
        if self._iterator is None:
            if hasattr(self.data, "on_epoch_begin"):
                self.data.on_epoch_begin()
            for done, index in enumerate(_batch_order(self.data, self.shuffle)):
                if steps is not None and done >= steps:
                    return
                yield self._batch(self.data[int(index)])
            return
        done = 0
        while steps is None or done < steps:
            try:
                item = next(self._iterator)
            except StopIteration:
                self.exhausted = True
                if steps is not None:
                    warnings.warn(
                        f"Your input ran out of data after {done} of {steps} steps: interrupting training. Make sure "
                        "it can give steps_per_epoch * epochs batches (a generator that repeats, or a PyDataset).",
                        UserWarning,
                        stacklevel=4,
                    )
                return
            yield self._batch(item)
            done += 1

    def on_epoch_end(self) -> None:
        if self._iterator is None and hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


class Peek:
    """A stream whose first batch is read ahead (to build a model from it) without being lost."""

    def __init__(self, data):
        if _is_py_dataset(data):
            if len(data) < 1:
                raise invalid("x", "a PyDataset with at least one batch", "an empty one")
            self.data, self._first = data, data[0]
            return
        iterator = iter(data)
        try:
            self._first = next(iterator)
        except StopIteration:
            raise invalid("x", "a generator that yields at least one batch", "an empty one") from None
        self.data = itertools.chain([self._first], iterator)

    def first(self):
        return self._first
