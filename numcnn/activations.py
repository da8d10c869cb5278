"""Activation functions by name, each a forward map and its explicit backward pass.

An activation is a pair of functions: ``forward(x) -> y`` and ``backward(dy, x, y) -> dx`` (the
vector-Jacobian product). ``needs_input`` says whether backward reads ``x``; when it does not, layers
drop ``x`` after the forward pass to save memory (ReLU, sigmoid, tanh and softmax only need ``y``).
All functions keep the dtype of their input and never modify it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numcnn import backend
from numcnn._registry import Registry

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_erf = np.frompyfunc(math.erf, 1, 1)


@dataclass(frozen=True)
class ActivationFn:
    """A named activation: ``forward(x) -> y`` and ``backward(dy, x, y) -> dx``; shapes all equal."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray | None, np.ndarray], np.ndarray]
    needs_input: bool = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)


def _relu(x):
    return backend.ops().relu_forward(x)


def _relu_backward(dy, x, y):
    return backend.ops().relu_backward(dy, y)


def _softmax(x):
    return backend.ops().softmax(x)


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


_REGISTRY = Registry("activation", ActivationFn)
for _fn in (
    ActivationFn("linear", lambda x: x, lambda dy, x, y: dy),
    ActivationFn("relu", _relu, _relu_backward),
    ActivationFn("softmax", _softmax, _softmax_backward),
    ActivationFn("sigmoid", _sigmoid, lambda dy, x, y: dy * y * (1 - y)),
    ActivationFn("tanh", np.tanh, lambda dy, x, y: dy * (1 - y * y)),
    ActivationFn("leaky_relu", _leaky_relu, _leaky_relu_backward, needs_input=True),
    ActivationFn("elu", _elu, _elu_backward, needs_input=True),
    ActivationFn("gelu", _gelu, _gelu_backward, needs_input=True),
    ActivationFn("softplus", _softplus, lambda dy, x, y: dy * _sigmoid(x), needs_input=True),
):
    _REGISTRY.register(_fn, _fn.name)


def get(identifier) -> ActivationFn:
    """Resolve ``None`` (linear), a name such as ``'relu'``, or an ``ActivationFn``."""
    return _REGISTRY.get("linear" if identifier is None else identifier)


def serialize(fn: ActivationFn) -> str:
    return fn.name


relu = _REGISTRY.lookup("relu")
softmax = _REGISTRY.lookup("softmax")
sigmoid = _REGISTRY.lookup("sigmoid")
tanh = _REGISTRY.lookup("tanh")
linear = _REGISTRY.lookup("linear")
leaky_relu = _REGISTRY.lookup("leaky_relu")
elu = _REGISTRY.lookup("elu")
gelu = _REGISTRY.lookup("gelu")
softplus = _REGISTRY.lookup("softplus")
