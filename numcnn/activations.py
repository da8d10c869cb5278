"""Activation functions by name, each a forward map and its explicit backward pass (``keras.activations``).

An activation is a pair of functions: ``forward(x) -> y`` and ``backward(dy, x, y) -> dx`` (the
vector-Jacobian product). ``needs_input`` says whether backward reads ``x``; when it does not, layers
drop ``x`` after the forward pass to save memory (ReLU, sigmoid, tanh and softmax only need ``y``).
All functions keep the dtype of their input and never modify it.

Keras 3's formulas and defaults: ``leaky_relu`` has slope 0.2; ``gelu`` is the exact ``0.5·x·(1 + erf(x/√2))``
(``approximate=False``); ``hard_sigmoid`` is ``relu6(x + 3)/6`` (Keras 2 used ``clip(0.2·x + 0.5, 0, 1)``);
``selu`` uses α = 1.67326…, scale = 1.05070…; ``swish`` is ``silu`` and ``hard_swish`` is ``hard_silu``
(serialized under the ``silu`` names, as Keras does); ``softmax`` and ``log_softmax`` act on the last axis.
Not here: ``glu`` (it halves its input), ``threshold`` (it has no defaults), the shrink functions'
thresholds, and ``sparsemax``, whose Keras 3.15 version does not sum to 1 (``[1, 0.8, 0.1] -> [0.1, 0, 0]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numcnn import backend, graph
from numcnn._registry import Registry

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.frompyfunc(math.erf, 1, 1)


@dataclass(frozen=True)
class ActivationFn:
    """A named activation: ``forward(x) -> y`` and ``backward(dy, x, y) -> dx``; shapes all equal."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray | None, np.ndarray], np.ndarray]
    needs_input: bool = False

    def __call__(self, x) -> np.ndarray:
        if isinstance(x, graph.KerasTensor):
            # On a symbolic tensor (a traced call(), a Lambda): record an Activation layer, whose backward
            # is this function's. Imported here: layers import this module.
            from numcnn.layers.core import Activation

            return Activation(self, dtype=x.dtype if x.dtype.startswith("float") else None)(x)
        x = np.asarray(x)
        return self.forward(x if x.dtype.kind == "f" else x.astype(backend.floatx()))


def _relu(x):
    return backend.nn.relu_forward(x)


def _relu_backward(dy, x, y):
    return backend.nn.relu_backward(dy, y)


def _softmax(x):
    return backend.nn.softmax(x)


def _softmax_backward(dy, x, y):
    # J^T dy for J = diag(y) - y y^T, one row at a time.
    return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


def _sigmoid(x):
    # Two branches so exp never overflows: for x < 0 use e^x / (1 + e^x).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _leaky_relu(x, alpha=0.2):
    return np.where(x > 0, x, x * x.dtype.type(alpha))


def _leaky_relu_backward(dy, x, y, alpha=0.2):
    return np.where(x > 0, dy, dy * dy.dtype.type(alpha))


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _elu_backward(dy, x, y):
    # For x <= 0, d/dx (e^x - 1) = e^x = y + 1.
    return np.where(x > 0, dy, dy * (y + 1))


def _gelu(x):
    # Keras' default is the exact form 0.5·x·(1 + erf(x/√2)).
    cdf = 0.5 * (1.0 + _erf(x * _SQRT_HALF).astype(np.float64))
    return (x * cdf).astype(x.dtype, copy=False)


def _gelu_backward(dy, x, y):
    cdf = 0.5 * (1.0 + _erf(x * _SQRT_HALF).astype(np.float64))
    pdf = np.exp(-0.5 * np.square(x, dtype=np.float64)) / math.sqrt(2.0 * math.pi)
    return (dy * (cdf + x * pdf)).astype(dy.dtype, copy=False)


def _softplus(x):
    # log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _selu(x):
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def _selu_backward(dy, x, y):
    # For x <= 0, d/dx scale·α·(e^x − 1) = scale·α·e^x = y + scale·α; y > 0 exactly where x > 0.
    return np.where(y > 0, dy * _SELU_SCALE, dy * (y + _SELU_SCALE * _SELU_ALPHA))


def _silu(x):
    return x * _sigmoid(x)


def _silu_backward(dy, x, y):
    s = _sigmoid(x)
    return dy * s * (1 + x * (1 - s))


def _hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6 (Keras 2 used clip(0.2·x + 0.5, 0, 1)).
    return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)


def _hard_silu(x):
    return x * _hard_sigmoid(x)


def _hard_silu_backward(dy, x, y):
    return dy * np.where(x <= -3, 0, np.where(x >= 3, 1, x / 3 + 0.5)).astype(dy.dtype, copy=False)


def _mish(x):
    return x * np.tanh(_softplus(x))


def _mish_backward(dy, x, y):
    t = np.tanh(_softplus(x))
    return dy * (t + x * (1 - t * t) * _sigmoid(x))


def _log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _log_softmax_backward(dy, x, y):
    # J = I − softmax(x)·1ᵀ row by row, and softmax(x) = e^y.
    return dy - np.exp(y) * np.sum(dy, axis=-1, keepdims=True)


def _relu6(x):
    return np.minimum(np.maximum(x, 0), 6)


def _softsign(x):
    return x / (1 + np.abs(x))


def _celu(x):
    return np.maximum(x, 0) + np.expm1(np.minimum(x, 0))


def _log_sigmoid(x):
    # −softplus(−x), without overflow.
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sparse_plus(x):
    return np.where(x <= -1, 0, np.where(x < 1, 0.25 * np.square(x + 1), x)).astype(x.dtype, copy=False)


def _squareplus(x, b=4.0):
    return (x + np.sqrt(np.square(x) + b)) / 2


