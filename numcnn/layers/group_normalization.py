"""``GroupNormalization``: normalise each sample over groups of its channels, with Keras 3's arguments and weights.

The ``C`` channels of axis ``a`` are split into ``G = groups`` groups of ``C/G`` consecutive channels. For each
sample and group, over every other non-batch axis and the group's channels::

    y = gamma · (x − mean(x)) / √(var(x) + epsilon) + beta

with the biased variance; ``gamma`` and ``beta`` have shape ``(C,)`` (Keras' order: gamma, beta; omitted with
``scale=False``/``center=False``). ``groups=1`` normalises each sample over all of it (LayerNormalization over
every axis, with per-channel weights); ``groups=-1`` sets one group per channel (instance normalization).
"""

from __future__ import annotations

from numcnn._checks import flag, integer, invalid, is_int
from numcnn.layers._normalize import feature_axes, standardize, standardize_backward
from numcnn.layers._scale_shift import ScaleShift
from numcnn.layers.base import Layer


class GroupNormalization(ScaleShift, Layer):
    """``GroupNormalization(groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, …)`` (see the module
    docstring). Inputs of any rank ≥ 2, float32 or float64; the channel count must be a multiple of ``groups``.

    It runs on a view of shape ``(…, G, C/G, …)`` and shares LayerNormalization's standardization: backward, with
    ``g = dy·gamma``, ``dx = (g − mean(g) − x̂·mean(g·x̂)) / σ`` per group; ``dgamma = Σ dy·x̂`` and
    ``dbeta = Σ dy`` over every axis but the channels'.
    """

    def __init__(
        self,
        groups=32,
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
        expected = "a positive integer (or -1 for one group per channel)"
        if not is_int(groups):
            raise invalid("groups", expected, groups, TypeError)
        if groups <= 0 and groups != -1:
            raise invalid("groups", expected, groups)
        self.groups = int(groups)
        self.axis = integer("axis", axis)
        self.center, self.scale = flag("center", center), flag("scale", scale)
        self._scale_shift_arguments(locals(), epsilon, kwargs.get("dtype"))
        super().__init__(**kwargs)
        self._cache = None

    def _channels(self, input_shape) -> tuple[int, int, int]:
        """``(axis, channels, groups)`` for inputs of ``input_shape``; raises unless the groups divide the channels."""
        (axis,) = feature_axes(self.axis, len(input_shape), self.name)
        channels = input_shape[axis]
        if channels is None:
            raise invalid("input_shape", f"a known size on axis {self.axis} for layer '{self.name}'", input_shape)
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise invalid(
                "groups", f"a divisor of the {channels} channels on axis {self.axis} of layer '{self.name}'", groups
            )
        return axis, channels, groups

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        return tuple(input_shape)

    def build(self, input_shape):
        _, channels, self.groups = self._channels(input_shape)  # -1 becomes the channel count, as in Keras
        shape = (channels,)
        self._add_scale_shift(shape, self.scale, self.center)
        super().build(input_shape)

    def _grouped(self, shape):
        """``(grouped shape, reduced axes, weight shape)`` of the ``(…, G, C/G, …)`` view of inputs of ``shape``."""
        axis, channels, groups = self._channels(shape)
        grouped = (*shape[:axis], groups, channels // groups, *shape[axis + 1 :])
        reduced = tuple(i for i in range(1, len(grouped)) if i != axis)
        weight = tuple(grouped[i] if i in (axis, axis + 1) else 1 for i in range(len(grouped)))
        return grouped, reduced, weight

    def forward(self, x, training=False):
        grouped, reduced, weight = self._grouped(x.shape)
        centered, inv_std = standardize(x.reshape(grouped), reduced, self.epsilon)
        x_hat = centered * inv_std
        self._cache = (x.shape, grouped, reduced, weight, x_hat, inv_std)
        out = x_hat
        if "gamma" in self.params:
            out = out * self.params["gamma"].reshape(weight)
        if "beta" in self.params:
            out = out + self.params["beta"].reshape(weight)
        return out.reshape(x.shape)

    def backward(self, dy):
        shape, grouped, reduced, weight, x_hat, inv_std = self._cache
        dy = dy.reshape(grouped)
        per_channel = tuple(i for i, size in enumerate(weight) if size == 1)
        g = dy
        if "gamma" in self.params:
            self.grads["gamma"] = (dy * x_hat).sum(axis=per_channel).reshape(-1)
            g = dy * self.params["gamma"].reshape(weight)
        if "beta" in self.params:
            self.grads["beta"] = dy.sum(axis=per_channel).reshape(-1)
        return standardize_backward(g, x_hat, inv_std, reduced).reshape(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._scale_shift_config(),
        }
