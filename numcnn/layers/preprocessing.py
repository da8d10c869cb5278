"""Preprocessing layers that sit at a model's input: ``Rescaling`` and ``Normalization`` (with ``adapt``).

Both are affine maps of their input with constant coefficients, so their backward passes are one product.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from numcnn import backend
from numcnn._checks import flag, invalid, invalid_described, is_int, positive_int
from numcnn.layers.base import Layer


def _coefficient(name: str, value):
    """A finite number (kept as a float) or an array-like of finite numbers (kept as a float64 array)."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        if not np.isfinite(value):
            raise invalid(name, "a finite number or an array of them", value)
        return float(value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise invalid(name, "a number or an array of numbers", value, TypeError) from None
    if arr.dtype.kind not in "iuf":
        raise invalid(name, "a number or an array of numbers", value, TypeError)
    if not np.isfinite(arr).all():
        raise invalid(name, "finite numbers", value)
    return float(arr) if arr.ndim == 0 else arr.astype(np.float64)


def _as_config(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


class Rescaling(Layer):
    """``Rescaling(scale, offset=0.0)``: ``y = x · scale + offset``, e.g. ``Rescaling(1/255)`` for pixels.

    ``scale`` and ``offset`` are numbers or arrays that broadcast over the per-sample shape (one value per
    channel, say). As in Keras, an array ``scale`` gains trailing axes of size 1 up to rank 3 when the global
    image data format is ``channels_first``, so that it lines up with the channel axis.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        self.scale = _coefficient("scale", scale)
        self.offset = _coefficient("offset", offset)
        super().__init__(**kwargs)

    def _scale(self):
        scale = self.scale
        if isinstance(scale, np.ndarray) and backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return scale

    def compute_output_shape(self, input_shape):
        sample = tuple(input_shape[1:])
        for name, value in (("scale", self._scale()), ("offset", self.offset)):
            shape = np.shape(value)
            try:
                fits = len(shape) <= len(sample) and np.broadcast_shapes(sample, shape) == sample
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(
                    f"Invalid value for argument '{name}': expected a shape that broadcasts to the per-sample "
                    f"input shape {sample} of layer '{self.name}'. Received: {name}.shape={shape}"
                )
        return tuple(input_shape)

    def forward(self, x, training=False):
        dtype = x.dtype
        return (x * np.asarray(self._scale(), dtype) + np.asarray(self.offset, dtype)).astype(dtype, copy=False)

    def backward(self, dy):
        return (dy * np.asarray(self._scale(), dy.dtype)).astype(dy.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": _as_config(self.scale), "offset": _as_config(self.offset)}


def _axis_tuple(axis) -> tuple:
    if axis is None:
        return ()
    if is_int(axis):
        return (int(axis),)
    if isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
        return tuple(int(a) for a in axis)
    raise invalid("axis", "an integer, a tuple of integers or None", axis, TypeError)


def _batch_of(item):
    """The inputs of a batch that may come as ``(x, y)`` or ``(x, y, sample_weight)``."""
    return item[0] if isinstance(item, tuple) else item


class Normalization(Layer):
    """``Normalization(axis=-1, mean=None, variance=None, invert=False)``: ``y = (x − mean) / max(√variance, ε)``
    (``ε = 1e-7``), or with ``invert=True`` the inverse ``y = mean + x · max(√variance, ε)``.

    ``axis`` names the axes (batch axis counted, so not 0) that keep their own statistics: ``-1`` gives one
    mean and variance per feature or channel, ``None`` one for everything. The statistics are given as
    ``mean``/``variance`` (numbers or arrays; then the layer has no weights) or learnt by ``adapt(data)``. Then
    the weights are Keras' ``mean`` and ``variance`` (shape: the kept axes' sizes) and ``count`` (an int64
    scalar that Keras 3's ``adapt`` leaves at 0), all non-trainable.
    """

    _EPSILON = 1e-7  # Keras' backend.epsilon() under the square root's floor

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        self.axis = _axis_tuple(axis)
        self.invert = flag("invert", invert)
        if (mean is None) != (variance is None):
            raise invalid("variance", "given exactly when mean is given", variance if mean is None else None)
        self.input_mean = None if mean is None else _coefficient("mean", mean)
        self.input_variance = None if variance is None else _coefficient("variance", variance)
        if mean is not None:
            if np.shape(self.input_mean) != np.shape(self.input_variance):
                raise invalid("variance", f"the shape of mean {np.shape(self.input_mean)}", np.shape(variance))
            if len(np.shape(self.input_mean)) > len(self.axis):
                raise invalid("mean", f"an array of rank at most {len(self.axis)} (the number of axes)", mean)
            if np.min(self.input_variance) < 0:
                raise invalid("variance", "non-negative values", variance)
        super().__init__(**kwargs)
        self._denominator = None

    # -- shapes -----------------------------------------------------------------------------------
    def _layout(self, input_shape):
        """``(kept axes, reduced axes, broadcast shape, statistics' shape)`` for inputs of ``input_shape``."""
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis) or any(a % rank == 0 for a in self.axis):
            raise ValueError(
                f"Invalid value for argument 'axis': expected non-batch axes of inputs of rank {rank} for layer "
                f"'{self.name}'. Received: axis={self.axis}"
            )
        keep = tuple(sorted({a % rank for a in self.axis}))
        reduce = tuple(d for d in range(rank) if d not in keep)
        broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(rank))
        return keep, reduce, broadcast, tuple(input_shape[d] for d in keep)

    def compute_output_shape(self, input_shape):
        self._layout(input_shape)
        return tuple(input_shape)

    def build(self, input_shape):
        keep, _, broadcast, stats_shape = self._layout(input_shape)
        if self.input_mean is None:
            self.add_weight("mean", stats_shape, "zeros", trainable=False)
            self.add_weight("variance", stats_shape, "ones", trainable=False)
            self.state["count"] = np.zeros((), np.int64)
        else:
            self._given = [self._broadcast_given(v, keep, broadcast) for v in (self.input_mean, self.input_variance)]
        super().build(input_shape)

    def _broadcast_given(self, value, keep, broadcast):
        """Keras' placement of a given mean/variance: its last axes line up with the last kept axes."""
        value = np.asarray(value, np.float64)
        expanded = [1] * len(broadcast)
        for i in range(1, value.ndim + 1):
            expanded[keep[-i]] = value.shape[-i]
        try:
            return np.broadcast_to(value.reshape(expanded), broadcast).astype(self.dtype)
        except ValueError:
            raise ValueError(
                f"Invalid value for argument 'mean': expected a shape that fits the kept axes {keep} of inputs "
                f"shaped {tuple(broadcast)} for layer '{self.name}'. Received: mean.shape={value.shape}"
            ) from None

    def _statistics(self):
        if self.input_mean is not None:
            return self._given
        _, _, broadcast, _ = self._layout(self.input_shape)
        return [self.state[k].reshape([1 if d is None else d for d in broadcast]) for k in ("mean", "variance")]

    # -- running ----------------------------------------------------------------------------------
    def forward(self, x, training=False):
        mean, variance = (v.astype(x.dtype, copy=False) for v in self._statistics())
        self._denominator = np.maximum(np.sqrt(variance), x.dtype.type(self._EPSILON))
        if self.invert:
            return mean + x * self._denominator
        return (x - mean) / self._denominator

    def backward(self, dy):
        return dy * self._denominator if self.invert else dy / self._denominator

    def checked_weights(self, weights) -> list[np.ndarray]:
        arrays = super().checked_weights(weights)
        names = [*self.params, *self.state]
        if "variance" in names and np.any(arrays[names.index("variance")] < 0):
            index = names.index("variance")
            raise invalid_described(
                f"weights[{index}]", f"a non-negative variance for layer '{self.name}'", "negative values"
            )
        return arrays

    # -- adapt ------------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Set ``mean`` and ``variance`` to the statistics of ``data``: an array (``batch_size`` splits it into
        batches), a ``PyDataset``, or any iterable of batches (``x`` or ``(x, y, …)``, e.g. a generator; at most
        ``steps`` of them). Batches are combined with Keras' running update of the mean and variance. Nothing
        changes unless all of ``data`` is valid."""
        if self.input_mean is not None:
            raise ValueError(
                f"Layer '{self.name}' was given its mean and variance: adapt() learns them only for a "
                "Normalization made without them"
            )
        batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
        steps = None if steps is None else positive_int("steps", steps)
        mean = variance = None
        count = 0
        shape = self.input_shape if self.built else None
        layout = self._layout(shape) if self.built else None
        for batch in itertools.islice(self._adapt_batches(data, batch_size), steps):
            if layout is None:
                shape = (None, *batch.shape[1:])
                layout = self._layout(shape)
            keep, reduce, _, stats_shape = layout
            if batch.ndim != len(shape) or tuple(batch.shape[d] for d in keep) != stats_shape:
                raise invalid(
                    "data",
                    f"batches shaped like {shape} (sizes on the axes {keep}) for layer '{self.name}'",
                    batch.shape,
                )
            batch_mean, batch_var = batch.mean(axis=reduce), batch.var(axis=reduce)
            batch_count = int(np.prod([batch.shape[d] for d in reduce]))
            count += batch_count
            w = batch_count / count
            if mean is None:
                mean, variance = batch_mean, batch_var
                continue
            new_mean = mean * (1.0 - w) + batch_mean * w
            variance = (variance + (mean - new_mean) ** 2) * (1.0 - w) + (batch_var + (batch_mean - new_mean) ** 2) * w
            mean = new_mean
        if mean is None:
            raise invalid("data", "at least one batch of samples", "an empty dataset")
        self.ensure_built(shape)
        self.state["mean"][...] = mean
        self.state["variance"][...] = variance

    def _adapt_batches(self, data, batch_size):
        """float64 batches of ``data`` (see ``adapt``), each checked to be a finite numeric array."""
        if isinstance(data, np.ndarray) or hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
            arr = self._adapt_array(data)
            step = batch_size or max(len(arr), 1)
            for start in range(0, len(arr), step):
                yield arr[start : start + step]
            return
        if isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__"):
            raise invalid("data", "an array, a PyDataset or an iterable of batches", type(data).__name__, TypeError)
        for item in data:
            yield self._adapt_array(_batch_of(item))

    def _adapt_array(self, value) -> np.ndarray:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise invalid("data", "numeric arrays", f"an object that is not one ({err})", TypeError) from None
        if arr.dtype.kind not in "biuf" or arr.ndim == 0:
            raise invalid("data", "numeric arrays with a batch axis", f"an array of dtype {arr.dtype}", TypeError)
        if arr.shape[0] == 0:
            raise invalid("data", "batches of at least one sample", "an empty batch")
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise invalid("data", "finite values", "an array containing NaN or inf")
        return arr

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": list(self.axis),
            "invert": self.invert,
            "mean": _as_config(self.input_mean),
            "variance": _as_config(self.input_variance),
        }
