"""``LayerNormalization``: normalise each sample over its own features, with Keras 3's arguments and weights.

Over the axes ``A`` of ``axis`` (each sample separately, every other axis kept)::

    y = gamma · (x − mean_A(x)) / √(var_A(x) + epsilon) + beta

with the biased variance. ``gamma`` and ``beta`` have the sizes of the axes in ``A`` (Keras' order: gamma, beta;
omitted with ``scale=False``/``center=False``). Keras 3's deprecated ``rms_scaling=True`` computes
``y = gamma · x / √(var_A(x) + epsilon)`` — the variance, not the mean square, as Keras warns — and has no beta.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import flag, is_int
from numcnn.layers._normalize import axis_argument, feature_axes, standardize, standardize_backward
from numcnn.layers._scale_shift import ScaleShift
from numcnn.layers.base import Layer


class LayerNormalization(ScaleShift, Layer):
    """``LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True, …)`` (see the module docstring).

    ``axis``: an int or a list of non-batch axes. Backward, with ``x̂ = (x − mean)/σ``, ``σ = √(var + ε)``,
    ``g = dy·gamma`` and means over ``A``: ``dx = (g − mean(g) − x̂·mean(g·x̂)) / σ``; ``dgamma = Σ dy·x̂`` and
    ``dbeta = Σ dy`` over every axis not in ``A``.
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        self.rms_scaling = flag("rms_scaling", kwargs.pop("rms_scaling", False))
        self.axis = axis_argument(axis)
        self.center, self.scale = flag("center", center), flag("scale", scale)
        self._scale_shift_arguments(locals(), epsilon, kwargs.get("dtype"))
        super().__init__(**kwargs)
        self._cache = None

    def _axes(self, rank: int) -> tuple:
        return feature_axes(self.axis, rank, self.name)

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return tuple(input_shape)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        self._add_scale_shift(shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)
        super().build(input_shape)

    def _broadcast(self, weight, ndim, axes):
        """A (sizes of A) weight shaped to broadcast against inputs of rank ``ndim``."""
        shape = [1] * ndim
        for a, size in zip(axes, weight.shape):
            shape[a] = size
        return weight.reshape(shape)

    def forward(self, x, training=False):
        axes = self._axes(x.ndim)
        centered, inv_std = standardize(x, axes, self.epsilon)
        normalized = (x if self.rms_scaling else centered) * inv_std
        self._cache = (x, axes, centered, inv_std, normalized)
        out = normalized
        if "gamma" in self.params:
            out = out * self._broadcast(self.params["gamma"], x.ndim, axes)
        if "beta" in self.params:
            out = out + self._broadcast(self.params["beta"], x.ndim, axes)
        return out

    def backward(self, dy):
        x, axes, centered, inv_std, normalized = self._cache
        kept = tuple(i for i in range(dy.ndim) if i not in axes)
        g = dy
        if "gamma" in self.params:
            self.grads["gamma"] = np.sum(dy * normalized, axis=kept)
            g = dy * self._broadcast(self.params["gamma"], dy.ndim, axes)
        if "beta" in self.params:
            self.grads["beta"] = np.sum(dy, axis=kept)
        if self.rms_scaling:
            # y = x·r with r = (var + ε)^−½: dr/dx = −r³·(x − mean)/M, so dx = r·g − r³·(x − mean)·mean(g·x)
            return inv_std * g - inv_std**3 * centered * np.mean(g * x, axis=axes, keepdims=True)
        return standardize_backward(g, normalized, inv_std, axes)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis if is_int(self.axis) else list(self.axis),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **self._scale_shift_config(),
        }
