"""Neural-network functions of ``keras.ops`` (Keras' ``ops/nn.py``): activations, ``softmax``,
``log_softmax``, ``one_hot``, ``moments`` and the three crossentropies. Convolutions and pooling are in
:mod:`numcnn.ops.conv`.

Activations act elementwise and give ``floatx`` for integer inputs (``relu`` and ``relu6`` keep them); their
formulas and gradients are :mod:`numcnn.activations`'. Keras 3's defaults, which differ from the activation
functions' in one place: ``ops.gelu`` is the tanh approximation unless ``approximate=False``.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn import activations, backend
from numcnn._checks import invalid, is_int, positive_int
from numcnn.ops import _dtypes
from numcnn.ops._op import Op, float_dtype, promote_dtype
from numcnn.ops._shapes import axis_index, reduce_rule
from numcnn.ops._trace import register


def _activation(name, fn: activations.ActivationFn, dtype=float_dtype) -> Op:
    return register(Op(name, fn.forward, lambda dy, y, x: fn.backward(dy, x, y), dtype=dtype))


_relu = register(
    Op(
        "relu",
        # backend.nn's kernels take floats; relu of integers (which Keras allows) stays in NumPy
        lambda x: backend.nn.relu_forward(x) if x.dtype.kind == "f" else np.maximum(x, 0),
        lambda dy, y, x: backend.nn.relu_backward(dy, y.astype(dy.dtype, copy=False)),
        dtype=promote_dtype,
    )
)
_relu6 = _activation("relu6", activations.relu6, promote_dtype)
_sigmoid = _activation("sigmoid", activations.sigmoid)
_softplus = _activation("softplus", activations.softplus)
_softsign = _activation("softsign", activations.softsign)
_silu = _activation("silu", activations.silu)
_log_sigmoid = _activation("log_sigmoid", activations.log_sigmoid)
_hard_sigmoid = _activation("hard_sigmoid", activations.hard_sigmoid)
_hard_silu = _activation("hard_silu", activations.hard_silu)
_hard_tanh = _activation("hard_tanh", activations.hard_tanh)
_selu = _activation("selu", activations.selu)
_sparse_plus = _activation("sparse_plus", activations.sparse_plus)


def relu(x):
    """``max(x, 0)``; the gradient at 0 is 0."""
    return _relu(x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _relu6(x)


def sigmoid(x):
    """``1 / (1 + e⁻ˣ)``, without overflow."""
    return _sigmoid(x)


def softplus(x):
    """``log(1 + eˣ)``, without overflow."""
    return _softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return _softsign(x)


def silu(x):
    """``x · sigmoid(x)`` (also ``swish``)."""
    return _silu(x)


swish = silu


def log_sigmoid(x):
    """``log(sigmoid(x))``, without overflow."""
    return _log_sigmoid(x)


def hard_sigmoid(x):
    """Keras 3's ``relu6(x + 3) / 6`` (Keras 2 used ``clip(0.2·x + 0.5, 0, 1)``)."""
    return _hard_sigmoid(x)


def hard_silu(x):
    """``x · hard_sigmoid(x)`` (also ``hard_swish``)."""
    return _hard_silu(x)


hard_swish = hard_silu


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _hard_tanh(x)


def selu(x):
    """``scale · elu(x, α)`` with Keras' α = 1.67326… and scale = 1.05070…"""
    return _selu(x)


def sparse_plus(x):
    """0 below -1, ``(x + 1)² / 4`` in [-1, 1], x above."""
    return _sparse_plus(x)


# -- activations with arguments ---------------------------------------------------------------------------
_leaky_relu = register(
    Op(
        "leaky_relu",
        lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
        lambda dy, y, x, negative_slope: np.where(x > 0, dy, dy * negative_slope),
        dtype=float_dtype,
    )
)
_elu = register(
    Op(
        "elu",
        lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
        lambda dy, y, x, alpha: np.where(x > 0, dy, dy * alpha * np.exp(np.minimum(x, 0))),
        dtype=float_dtype,
    )
)
_celu = register(
    Op(
        "celu",
        lambda x, alpha: np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha),
        lambda dy, y, x, alpha: np.where(x > 0, dy, dy * np.exp(np.minimum(x, 0) / alpha)),
        dtype=float_dtype,
    )
)

_GELU_C = math.sqrt(2.0 / math.pi)


def _gelu_forward(x, approximate):
    if not approximate:
        return activations.gelu.forward(x)
    return 0.5 * x * (1 + np.tanh(_GELU_C * (x + 0.044715 * x**3)))


def _gelu_backward(dy, y, x, approximate):
    if not approximate:
        return activations.gelu.backward(dy, x, y)
    t = np.tanh(_GELU_C * (x + 0.044715 * x**3))
    return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_C * (1 + 3 * 0.044715 * x * x))


_gelu = register(Op("gelu", _gelu_forward, _gelu_backward, dtype=float_dtype))