def _squareplus_backward(dy, x, y):
    return dy * (1 + x / np.sqrt(np.square(x) + 4.0)) / 2


def _where_dy(condition, dy):
    return np.where(condition, dy, 0).astype(dy.dtype, copy=False)


def _sparse_sigmoid_backward(dy, x, y):
    return _where_dy((y > 0) & (y < 1), dy / 2)


_REGISTRY = Registry("activation", ActivationFn)
for _fn, _aliases in (
    (ActivationFn("linear", lambda x: x, lambda dy, x, y: dy), ()),
    (ActivationFn("relu", _relu, _relu_backward), ()),
    (ActivationFn("softmax", _softmax, _softmax_backward), ()),
    (ActivationFn("sigmoid", _sigmoid, lambda dy, x, y: dy * y * (1 - y)), ()),
    (ActivationFn("tanh", np.tanh, lambda dy, x, y: dy * (1 - y * y)), ()),
    (ActivationFn("leaky_relu", _leaky_relu, _leaky_relu_backward, needs_input=True), ()),
    (ActivationFn("elu", _elu, _elu_backward, needs_input=True), ()),
    (ActivationFn("gelu", _gelu, _gelu_backward, needs_input=True), ()),
    (ActivationFn("softplus", _softplus, lambda dy, x, y: dy * _sigmoid(x), needs_input=True), ()),
    (ActivationFn("selu", _selu, _selu_backward), ()),
    (ActivationFn("silu", _silu, _silu_backward, needs_input=True), ("swish",)),
    (ActivationFn("hard_sigmoid", _hard_sigmoid, lambda dy, x, y: _where_dy((y > 0) & (y < 1), dy / 6)), ()),
    (ActivationFn("hard_silu", _hard_silu, _hard_silu_backward, needs_input=True), ("hard_swish",)),
    (ActivationFn("mish", _mish, _mish_backward, needs_input=True), ()),
    (ActivationFn("log_softmax", _log_softmax, _log_softmax_backward), ()),
    (ActivationFn("relu6", _relu6, lambda dy, x, y: _where_dy((y > 0) & (y < 6), dy)), ()),
    (ActivationFn("softsign", _softsign, lambda dy, x, y: dy * np.square(1 - np.abs(y))), ()),
    (ActivationFn("exponential", np.exp, lambda dy, x, y: dy * y), ()),
    (ActivationFn("celu", _celu, lambda dy, x, y: np.where(y > 0, dy, dy * (y + 1))), ()),
    (ActivationFn("hard_tanh", lambda x: np.clip(x, -1, 1), lambda dy, x, y: _where_dy(np.abs(y) < 1, dy)), ()),
    (ActivationFn("log_sigmoid", _log_sigmoid, lambda dy, x, y: dy * (1 - np.exp(y))), ()),
    (ActivationFn("tanh_shrink", lambda x: x - np.tanh(x), lambda dy, x, y: dy * np.square(np.tanh(x)), True), ()),
    (
        ActivationFn("sparse_plus", _sparse_plus, lambda dy, x, y: dy * np.clip((x + 1) / 2, 0, 1), needs_input=True),
        (),
    ),
    (ActivationFn("sparse_sigmoid", lambda x: np.clip((x + 1) / 2, 0, 1), _sparse_sigmoid_backward), ()),
    (ActivationFn("squareplus", _squareplus, _squareplus_backward, needs_input=True), ()),
):
    _REGISTRY.register(_fn, _fn.name, *_aliases)


def get(identifier) -> ActivationFn:
    """Resolve ``None`` (linear), a name such as ``'relu'``, or an ``ActivationFn``."""
    return _REGISTRY.get("linear" if identifier is None else identifier)


def serialize(fn: ActivationFn) -> str:
    """An activation's name, the form Keras writes in a layer's config (``'relu'``)."""
    return fn.name


def deserialize(config) -> ActivationFn:
    """The inverse of :func:`serialize`: a name (or Keras' ``{'class_name': 'relu', ...}`` form)."""
    return _REGISTRY.get(config)


relu = _REGISTRY.lookup("relu")
softmax = _REGISTRY.lookup("softmax")
sigmoid = _REGISTRY.lookup("sigmoid")
tanh = _REGISTRY.lookup("tanh")
linear = _REGISTRY.lookup("linear")
leaky_relu = _REGISTRY.lookup("leaky_relu")
elu = _REGISTRY.lookup("elu")
gelu = _REGISTRY.lookup("gelu")
softplus = _REGISTRY.lookup("softplus")
selu = _REGISTRY.lookup("selu")
silu = _REGISTRY.lookup("silu")
hard_sigmoid = _REGISTRY.lookup("hard_sigmoid")
hard_silu = _REGISTRY.lookup("hard_silu")
mish = _REGISTRY.lookup("mish")
log_softmax = _REGISTRY.lookup("log_softmax")
relu6 = _REGISTRY.lookup("relu6")
softsign = _REGISTRY.lookup("softsign")
exponential = _REGISTRY.lookup("exponential")
celu = _REGISTRY.lookup("celu")
hard_tanh = _REGISTRY.lookup("hard_tanh")
log_sigmoid = _REGISTRY.lookup("log_sigmoid")
tanh_shrink = _REGISTRY.lookup("tanh_shrink")
sparse_plus = _REGISTRY.lookup("sparse_plus")
sparse_sigmoid = _REGISTRY.lookup("sparse_sigmoid")
squareplus = _REGISTRY.lookup("squareplus")
swish = silu
hard_swish = hard_silu

__all__ = [
    "ActivationFn",
    "deserialize",
    "get",
    "serialize",
    "celu",
    "elu",
    "exponential",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
]
