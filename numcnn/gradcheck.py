"""Numerical gradient checking by central differences, for any layer or loss.

``numerical_gradient(f, x)`` estimates ``∂f/∂x`` of a scalar function by ``(f(x+ε) − f(x−ε)) / 2ε`` per
element; ``check_layer`` compares a layer's ``backward`` against it for the input and every parameter,
in float64, with the loss ``Σ y·r`` for a fixed random ``r`` (so ``dy = r``). Use float64 layers:
in float32 the differences drown in rounding.
"""

from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to ``x``, perturbed in place.

    ``x`` is any float64 array that ``f`` reads; it is restored exactly after each probe.
    """
    if x.dtype != np.float64:
        raise TypeError(f"Invalid value for argument 'x': expected a float64 array. Received: x.dtype={x.dtype}")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):  # indexing in place: a reshape of a strided view would be a copy
        old = x[index]
        x[index] = old + eps
        plus = f()
        x[index] = old - eps
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``‖a − n‖ / (‖a‖ + ‖n‖)`` in the 2-norm; 0 when both are zero.

    A norm ratio rather than an elementwise one: elements that are zero up to rounding would make an
    elementwise ratio meaningless, while a wrong gradient moves the norm of the difference.
    """
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if a.shape != n.shape:
        raise ValueError(f"Gradient shapes differ: analytic {a.shape}, numeric {n.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")  # a NaN gradient must never pass a check
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / denom) if denom > 0 else 0.0


def check_layer(
    layer, x: np.ndarray, rng: np.random.Generator | None = None, eps: float = 1e-6, training: bool = False
) -> dict[str, float]:
    """Compare ``layer.backward`` with central differences for ``x`` and every trainable parameter.

    ``layer`` must be built in float64 (``dtype='float64'``) and ``x`` float64 of its input shape.
    Returns ``{"x": err, "kernel": err, …}`` with the relative error of each gradient.
    """
    # A seed of its own: the probe must not equal an input drawn from a test's default_rng(0).
    rng = rng or np.random.default_rng(20261126)
    if not layer.built:
        layer.build((None, *x.shape[1:]))
    x = x.copy()
    probe = rng.standard_normal(layer.forward(x, training=training).shape)

    def loss():
        return float(np.sum(layer.forward(x, training=training) * probe))

    layer.forward(x, training=training)
    dx = layer.backward(probe.copy())
    analytic = {"x": dx, **{name: g.copy() for name, g in layer.grads.items()}}
    errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, eps))}
    for name, param in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(loss, param, eps))
    return errors


def check_function(f, grad_f, x: np.ndarray, eps: float = 1e-6) -> float:
    """Relative error between ``grad_f(x)`` and the central-difference gradient of scalar ``f(x)``."""
    x = np.array(x, dtype=np.float64)
    analytic = grad_f(x.copy())
    numeric = numerical_gradient(lambda: f(x), x, eps)
    return relative_error(analytic, numeric)
