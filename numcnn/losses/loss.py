"""The loss base class: the interface the trainer calls, and the two methods a new loss writes.

The trainer calls, on a batch of ``N`` samples (``y_pred`` of shape ``(N, …)``, float32 or float64):

- ``per_sample(y_true, y_pred) -> (N,) float64``: each sample's loss before any sample weight, reduced over
  every non-batch axis (Keras' loss functions reduce the last axis; its reduction averages the rest);
- ``gradient(y_true, y_pred, sample_weight=None) -> dL/dy_pred``, in ``y_pred``'s shape and dtype, for
  ``L = Σᵢ wᵢ·lᵢ / N``: Keras 3's default reduction ``"sum_over_batch_size"``; ``w = 1`` when ``None``,
  otherwise an array of shape ``(N,)``;
- ``__call__(y_true, y_pred, sample_weight=None) -> float``: that ``L``;
- ``check_targets(y_true, output_shape, name)``: a clear error when targets cannot fit the outputs;
- ``name``; ``sparse`` (the targets are integer labels: never cast them to float); ``fuses_with_softmax``
  and, where True, ``softmax_gradient(y_true, probs, sample_weight=None)``; ``get_config``/``from_config``.

Targets and predictions are aligned first as Keras' ``squeeze_or_expand_to_same_rank`` does: ``y_true`` of
shape ``(N,)`` meets outputs ``(N, 1)``.

A new loss subclasses ``Loss`` and writes two methods, on arrays already converted and aligned:

- ``call(y_true, y_pred) -> values`` of shape ``(N, …)``, as Keras' ``Loss.call``;
- ``call_backward(y_true, y_pred, upstream) -> ∂⟨upstream, values⟩/∂y_pred`` (``upstream`` has the shape of
  ``values``): numcnn has no automatic differentiation, so the backward pass is written out.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn import backend
from numcnn._checks import invalid, optional_string
from numcnn._naming import snake_case

EPSILON = backend.epsilon()
REDUCTIONS = ("sum_over_batch_size", "mean")  # Keras' "mean" is the same reduction under another name


def aligned_shapes(true_shape: tuple, pred_shape: tuple, expand_rank_1: bool = True) -> tuple[tuple, tuple]:
    """Keras' ``squeeze_or_expand_to_same_rank`` on shapes: where the ranks differ by one and the longer
    shape ends in 1, drop that 1, or (``expand_rank_1``) give a rank-1 partner a trailing 1 instead."""
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if len(true_shape) == len(pred_shape) + 1 and true_shape[-1] == 1:
        if len(pred_shape) == 1 and expand_rank_1:
            return true_shape, (*pred_shape, 1)
        return true_shape[:-1], pred_shape
    if len(pred_shape) == len(true_shape) + 1 and pred_shape[-1] == 1:
        if len(true_shape) == 1 and expand_rank_1:
            return (*true_shape, 1), pred_shape
        return true_shape, pred_shape[:-1]
    return true_shape, pred_shape


def target_kind(y_true_shape, y_pred_shape) -> str:
    """``'binary'``, ``'sparse'`` or ``'categorical'``: how Keras 3's ``compile`` reads ``'accuracy'`` and
    ``'crossentropy'`` (binary when y_pred's last axis is 1; sparse when y_true has fewer axes, or a last axis
    of 1 against a wider y_pred; categorical otherwise)."""
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if y_pred_shape[-1] == 1:
        return "binary"
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return "sparse"
    return "categorical"


def as_prediction(y_pred) -> np.ndarray:
    """``y_pred`` as a float array: float inputs keep their dtype, anything else becomes ``floatx()``."""
    y_pred = np.asarray(y_pred)
    return y_pred if y_pred.dtype.kind == "f" else y_pred.astype(backend.floatx())


def sample_weights(sample_weight, n: int) -> np.ndarray | None:
    """``None``, or the weights as float64 of shape ``(n,)`` (``(n, 1)`` is accepted), else raise."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise invalid("sample_weight", "an array of numbers", sample_weight, TypeError)
    if w.shape not in ((n,), (n, 1)):
        raise ValueError(
            "Invalid value for argument 'sample_weight': expected one weight per sample, an array of shape "
            f"({n},). Received: sample_weight.shape={w.shape}"
        )
    return w.reshape(n).astype(np.float64)


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise invalid("reduction", "'sum_over_batch_size' (Keras' default; numcnn trains on that one)", reduction)
    return reduction


