"""Sliding-window geometry shared by the layers and both op implementations.

Conventions: images are NHWC, ``window``/``kernel_size``/``pool_size`` are ``(kh, kw)``, ``strides``
``(sh, sw)``, and ``pads`` explicit zero-padding amounts ``(top, bottom, left, right)``. Along one axis of
input length ``n``: ``out = (n + pad_before + pad_after - k) // stride + 1``.
"""

from __future__ import annotations

import numpy as np


def conv_output_length(n: int, k: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Length of a convolution or pooling output along one axis of input length ``n``."""
    return (n + pad_before + pad_after - k) // stride + 1


def same_pads(n: int, k: int, stride: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding ``(before, after)`` for one axis: ``out = ceil(n / stride)`` and
    ``pad_total = max((out - 1)·stride + k - n, 0)``, the odd extra one after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def output_hw(x_shape, window, strides, pads) -> tuple[int, int]:
    """``(OH, OW)`` of a sliding window over an NHWC shape; raises ``ValueError`` if the output would be empty."""
    _, h, w, _ = x_shape
    (kh, kw), (sh, sw), (top, bottom, left, right) = window, strides, pads
    oh = conv_output_length(h, kh, sh, top, bottom)
    ow = conv_output_length(w, kw, sw, left, right)
    if oh < 1 or ow < 1:
        raise ValueError(
            f"Window {tuple(window)} with pads {tuple(pads)} does not fit input of spatial size {(h, w)}: "
            f"the output would be {(oh, ow)}."
        )
    return oh, ow


def window_slices(i: int, j: int, oh: int, ow: int, strides) -> tuple[slice, slice]:
    """Slices of a padded image picking, for every output position, the element at window offset (i, j)."""
    sh, sw = strides
    return slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)


def pad_images(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """x (N, H, W, C) with ``pads`` rows and columns of ``value`` around each image."""
    top, bottom, left, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def window_counts(x_shape, pool_size, strides, pads, dtype) -> np.ndarray:
    """(OH, OW) number of real (non-padded) elements under each pooling window, in ``dtype``."""
    _, h, w, _ = x_shape
    oh, ow = output_hw(x_shape, pool_size, strides, pads)
    real = pad_images(np.ones((1, h, w, 1), dtype=dtype), pads)[0, :, :, 0]
    counts = np.zeros((oh, ow), dtype=dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            counts += real[window_slices(i, j, oh, ow, strides)]
    return counts
