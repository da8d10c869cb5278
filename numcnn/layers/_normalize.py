"""What the per-sample normalization layers share (LayerNormalization, GroupNormalization, UnitNormalization):
their ``axis`` argument, and the standardization ``x̂ = (x − mean_A(x)) / √(var_A(x) + ε)`` over axes ``A``
with its backward pass."""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid, is_int


def axis_argument(axis):
    """Keras' ``axis``: an int, or a list of ints (a tuple becomes a list, as Keras stores it)."""
    if is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise invalid("axis", "an integer or a list of integers", axis, TypeError)


def feature_axes(axis, rank: int, layer_name: str) -> tuple[int, ...]:
    """``axis`` (an int or a list) as sorted non-negative axes of inputs of ``rank``; the batch axis and repeats
    are refused."""
    axes = [axis] if is_int(axis) else list(axis)
    if any(not -rank <= a < rank or a % rank == 0 for a in axes) or len({a % rank for a in axes}) < len(axes):
        raise ValueError(
            f"Invalid value for argument 'axis': expected distinct non-batch axes of inputs of rank {rank} "
            f"for layer '{layer_name}'. Received: axis={axis}"
        )
    return tuple(sorted(a % rank for a in axes))


def standardize(x: np.ndarray, axes: tuple, epsilon: float):
    """``(centered, inv_std)``: ``x − mean_A(x)`` and ``1/√(var_A(x) + ε)`` (biased variance; ``inv_std`` keeps
    the reduced axes as 1), in ``x``'s dtype. ``x̂ = centered · inv_std``."""
    centered = x - x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + x.dtype.type(epsilon))
    return centered, inv_std


def standardize_backward(g: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes: tuple) -> np.ndarray:
    """The gradient for ``x`` of ``x̂ = standardize(x)`` given ``g = ∂L/∂x̂`` (means over ``A``):
    ``(g − mean(g) − x̂·mean(g·x̂)) · inv_std``."""
    return inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * np.mean(g * x_hat, axis=axes, keepdims=True))
