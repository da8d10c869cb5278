"""``UnitNormalization``: scale each sample to unit L2 norm over the axes of ``axis``, as Keras 3 does."""

from __future__ import annotations

import numpy as np

from numcnn.layers._normalize import axis_argument, feature_axes
from numcnn.layers.base import Layer

# Keras' ops.normalize(…, epsilon=1e-12): the squared norm is clamped at ε², so an all-zero sample stays 0
_EPSILON = 1e-12


class UnitNormalization(Layer):
    """``UnitNormalization(axis=-1)``: ``y = x / max(‖x‖₂, 1e-12)`` with the norm over the axes ``A`` of
    ``axis`` (an int or a list of non-batch axes), each sample on its own; any shape, float32 or float64.

    Keras computes ``x · rsqrt(max(Σ_A x², ε²))``. Backward, with ``s = Σ_A x²`` and ``r = s^−½``: where
    ``s > ε²``, ``dx = r·dy − r³·x·Σ_A(dy·x)``; where the clamp holds (all-zero samples), ``dx = dy / ε``.
    """

    def __init__(self, axis=-1, **kwargs):
        self.axis = axis_argument(axis)
        super().__init__(**kwargs)
        self._cache = None

    def compute_output_shape(self, input_shape):
        feature_axes(self.axis, len(input_shape), self.name)
        return tuple(input_shape)

    def forward(self, x, training=False):
        axes = feature_axes(self.axis, x.ndim, self.name)
        floor = x.dtype.type(_EPSILON * _EPSILON)
        square_sum = np.sum(x * x, axis=axes, keepdims=True)
        clamped = square_sum <= floor
        inv_norm = 1.0 / np.sqrt(np.maximum(square_sum, floor))
        self._cache = (x, axes, inv_norm, clamped)
        return x * inv_norm

    def backward(self, dy):
        x, axes, inv_norm, clamped = self._cache
        # the clamped samples' norm is the constant ε: their x-term drops out
        along = np.where(clamped, 0, np.sum(dy * x, axis=axes, keepdims=True))
        return inv_norm * dy - inv_norm**3 * x * along

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
