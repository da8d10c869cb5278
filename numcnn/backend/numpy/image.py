"""Image resampling: projective transforms with TensorFlow's fill modes, and bilinear resizing, each with the
adjoint that its backward pass needs.

Both are linear maps of the image for fixed parameters: every output pixel is a weighted sum of a few input
pixels (its *taps*), plus a constant where a tap falls outside the image in ``'constant'`` mode. The forward
pass gathers the taps, the backward pass scatters the output gradient back along the same taps with the same
weights, which is exactly the transposed map. Images are NHWC; coordinates and weights are computed in float64.
"""

from __future__ import annotations

import numpy as np

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _map_coordinates(c: np.ndarray, n: int, fill_mode: str) -> np.ndarray:
    """Bring coordinates ``c`` along an axis of ``n`` pixels inside it as TensorFlow's ``ImageProjectiveTransformV3``
    does: ``reflect`` (d c b a | a b c d | d c b a), ``wrap`` (a b c d | a b c d), ``nearest`` (a a | a b c d | d d);
    ``constant`` leaves them, and taps outside read the fill value. TensorFlow's arithmetic, truncations included."""
    if fill_mode == "constant":
        return c
    if n <= 1:
        return np.zeros_like(c)
    if fill_mode == "reflect":
        period = 2 * n
        below = period * np.trunc(-c / period) + c
        below = np.where(below < -n, below + period, -below - 1)
        above = c - period * np.trunc(c / period)
        above = np.where(above >= n, period - above - 1, above)
    elif fill_mode == "wrap":
        below = c + n * (np.trunc(-c / (n - 1)) + 1)
        above = c - n * np.trunc(c / (n - 1))
    else:  # nearest
        below = above = c
    c = np.where(c < 0, below, np.where(c > n - 1, above, c))
    return np.clip(c, 0, n - 1)


def _round_half_away(c: np.ndarray) -> np.ndarray:
    # std::round, not NumPy's round-half-to-even: 2.5 -> 3
    return np.where(c >= 0, np.floor(c + 0.5), np.ceil(c - 0.5))


def affine_taps(shape, transforms: np.ndarray, interpolation: str, fill_mode: str):
    """The taps of a projective transform of images of NHWC ``shape``.

    ``transforms`` (N, 8) float: row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps output pixel (x=column, y=row) to
    the input point ``((a0·x + a1·y + a2)/k, (b0·x + b1·y + b2)/k)``, ``k = c0·x + c1·y + 1`` (TensorFlow's and
    Keras' convention). Returns ``(index, weight)``, both (N, H·W, T) with T = 4 taps (bilinear) or 1 (nearest):
    ``index`` the flat input pixel ``row·W + column``, or -1 where the tap reads the fill value; ``weight``
    float64, summing to 1 per pixel.
    """
    n, h, w, _ = shape
    t = np.asarray(transforms, np.float64).reshape(n, 8, 1)
    rows, cols = np.divmod(np.arange(h * w, dtype=np.float64), w)
    k = t[:, 6] * cols + t[:, 7] * rows + 1.0
    infinite = k == 0  # TensorFlow returns the fill value there
    k = np.where(infinite, 1.0, k)
    x = _map_coordinates((t[:, 0] * cols + t[:, 1] * rows + t[:, 2]) / k, w, fill_mode)
    y = _map_coordinates((t[:, 3] * cols + t[:, 4] * rows + t[:, 5]) / k, h, fill_mode)
    if interpolation == "nearest":
        taps_y, taps_x = _round_half_away(y)[..., None], _round_half_away(x)[..., None]
        weight = np.ones(taps_y.shape)
    else:
        y0, x0 = np.floor(y), np.floor(x)
        fy, fx = (y - y0)[..., None], (x - x0)[..., None]
        taps_y = y0[..., None] + np.array([0.0, 0.0, 1.0, 1.0])
        taps_x = x0[..., None] + np.array([0.0, 1.0, 0.0, 1.0])
        wy = np.concatenate([1 - fy, 1 - fy, fy, fy], axis=-1)
        wx = np.concatenate([1 - fx, fx, 1 - fx, fx], axis=-1)
        weight = wy * wx
    inside = (taps_y >= 0) & (taps_y < h) & (taps_x >= 0) & (taps_x < w) & ~infinite[..., None]
    index = np.where(inside, taps_y * w + taps_x, -1).astype(np.int64)
    if infinite.any():  # one tap of weight 1 on the fill value
        weight = np.where(infinite[..., None], np.eye(1, weight.shape[-1]), weight)
    return index, weight


