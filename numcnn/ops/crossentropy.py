"""The crossentropies of ``keras.ops`` (``ops.nn``): per-sample losses, with no reduction over the batch and
no label smoothing (those belong to ``numcnn.losses``).

- ``categorical_crossentropy(target, output)``: ``-Σ target·log p`` along ``axis``. On probabilities, each row
  of ``output`` is first divided by its sum and clipped to ``[ε, 1 − ε]`` (ε = ``backend.epsilon()`` = 1e-7);
  with ``from_logits=True``, ``log p = log_softmax(output)``.
- ``sparse_categorical_crossentropy``: the same with integer targets (N,) (or (N, 1)).
- ``binary_crossentropy``: elementwise ``-(t·log p + (1 − t)·log(1 − p))`` with p clipped to ``[ε, 1 − ε]``;
  with ``from_logits=True`` the stable ``max(o, 0) − o·t + log(1 + e^−|o|)`` that Keras' TensorFlow, JAX and
  PyTorch backends compute (its NumPy backend clips sigmoid(o) instead, which saturates beyond |o| ≈ 16).

Gradients go to ``output`` and to float targets; where a probability was clipped, its gradient is 0.
"""

from __future__ import annotations

import numpy as np

from numcnn import activations, backend
from numcnn._checks import format_shape, invalid
from numcnn.ops._op import Op, float_dtype
from numcnn.ops._shapes import axis_index
from numcnn.ops._trace import register


def _same_shapes(target, output, argument="target"):
    if len(target) != len(output) or any(a is not None and b is not None and a != b for a, b in zip(target, output)):
        received = f"target.shape={format_shape(target)}, output.shape={format_shape(output)}"
        raise invalid(argument, "target and output of one shape", received)
    if not output:
        raise invalid("output", "a tensor of rank 1 or more", "a scalar")


def _clipped(p):
    eps = backend.epsilon()
    return np.clip(p, eps, 1 - eps), (p >= eps) & (p <= 1 - eps)


def _log_probabilities(output, from_logits, axis):
    """``(log p, p, inside, total)``: log-probabilities along ``axis``, the (normalised) probabilities, where the
    clip left them alone, and the row sums they were divided by (None for logits)."""
    if from_logits:
        moved = np.moveaxis(output, axis, -1)
        logp = np.moveaxis(activations.log_softmax.forward(moved), -1, axis)
        return logp, np.exp(logp), None, None
    total = np.sum(output, axis=axis, keepdims=True)
    p = output / total
    clipped, inside = _clipped(p)
    return np.log(clipped), p, inside, total


def _categorical_forward(target, output, from_logits=False, axis=-1):
    logp = _log_probabilities(output, from_logits, axis)[0]
    return -np.sum(target * logp, axis=axis)


def _categorical_grads(dy, target, output, from_logits, axis):
    g = np.expand_dims(dy, axis)
    logp, p, inside, total = _log_probabilities(output, from_logits, axis)
    if from_logits:
        d_output = g * (p * np.sum(target, axis=axis, keepdims=True) - target)
    else:
        d_p = np.where(inside, -g * target / np.exp(logp), 0)
        d_output = (d_p - np.sum(d_p * p, axis=axis, keepdims=True)) / total  # through p = output / Σ output
    return -g * logp, d_output


def _categorical_shape(target, output, from_logits=False, axis=-1):
    _same_shapes(target, output)
    a = axis_index(axis, len(output))
    return tuple(n for i, n in enumerate(output) if i != a)


_categorical = register(
    Op(
        "categorical_crossentropy",
        _categorical_forward,
        lambda dy, y, target, output, **c: _categorical_grads(dy, target, output, c["from_logits"], c["axis"]),
        _categorical_shape,
        float_dtype,
    )
)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy between one-hot (or soft) ``target`` and ``output`` of the same shape; the
    result drops ``axis``. ``output`` holds probabilities, or logits with ``from_logits=True``."""
    return _categorical(target, output, from_logits=bool(from_logits), axis=axis)


def _sparse_target(target, output_ndim):
    return target[..., 0] if target.ndim == output_ndim and target.shape[-1] == 1 else target


def _one_hot_along(target, output, axis):
    labels = _sparse_target(target, output.ndim).astype(np.int64)
    classes = output.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise invalid("target", f"integer labels in [0, {classes})", int(bad))
    hot = np.expand_dims(labels, axis) == np.arange(classes).reshape(
        [-1 if i == axis else 1 for i in range(output.ndim)]
    )
    return hot.astype(output.dtype)


def _sparse_forward(target, output, from_logits=False, axis=-1):
    a = axis % output.ndim
    return _categorical_forward(_one_hot_along(target, output, a), output, from_logits, a)


def _sparse_backward(dy, y, target, output, from_logits=False, axis=-1):
    a = axis % output.ndim
    return None, _categorical_grads(dy, _one_hot_along(target, output, a), output, from_logits, a)[1]


def _sparse_shape(target, output, from_logits=False, axis=-1):
    if not output:
        raise invalid("output", "a tensor of rank 1 or more", "a scalar")
    a = axis_index(axis, len(output))
    expected = tuple(n for i, n in enumerate(output) if i != a)
    if len(target) == len(output) and target[-1] == 1:
        target = tuple(target[:-1])
    if len(target) != len(expected) or any(
        t is not None and e is not None and t != e for t, e in zip(target, expected)
    ):
        received = f"target.shape={format_shape(target)}, output.shape={format_shape(output)}"
        raise invalid("target", f"integer labels of shape {format_shape(expected)}", received)
    return expected


_sparse = register(
    Op(
        "sparse_categorical_crossentropy",
        _sparse_forward,
        _sparse_backward,
        _sparse_shape,
        dtype=lambda target, output, **c: float_dtype(output),
        cast=(1,),
    )
)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy between integer labels ``target`` (``output``'s shape without ``axis``, or with
    a trailing 1) and ``output``. Labels outside ``[0, classes)`` raise ``ValueError``; they get no gradient."""
    return _sparse(target, output, from_logits=bool(from_logits), axis=axis)


def _binary_forward(target, output, from_logits=False):
    if from_logits:
        return np.maximum(output, 0) - output * target + np.log1p(np.exp(-np.abs(output)))
    p = _clipped(output)[0]
    return -(target * np.log(p) + (1 - target) * np.log1p(-p))


def _binary_backward(dy, y, target, output, from_logits=False):
    if from_logits:
        return -dy * output, dy * (activations.sigmoid.forward(output) - target)
    p, inside = _clipped(output)
    d_output = np.where(inside, dy * ((1 - target) / (1 - p) - target / p), 0)
    return -dy * (np.log(p) - np.log1p(-p)), d_output


def _binary_shape(target, output, from_logits=False):
    _same_shapes(target, output)
    return tuple(b if a is None else a for a, b in zip(target, output))


_binary = register(Op("binary_crossentropy", _binary_forward, _binary_backward, _binary_shape, float_dtype))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise crossentropy between targets in [0, 1] and probabilities (or logits) of the same shape."""
    return _binary(target, output, from_logits=bool(from_logits))