def _finite(name: str, value) -> float:
    from numcnn._checks import finite_number

    return finite_number(name, value)


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, else ``negative_slope · x`` (Keras 3's default slope 0.2)."""
    return _leaky_relu(x, negative_slope=_finite("negative_slope", negative_slope))


def elu(x, alpha=1.0):
    """x where x > 0, else ``alpha · (eˣ − 1)``."""
    return _elu(x, alpha=_finite("alpha", alpha))


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha · (e^(min(x, 0)/alpha) − 1)``."""
    if _finite("alpha", alpha) == 0:
        raise invalid("alpha", "a nonzero number", alpha)
    return _celu(x, alpha=float(alpha))


def gelu(x, approximate=True):
    """The Gaussian error linear unit: ``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`` by default, as in
    Keras 3's ``ops.gelu``; ``approximate=False`` gives the exact ``x·Φ(x)`` (``activations.gelu``'s default)."""
    return _gelu(x, approximate=bool(approximate))


# -- softmax ------------------------------------------------------------------------------------------------
def _on_last_axis(fn, x, axis):
    if axis in (-1, x.ndim - 1):
        return fn(x)
    return np.moveaxis(fn(np.moveaxis(x, axis, -1)), -1, axis)


def _softmax_forward(x, axis=-1):
    return _on_last_axis(backend.nn.softmax, x, axis)


def _log_softmax_forward(x, axis=-1):
    return _on_last_axis(activations.log_softmax.forward, x, axis)


def _axis_checked(shape, axis=-1):
    if not shape:
        raise invalid("x", "a tensor of rank 1 or more", "a scalar")
    axis_index(axis, len(shape))
    return tuple(shape)


_softmax = register(
    Op(
        "softmax",
        _softmax_forward,
        lambda dy, y, x, axis=-1: y * (dy - np.sum(dy * y, axis=axis, keepdims=True)),
        _axis_checked,
        float_dtype,
    )
)
_log_softmax = register(
    Op(
        "log_softmax",
        _log_softmax_forward,
        lambda dy, y, x, axis=-1: dy - np.exp(y) * np.sum(dy, axis=axis, keepdims=True),
        _axis_checked,
        float_dtype,
    )
)


def softmax(x, axis=-1):
    """``exp(x) / Σ exp(x)`` along ``axis``, shifted by the maximum so that it never overflows."""
    return _softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    return _log_softmax(x, axis=axis)


# -- one_hot ------------------------------------------------------------------------------------------------
def _one_hot_forward(x, num_classes, axis=-1, dtype=None):
    labels = x.astype(np.int64)
    # indices outside [0, num_classes) give a row of zeros, as in TensorFlow
    y = (labels[..., None] == np.arange(num_classes)).astype(np.float32)
    return y if axis in (-1, y.ndim - 1) else np.moveaxis(y, -1, axis)


def _one_hot_shape(shape, num_classes, axis=-1, dtype=None):
    out = list(shape)
    out.insert(axis_index(axis, len(shape) + 1), num_classes)
    return tuple(out)


_one_hot = register(
    Op(
        "one_hot",
        _one_hot_forward,
        None,
        _one_hot_shape,
        dtype=lambda x, num_classes, axis=-1, dtype=None: _dtypes.standardize_dtype(dtype),
        cast=False,
    )
)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels ``x`` as one-hot vectors of ``num_classes`` along a new axis ``axis``, of ``dtype``
    (``floatx``). Labels outside ``[0, num_classes)`` give all zeros. No gradient."""
    if sparse:
        raise invalid("sparse", "False (numcnn has no sparse tensors)", sparse)
    return _one_hot(
        x,
        num_classes=positive_int("num_classes", num_classes),
        axis=axis,
        dtype=_dtypes.standardize_dtype(dtype).name,
    )


# -- moments ------------------------------------------------------------------------------------------------
def _moments_forward(x, axes, keepdims=False):
    mean = np.mean(x, axis=axes, keepdims=True)
    variance = np.mean(np.square(x - mean), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = np.squeeze(mean, axis=axes), np.squeeze(variance, axis=axes)
    return mean, variance


def _moments_backward(dy, y, x, axes, keepdims=False):
    dmean, dvar = dy
    if not keepdims:
        dmean, dvar = np.expand_dims(dmean, axes), np.expand_dims(dvar, axes)
    n = int(np.prod([x.shape[a] for a in axes])) or 1
    return (dmean + 2 * dvar * (x - np.mean(x, axis=axes, keepdims=True))) / n


def _moments_shape(shape, axes, keepdims=False):
    out = reduce_rule(shape, axes, keepdims)
    return [out, out]


_moments = register(
    Op("moments", _moments_forward, _moments_backward, _moments_shape, dtype=lambda x, **c: [_dtypes.as_float(x)] * 2)
)


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` of ``x`` over ``axes`` (a list of ints). The variance is the mean squared deviation
    from the mean, computed in two passes (Keras' NumPy backend uses ``E[x²] − E[x]²``, which loses digits)."""
    if synchronized:
        raise invalid("synchronized", "False (numcnn runs on one device)", synchronized)
    items = axes if isinstance(axes, (list, tuple)) else [axes]
    if not items or not all(is_int(a) for a in items):
        raise invalid("axes", "a list of integer axes", axes, TypeError)
    ndim = len(getattr(x, "shape", np.shape(x)))
    return _moments(x, axes=tuple(sorted(axis_index(a, ndim, "axes") for a in items)), keepdims=keepdims)


from numcnn.ops.conv import average_pool, conv, depthwise_conv, max_pool, separable_conv  # noqa: E402
from numcnn.ops.crossentropy import (  # noqa: E402  (Keras keeps them in ops.nn too)
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)

__all__ = [
    "average_pool",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "depthwise_conv",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "swish",
]
