"""``BatchNormalization`` with Keras 3's semantics and an explicit backward pass.

Per channel ``c`` (the entries along ``axis``), with the statistics taken over every other axis::

    y = gamma · (x − mean) / √(variance + epsilon) + beta

- ``training=True``: ``mean`` and ``variance`` are the batch's (the *biased* variance, a mean of squared
  deviations), and the moving statistics move towards them:
  ``moving = moving · momentum + batch · (1 − momentum)``. Keras 3 feeds the same biased batch variance
  into ``moving_variance`` (``ops.moments`` in ``BatchNormalization.call``); PyTorch uses the unbiased one
  there, so the two differ by a factor ``M / (M − 1)`` for ``M`` values per channel.
- ``training=False`` (``predict``, ``evaluate``, validation): ``moving_mean`` and ``moving_variance``, so
  the layer is a per-channel affine map.
- ``trainable=False`` runs in inference mode even inside ``fit``, as in Keras 3 (the usual fine-tuning
  recipe) — and the moving statistics then stay fixed.
- ``epsilon`` must stay positive in the layer's float type, and ``set_weights`` (and so every loader) refuses a
  negative ``moving_variance``: either would make inference divide by √0 or take √ of a negative number.

Weights in Keras' order: ``gamma``, ``beta`` (trainable, omitted when ``scale``/``center`` is False),
``moving_mean``, ``moving_variance`` (non-trainable, in ``self.state``); each of shape ``(C,)``.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend, initializers
from numcnn._checks import fraction, invalid, invalid_described, is_int
from numcnn.layers._scale_shift import ScaleShift
from numcnn.layers.activated import serialized
from numcnn.layers.base import Layer


class BatchNormalization(ScaleShift, Layer):
    """Normalise each channel of ``(N, C)`` or ``(N, H, W, C)`` inputs (``axis=-1``; ``axis=1`` for
    ``channels_first``; any non-batch axis works). Output shape equals input shape.

    Backward in training mode is the compact form of the chain rule through the batch statistics, with
    ``x̂ = (x − mean)/σ``, ``σ = √(var + ε)`` and ``M`` values per channel::

        dbeta = Σ dy      dgamma = Σ dy·x̂      dx = gamma/σ · (dy − dbeta/M − x̂·dgamma/M)
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if not is_int(axis):
            raise invalid("axis", "an integer (the channel axis)", axis, TypeError)
        if axis == 0:
            raise invalid("axis", "a non-batch axis (not 0)", axis)
        self.axis = int(axis)
        self.momentum = fraction("momentum", momentum)
        for name, value in (("center", center), ("scale", scale)):
            if not isinstance(value, (bool, np.bool_)):
                raise invalid(name, "True or False", value, TypeError)  # as _checks.flag words it
        self.center, self.scale = bool(center), bool(scale)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self._scale_shift_arguments(locals(), epsilon, kwargs.get("dtype"))
        super().__init__(**kwargs)
        self._cache = None

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2 or not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"Invalid value for argument 'axis': expected a non-batch axis of inputs of rank {rank} "
                f"for layer '{self.name}'. Received: axis={self.axis} with input_shape={tuple(input_shape)}"
            )
        self._axis = self.axis % rank
        channels = (input_shape[self._axis],)
        # add_weight keeps insertion order, which gives Keras' gamma, beta, moving_mean, moving_variance
        self._add_scale_shift(channels, self.scale, self.center)
        self.add_weight("moving_mean", channels, self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", channels, self.moving_variance_initializer, trainable=False)
        super().build(input_shape)

    # -- layout: every computation runs on a (M, C) matrix, channels last --------------------------
    def _to_rows(self, x: np.ndarray) -> np.ndarray:
        """``(..., C, ...) -> (M, C)``: a view for channels-last contiguous input, else a copy."""
        moved = x if self._axis == x.ndim - 1 else np.moveaxis(x, self._axis, -1)
        return moved.reshape(-1, moved.shape[-1])

    def _from_rows(self, rows: np.ndarray, shape) -> np.ndarray:
        if self._axis == len(shape) - 1:
            return rows.reshape(shape)
        moved_shape = (*shape[: self._axis], *shape[self._axis + 1 :], shape[self._axis])
        return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), -1, self._axis))

    def _gamma(self, dtype):
        return self.params["gamma"] if self.scale else np.ones(self._channels, dtype)

    def _beta(self, dtype):
        return self.params["beta"] if self.center else np.zeros(self._channels, dtype)

    # -- running ----------------------------------------------------------------------------------
    def forward(self, x, training=False):
        rows = self._to_rows(x)
        self._channels = rows.shape[1]
        gamma, beta = self._gamma(rows.dtype), self._beta(rows.dtype)
        batch_stats = bool(training and self.trainable)
        if batch_stats:
            out, mean, variance, inv_std = backend.nn.batchnorm_forward(rows, gamma, beta, self.epsilon)
            self._update_moving(mean, variance)
        else:
            moving = self.state["moving_mean"], self.state["moving_variance"]
            out, mean, _, inv_std = backend.nn.batchnorm_forward(rows, gamma, beta, self.epsilon, *moving)
        # the rows are kept by reference (never written); backward recomputes x − mean from them
        self._cache = (x.shape, rows, mean, inv_std, batch_stats)
        return self._from_rows(out, x.shape)

    def _update_moving(self, mean, variance):
        """``moving = moving·momentum + batch·(1 − momentum)``, in place: models and files hold these arrays."""
        for key, batch in (("moving_mean", mean), ("moving_variance", variance)):
            moving = self.state[key]
            moving *= moving.dtype.type(self.momentum)
            moving += (batch * (1.0 - self.momentum)).astype(moving.dtype, copy=False)

    def backward(self, dy):
        return self._backward(dy, need_dx=True)

    def backward_weights(self, dy) -> None:
        self._backward(dy, need_dx=False)

    def _backward(self, dy, need_dx):
        shape, rows, mean, inv_std, batch_stats = self._cache
        dy_rows = self._to_rows(dy)
        gamma = self._gamma(dy_rows.dtype)
        dx, dgamma, dbeta = backend.nn.batchnorm_backward(dy_rows, rows, mean, inv_std, gamma, batch_stats, need_dx)
        if self.scale:
            self.grads["gamma"] = dgamma
        if self.center:
            self.grads["beta"] = dbeta
        return None if dx is None else self._from_rows(dx, shape)

    def checked_weights(self, weights) -> list[np.ndarray]:
        """As ``Layer.checked_weights``, and a negative ``moving_variance`` is refused (√ of it is NaN)."""
        arrays = super().checked_weights(weights)
        index = [*self.params, *self.state].index("moving_variance")
        if np.any(arrays[index] < 0):
            raise invalid_described(
                f"weights[{index}]",
                f"a non-negative moving_variance for layer '{self.name}'",
                f"{int(np.sum(arrays[index] < 0))} negative values (smallest {float(arrays[index].min())!r})",
            )
        return arrays

    # -- description ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": serialized(self.beta_regularizer),
            "gamma_regularizer": serialized(self.gamma_regularizer),
            "beta_constraint": serialized(self.beta_constraint),
            "gamma_constraint": serialized(self.gamma_constraint),
        }