class Loss:
    """Base class of every loss (see the module docstring for what it gives and what a subclass writes).

    ``Loss(name=None, reduction='sum_over_batch_size')``: ``name`` defaults to the class name in snake case.
    Keras 3's other reductions (``'sum'``, ``None``, ``'mean_with_sample_weight'``) are refused: the trainer
    averages per-sample losses over the batch.
    """

    name = "loss"
    reduction = "sum_over_batch_size"
    sparse = False
    fuses_with_softmax = False

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        optional_string("name", name)
        self.name = name or snake_case(type(self).__name__)
        self.reduction = check_reduction(reduction)

    # -- what a subclass writes ----------------------------------------------------------------------
    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """The loss values ``(N, …)`` of aligned arrays (Keras' ``Loss.call``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def call_backward(self, y_true: np.ndarray, y_pred: np.ndarray, upstream: np.ndarray) -> np.ndarray:
        """``∂⟨upstream, call(y_true, y_pred)⟩/∂y_pred``, of ``y_pred``'s shape."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call_backward(y_true, y_pred, upstream): numcnn has no "
            "automatic differentiation, so each loss writes its gradient"
        )

    def values_shape(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple:
        """The shape of ``call(y_true, y_pred)``; built-in losses know it without computing the values."""
        return np.shape(self.call(y_true, y_pred))

    # -- what the trainer calls ----------------------------------------------------------------------
    def values(self, y_true, y_pred) -> np.ndarray:
        """Keras' loss *function*: convert and align, then ``call`` (e.g. ``(N, K) -> (N,)``)."""
        return self.call(*self._convert(y_true, y_pred))

    def per_sample(self, y_true, y_pred) -> np.ndarray:
        t, p = self._prepare(y_true, y_pred)
        values = np.asarray(self.call(t, p))
        n = values.shape[0]
        return values.reshape(n, math.prod(values.shape[1:])).mean(axis=1, dtype=np.float64)

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        t, p = self._prepare(y_true, y_pred)
        grad = self.call_backward(t, p, self._upstream(t, p, sample_weight))
        return np.asarray(grad).reshape(np.shape(y_pred)).astype(p.dtype, copy=False)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        per = self.per_sample(y_true, y_pred)
        n = per.shape[0]
        w = sample_weights(sample_weight, n)
        if n == 0:
            return 0.0
        return float(per.mean() if w is None else per @ w / n)

    def check_targets(self, y_true: np.ndarray, output_shape: tuple, name: str = "y") -> None:
        """Raise when ``y_true`` cannot be a target for outputs of ``output_shape`` (``(N, …)``)."""
        true_shape, pred_shape = aligned_shapes(np.shape(y_true), output_shape)
        if true_shape != pred_shape:
            raise ValueError(
                f"Invalid value for argument '{name}': expected targets of shape {tuple(output_shape)} for loss "
                f"'{self.name}'. Received: {name}.shape={np.shape(y_true)}{self._hint(y_true, output_shape)}"
            )

    def _hint(self, y_true: np.ndarray, output_shape: tuple) -> str:
        return ""

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    # -- shared steps ---------------------------------------------------------------------------------
    def _convert(self, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
        p = as_prediction(y_pred)
        t = np.asarray(y_true)
        if not self.sparse:
            t = t.astype(p.dtype, copy=False)
        true_shape, pred_shape = aligned_shapes(t.shape, p.shape)
        t, p = t.reshape(true_shape), p.reshape(pred_shape)
        if not self.sparse and t.shape != p.shape:
            raise ValueError(
                f"Loss '{self.name}' needs y_true and y_pred of the same shape. "
                f"Received: y_true.shape={np.shape(y_true)}, y_pred.shape={np.shape(y_pred)}"
            )
        return t, p

    def _prepare(self, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
        """``_convert`` for a batch: ``y_pred`` needs a batch axis and at least one more."""
        if np.ndim(y_pred) < 2:
            raise ValueError(
                f"Loss '{self.name}' needs y_pred of shape (batch_size, …) with at least 2 axes. "
                f"Received: y_pred.shape={np.shape(y_pred)}"
            )
        return self._convert(y_true, y_pred)

    def _upstream(self, t: np.ndarray, p: np.ndarray, sample_weight) -> np.ndarray:
        """``∂L/∂values`` for ``L = Σᵢ wᵢ·mean(valuesᵢ) / N``: ``wᵢ / (N·M)`` spread over each sample's ``M``."""
        shape = tuple(self.values_shape(t, p))
        n, m = shape[0], math.prod(shape[1:])
        w = sample_weights(sample_weight, n)
        if n == 0:
            return np.zeros(shape, p.dtype)
        if w is None:
            return np.full(shape, 1.0 / (n * m), p.dtype)
        per = (w / (n * m)).astype(p.dtype).reshape((n,) + (1,) * (len(shape) - 1))
        return np.broadcast_to(per, shape)


class LastAxisLoss(Loss):
    """A loss whose values reduce y_pred's last axis, as each of Keras' loss functions does."""

    def values_shape(self, y_true, y_pred):
        return y_pred.shape[:-1]


def spread(upstream: np.ndarray, axis: int = -1) -> np.ndarray:
    """``upstream`` (the values' shape) with the reduced ``axis`` put back, to broadcast against y_pred."""
    return np.expand_dims(upstream, axis)
