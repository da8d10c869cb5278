"""Batch normalization on ``(M, C)`` rows (channels last, every other axis flattened), forward and backward.

``gamma`` and ``beta`` are ``(C,)`` arrays (ones and zeros for a layer without ``scale`` or ``center``); the
statistics are per channel over the M rows; results come in the rows' dtype.
"""

from __future__ import annotations

import numpy as np


def batchnorm_forward(rows: np.ndarray, gamma, beta, epsilon: float, mean=None, variance=None):
    """``(out, mean, variance, inv_std)``: out (M, C) = gamma·(rows − mean)/√(variance + ε) + beta.

    Without ``mean``/``variance`` (training), the batch's mean and biased variance (from the centred values:
    stable where E[x²] − mean² would cancel); with them (inference, the moving statistics), those."""
    dtype = rows.dtype.type
    centered = None
    if mean is None:
        mean = np.einsum("ij->j", rows) / dtype(rows.shape[0])
        centered = rows - mean
        variance = np.einsum("ij,ij->j", centered, centered) / dtype(rows.shape[0])
    inv_std = (1.0 / np.sqrt(variance + dtype(epsilon))).astype(rows.dtype, copy=False)
    gain = gamma * inv_std
    if centered is not None:
        out = centered * gain
        out += beta
    else:  # inference: a per-channel affine map
        out = rows * gain
        out += beta - mean * gain
    return out, mean, variance, inv_std


def batchnorm_backward(dy: np.ndarray, rows: np.ndarray, mean, inv_std, gamma, batch_stats: bool, need_dx=True):
    """``(dx or None, dgamma, dbeta)`` from dy (M, C): ``dbeta = Σ dy``, ``dgamma = Σ dy·x̂`` with
    ``x̂ = (x − mean)·inv_std``, and with ``batch_stats`` (the forward used the batch's statistics)
    ``dx = gamma·inv_std·(dy − dbeta/M − x̂·dgamma/M)``, else ``gamma·inv_std·dy``."""
    dtype = dy.dtype.type
    centered = rows - mean
    dbeta = np.einsum("ij->j", dy)
    dgamma = np.einsum("ij,ij->j", dy, centered) * inv_std  # Σ dy·x̂ without forming x̂
    if not need_dx:
        return None, dgamma, dbeta
    gain = gamma * inv_std
    if not batch_stats:
        return dy * gain, dgamma, dbeta  # moving statistics are constants of x
    count = dtype(dy.shape[0])
    # dx = gain·dy − gain·dbeta/M − centered·(gain·inv_std·dgamma/M), one temporary
    dx = centered * (gain * inv_std * dgamma / count)
    np.subtract(dy * gain, dx, out=dx)
    dx -= gain * dbeta / count
    return dx, dgamma, dbeta
