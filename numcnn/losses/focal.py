"""Focal crossentropies (Lin et al., 2017), as Keras 3 computes them, each as a class and as a function.

A focal factor ``(1 − p_t)^γ`` down-weights the entries a model already gets right (``p_t`` is the probability
given to the target), so the loss concentrates on the hard ones; ``γ = 0`` leaves plain crossentropy (times
``α`` for the categorical one). Both reduce ``axis`` as their crossentropies do: ``(N, …, K) -> (N, …)``.

Probabilities are clipped to ``[ε, 1 − ε]`` (ε = 1e-7) where Keras clips them, and the clip passes no gradient
where it bites (at its bounds it still does, as TensorFlow's). The binary focal factor uses the unclipped
probability, as Keras does, so at ``p`` exactly 0 or 1 only the factor moves the loss.
"""

from __future__ import annotations

import numbers

import numpy as np

from numcnn._checks import finite_number, flag, fraction, integer, invalid
from numcnn.losses.loss import EPSILON, spread
from numcnn.losses.probabilistic import ClassAxisLoss, _class_axis, _sigmoid, _softmax


def _power_and_slope(u: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(u^γ, γ·u^(γ−1))`` for ``u ≥ 0``; at ``u = 0`` the slope is its limit (0 for γ = 0 or γ > 1, 1 for
    γ = 1, ∞ for 0 < γ < 1), where the plain formula would give ``0·∞``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        power = u**gamma
        at_zero = 0.0 if gamma == 0 or gamma > 1 else (1.0 if gamma == 1 else np.inf)
        slope = np.where(u == 0, at_zero, gamma * np.where(u == 0, 1, u) ** (gamma - 1))
    return power, slope.astype(u.dtype, copy=False)


def _gamma(gamma) -> float:
    return finite_number("gamma", gamma, low=0.0)


# -- binary --------------------------------------------------------------------------------------------------
def binary_focal_crossentropy(
    y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """``mean(w·(1 − p_t)^γ·bce)`` over ``axis``: ``(N, …, K), (N, …, K) -> (N, …)``.

    ``p_t = y·p + (1 − y)·(1 − p)``; ``w = α·y + (1 − α)·(1 − y)`` with ``apply_class_balancing``, else 1;
    ``label_smoothing`` ``s`` replaces ``y`` by ``y·(1 − s) + s/2``.
    """
    loss = BinaryFocalCrossentropy(
        apply_class_balancing=apply_class_balancing,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )
    return loss.values(y_true, y_pred)


class BinaryFocalCrossentropy(ClassAxisLoss):
    """Focal crossentropy of independent yes/no targets in ``[0, 1]``, e.g. ``(N, 1)`` after a sigmoid.

    ``BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size', name='binary_focal_crossentropy')``.
    ``alpha`` in ``[0, 1]`` weighs class 1 (class 0 gets ``1 − α``) only with ``apply_class_balancing``.
    With ``from_logits=True`` the crossentropy comes from the logits (``max(z, 0) − z·y + log1p(e^−|z|)``, never
    clipped) and the focal factor from ``sigmoid(z)``, as Keras' TensorFlow backend computes it (its JAX and
    PyTorch backends clip ``sigmoid(z)`` instead; the two differ only where ``|z|`` exceeds about 16).
    """

    function = staticmethod(binary_focal_crossentropy)

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
    ):
        super().__init__(name=name, reduction=reduction)
        self.apply_class_balancing = flag("apply_class_balancing", apply_class_balancing)
        self.alpha = fraction("alpha", alpha, high_inclusive=True)
        self.gamma = _gamma(gamma)
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        self.axis = integer("axis", axis)

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }

    def _parts(self, y_true, y_pred):
        """``(t, p, bce, u = 1 − p_t, class weight)``, each of y_pred's shape (the weight may be a scalar)."""
        s = self.label_smoothing
        t = y_true * (1.0 - s) + 0.5 * s if s else y_true
        if self.from_logits:
            z = y_pred
            p = _sigmoid(z)
            bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        else:
            p = y_pred
            c = np.clip(p, EPSILON, 1.0 - EPSILON)
            bce = -(t * np.log(c) + (1 - t) * np.log(1 - c))
        u = 1 - (t * p + (1 - t) * (1 - p))
        w = t * self.alpha + (1 - t) * (1 - self.alpha) if self.apply_class_balancing else 1.0
        return t, p, bce, u, w

    def call(self, y_true, y_pred):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        _, _, bce, u, w = self._parts(y_true, y_pred)
        factor, _ = _power_and_slope(u, self.gamma)
        return np.mean(w * factor * bce, axis=axis)

    def call_backward(self, y_true, y_pred, upstream):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        g = spread(upstream, axis) / y_pred.shape[axis]
        t, p, bce, u, w = self._parts(y_true, y_pred)
        factor, slope = _power_and_slope(u, self.gamma)
        du_dp = 1 - 2 * t
        if self.from_logits:  # d/dz: dp/dz = p(1 − p), dbce/dz = p − t
            return g * w * (slope * du_dp * p * (1 - p) * bce + factor * (p - t))
        inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        c = np.where(inside, p, 0.5)
        dbce = np.where(inside, (c - t) / (c * (1 - c)), 0.0)
        return g * w * (slope * du_dp * bce + factor * dbce)


