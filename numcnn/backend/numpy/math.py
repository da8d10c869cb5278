"""The NumPy reference elementwise and matrix ops: matmul, ReLU, softmax and the Adam update."""

from __future__ import annotations

import numpy as np


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The matrix product ``a @ b`` of 2-D a (M, K) and b (K, N) → (M, N)."""
    return a @ b


def relu_forward(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``max(x, 0)`` elementwise, any shape, same dtype; NaN stays NaN. ``out=x`` works in place."""
    return np.maximum(x, x.dtype.type(0), out=out)


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of ReLU from its output ``y``: dy where y > 0, else 0 (same shape and dtype as dy)."""
    return np.where(y > 0, dy, dy.dtype.type(0))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis of an array of rank ≥ 1, same shape and dtype.

    The row maximum is subtracted first so that ``exp`` never overflows (rows like [1000, -1000] are fine).
    """
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def adam_update(param, grad, m, v, alpha: float, beta_1: float, beta_2: float, epsilon: float) -> None:
    """One Adam step in Keras' form, in place on ``param``, ``m`` and ``v`` (all one shape and dtype):

    ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``, ``param −= α·m / (√v + ε)``, with the bias correction
    already folded into ``alpha = lr·√(1−β2ᵗ)/(1−β1ᵗ)``.
    """
    m += (grad - m) * (1 - beta_1)
    v += (grad * grad - v) * (1 - beta_2)
    param -= (alpha * m / (np.sqrt(v) + epsilon)).astype(param.dtype, copy=False)