def affine_transform(images: np.ndarray, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Resample ``images`` (N, H, W, C) through one projective transform per image (see :func:`affine_taps`).

    Returns (N, H, W, C) in the images' dtype: each output pixel is its taps' weighted sum, a tap outside the
    image reading ``fill_value`` (which only ``'constant'`` mode, or a point at infinity, can reach).
    """
    n, h, w, c = images.shape
    index, weight = affine_taps(images.shape, transforms, interpolation, fill_mode)
    flat = images.reshape(n, h * w, c)
    values = flat[np.arange(n)[:, None, None], np.maximum(index, 0)]  # (N, H·W, T, C)
    outside = index < 0
    inner = np.where(outside, 0.0, weight).astype(images.dtype)
    out = np.einsum("npt,nptc->npc", inner, values)
    if fill_value != 0 and outside.any():
        out += (np.sum(np.where(outside, weight, 0.0), axis=-1) * fill_value)[..., None].astype(images.dtype)
    return out.reshape(n, h, w, c)


def affine_transform_backward(dy: np.ndarray, transforms, interpolation="bilinear", fill_mode="constant"):
    """The adjoint of :func:`affine_transform` for fixed transforms: dy (N, H, W, C) → dx (N, H, W, C), dy's dtype.
    Each output pixel's gradient goes back to its taps with their weights (the fill value has no gradient)."""
    n, h, w, c = dy.shape
    index, weight = affine_taps(dy.shape, transforms, interpolation, fill_mode)
    inside = index >= 0
    contributions = np.where(inside, weight, 0.0)[..., None] * dy.reshape(n, h * w, 1, c)  # (N, H·W, T, C)
    target = (np.arange(n)[:, None, None] * (h * w) + np.maximum(index, 0))[..., None] * c + np.arange(c)
    dx = np.bincount(target.ravel(), weights=contributions.ravel(), minlength=n * h * w * c)
    return dx.reshape(n, h, w, c).astype(dy.dtype)


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of TensorFlow's half-pixel bilinear resize along one axis (``tf.image.resize``,
    no antialiasing): output o reads ``(o + ½)·n_in/n_out − ½``, clamped to the first and last pixels."""
    position = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.intp)
    upper = np.minimum(np.ceil(position), n_in - 1).astype(np.intp)
    frac = position - floor
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (np.arange(n_out), lower), 1.0 - frac)
    np.add.at(matrix, (np.arange(n_out), upper), frac)
    return matrix


def resize_bilinear(x: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of x (N, H, W, C) to ``size`` = (OH, OW) with half-pixel centres, as Keras'
    ``ops.image.resize(..., interpolation='bilinear')``: → (N, OH, OW, C), x's dtype."""
    rows = _bilinear_matrix(x.shape[1], size[0]).astype(x.dtype)
    cols = _bilinear_matrix(x.shape[2], size[1]).astype(x.dtype)
    return np.einsum("ah,nhwc,bw->nabc", rows, x, cols, optimize=True)


def resize_bilinear_backward(dy: np.ndarray, x_shape) -> np.ndarray:
    """The adjoint of :func:`resize_bilinear`: dy (N, OH, OW, C) → dx ``x_shape`` (N, H, W, C), dy's dtype."""
    rows = _bilinear_matrix(x_shape[1], dy.shape[1]).astype(dy.dtype)
    cols = _bilinear_matrix(x_shape[2], dy.shape[2]).astype(dy.dtype)
    return np.einsum("ah,nabc,bw->nhwc", rows, dy, cols, optimize=True)