# -- categorical ---------------------------------------------------------------------------------------------
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """``−Σ α·(1 − p)^γ·y·log p`` over ``axis``: ``(N, …, K), (N, …, K) -> (N, …)``.

    Probabilities (``softmax(y_pred)`` with ``from_logits``) are normalised to sum to 1 along ``axis``, then
    clipped, and the clipped value feeds both the log and the factor; ``label_smoothing`` ``s`` replaces ``y``
    by ``y·(1 − s) + s/K``. ``alpha`` is a number or one weight per class (broadcast against the last axis).
    """
    loss = CategoricalFocalCrossentropy(
        alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
    )
    return loss.values(y_true, y_pred)


def _class_weights(alpha):
    """A number ≥ 0 as a float, or a list of them (one per class) as a list of floats."""
    if isinstance(alpha, (list, tuple, np.ndarray)):
        values = list(np.asarray(alpha).reshape(-1)) if isinstance(alpha, np.ndarray) else list(alpha)
        if not values or not all(isinstance(a, numbers.Real) and not isinstance(a, bool) for a in values):
            raise invalid("alpha", "a number ≥ 0 or a list of them, one per class", alpha, TypeError)
        return [finite_number("alpha", a, low=0.0) for a in values]
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool):
        raise invalid("alpha", "a number ≥ 0 or a list of them, one per class", alpha, TypeError)
    return finite_number("alpha", alpha, low=0.0)


class CategoricalFocalCrossentropy(ClassAxisLoss):
    """Focal crossentropy of one-hot (or any distribution) targets ``(N, …, K)`` and predictions of that shape.

    ``CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
    reduction='sum_over_batch_size', name='categorical_focal_crossentropy')``. There is no fused softmax head:
    the factor makes the logits' gradient no simpler than the chain rule through the softmax.
    """

    function = staticmethod(categorical_focal_crossentropy)

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
    ):
        super().__init__(name=name, reduction=reduction)
        self.alpha = _class_weights(alpha)
        self.gamma = _gamma(gamma)
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        self.axis = integer("axis", axis)

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }

    def _alpha(self, y_pred):
        alpha = np.asarray(self.alpha, dtype=y_pred.dtype)
        if alpha.ndim and alpha.shape[0] not in (1, y_pred.shape[-1]):
            raise ValueError(
                f"Invalid value for argument 'alpha': expected one weight per class, {y_pred.shape[-1]} for y_pred "
                f"of shape {y_pred.shape}. Received: alpha={self.alpha!r}"
            )
        return alpha

    def _parts(self, y_true, y_pred, axis):
        """``(t, probabilities s, their sum, q = s/Σs, clipped q)``."""
        s = self.label_smoothing
        t = y_true * (1.0 - s) + s / y_pred.shape[axis] if s else y_true
        probs = _softmax(y_pred, axis) if self.from_logits else y_pred
        total = np.sum(probs, axis=axis, keepdims=True)
        q = probs / total
        return t, probs, total, q, np.clip(q, EPSILON, 1.0 - EPSILON)

    def call(self, y_true, y_pred):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        alpha = self._alpha(y_pred)
        t, _, _, _, c = self._parts(y_true, y_pred, axis)
        return np.sum(alpha * (1 - c) ** self.gamma * (-t * np.log(c)), axis=axis)

    def call_backward(self, y_true, y_pred, upstream):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        alpha, g = self._alpha(y_pred), spread(upstream, axis)
        t, probs, total, q, c = self._parts(y_true, y_pred, axis)
        factor, slope = _power_and_slope(1 - c, self.gamma)  # 1 − c ≥ ε: the slope is finite
        # e = −α·t·(1 − c)^γ·log c, so de/dc = α·t·(γ(1 − c)^(γ−1)·log c − (1 − c)^γ / c)
        de_dc = alpha * t * (slope * np.log(c) - factor / c)
        inside = (q >= EPSILON) & (q <= 1.0 - EPSILON)
        dq = np.where(inside, de_dc, 0.0) * g
        # q = s / Σs, so dL/ds = (dq − Σ dq·q) / Σs
        ds = (dq - np.sum(dq * q, axis=axis, keepdims=True)) / total
        if not self.from_logits:
            return ds
        return probs * (ds - np.sum(ds * probs, axis=axis, keepdims=True))  # through the softmax
