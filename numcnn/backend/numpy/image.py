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
    ``constant`` leaves them, and taps outside read the fill value. TensorFlow's arithmetic, truncations included;
    only the coordinates outside the image are touched."""
    outside = (c < 0) | (c > n - 1)
    if fill_mode == "constant" or not outside.any():
        return c
    v = c[outside]
    if n <= 1:
        v = np.zeros_like(v)
    elif fill_mode == "reflect":
        period = 2 * n
        below = period * np.trunc(-v / period) + v
        below = np.where(below < -n, below + period, -below - 1)
        above = v - period * np.trunc(v / period)
        above = np.where(above >= n, period - above - 1, above)
        v = np.where(v < 0, below, above)
    elif fill_mode == "wrap":
        v = np.where(v < 0, v + n * (np.trunc(-v / (n - 1)) + 1), v - n * np.trunc(v / (n - 1)))
    c = c.copy()
    c[outside] = np.clip(v, 0, n - 1)
    return c


def _round_half_away(c: np.ndarray) -> np.ndarray:
    # std::round, not NumPy's round-half-to-even: 2.5 -> 3
    return np.where(c >= 0, np.floor(c + 0.5), np.ceil(c - 0.5))


def affine_taps(shape, transforms: np.ndarray, interpolation: str, fill_mode: str, dtype=np.float64):
    """The taps of a projective transform of images of NHWC ``shape``.

    ``transforms`` (N, 8) float: row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps output pixel (x=column, y=row) to
    the input point ``((a0·x + a1·y + a2)/k, (b0·x + b1·y + b2)/k)``, ``k = c0·x + c1·y + 1`` (TensorFlow's and
    Keras' convention). Returns ``(index, weight)``, both (N, H·W, T) with T = 4 taps (bilinear) or 1 (nearest):
    ``index`` (int64) the flat input pixel ``row·W + column``, or -1 where the tap reads the fill value;
    ``weight`` in ``dtype`` (coordinates are computed in it too, float32 as TensorFlow does, or float64),
    summing to 1 per pixel.
    """
    n, h, w, _ = shape
    t = np.asarray(transforms, dtype).reshape(n, 8, 1)
    rows, cols = np.divmod(np.arange(h * w, dtype=dtype), dtype.type(w))
    k = t[:, 6] * cols + t[:, 7] * rows + 1
    infinite = k == 0  # TensorFlow returns the fill value there
    if infinite.any():
        k = np.where(infinite, 1, k)
    x = _map_coordinates((t[:, 0] * cols + t[:, 1] * rows + t[:, 2]) / k, w, fill_mode)
    y = _map_coordinates((t[:, 3] * cols + t[:, 4] * rows + t[:, 5]) / k, h, fill_mode)
    if interpolation == "nearest":
        yi, xi = _round_half_away(y).astype(np.int64), _round_half_away(x).astype(np.int64)
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w) & ~infinite
        return np.where(inside, yi * w + xi, -1)[..., None], np.ones((*yi.shape, 1), dtype)
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = y - y0, x - x0
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    rows_in = ((y0 >= 0) & (y0 < h) & ~infinite, (y0 >= -1) & (y0 < h - 1) & ~infinite)  # rows y0 and y0 + 1
    cols_in = ((x0 >= 0) & (x0 < w), (x0 >= -1) & (x0 < w - 1))
    base = y0 * w + x0
    index = np.stack([np.where(rows_in[a] & cols_in[b], base + a * w + b, -1) for a in (0, 1) for b in (0, 1)], -1)
    weight = np.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx], -1)
    if infinite.any():  # one tap of weight 1 on the fill value
        weight[infinite] = np.eye(1, 4, dtype=dtype)
    return index, weight


def _dtype(array) -> np.dtype:
    return array.dtype if array.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def affine_transform(images: np.ndarray, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Resample ``images`` (N, H, W, C) through one projective transform per image (see :func:`affine_taps`).

    Returns (N, H, W, C) in the images' dtype: each output pixel is its taps' weighted sum, a tap outside the
    image reading ``fill_value`` (which only ``'constant'`` mode, or a point at infinity, can reach).
    """
    n, h, w, c = images.shape
    index, weight = affine_taps(images.shape, transforms, interpolation, fill_mode, _dtype(images))
    pixels = images.reshape(n * h * w, c)
    first = np.arange(n)[:, None] * (h * w)
    out = np.zeros((n, h * w, c), dtype=images.dtype)
    fill = np.zeros((n, h * w), dtype=weight.dtype)
    for t in range(index.shape[-1]):  # one tap at a time: no (N, H·W, T, C) array
        live = index[..., t] >= 0
        out += (
            np.take(pixels, first + np.where(live, index[..., t], 0), axis=0)
            * np.where(live, weight[..., t], 0).astype(images.dtype)[..., None]
        )
        fill += np.where(live, 0, weight[..., t])
    if fill_value != 0:
        out += (fill * fill_value).astype(images.dtype)[..., None]
    return out.reshape(n, h, w, c)


def affine_transform_backward(dy: np.ndarray, transforms, interpolation="bilinear", fill_mode="constant"):
    """The adjoint of :func:`affine_transform` for fixed transforms: dy (N, H, W, C) → dx (N, H, W, C), dy's dtype.
    Each output pixel's gradient goes back to its taps with their weights (the fill value has no gradient)."""
    n, h, w, c = dy.shape
    index, weight = affine_taps(dy.shape, transforms, interpolation, fill_mode, _dtype(dy))
    live = index >= 0
    rows = (np.arange(n)[:, None, None] * (h * w) + np.where(live, index, 0)).ravel()  # dead taps: weight 0
    share = np.where(live, weight, 0).reshape(n * h * w, -1)  # (N·H·W output pixels, T)
    g = dy.reshape(n * h * w, c)
    dx = np.empty((n * h * w, c), dtype=dy.dtype)
    for channel in range(c):  # bincount sums in index order: deterministic
        dx[:, channel] = np.bincount(rows, weights=(share * g[:, channel : channel + 1]).ravel(), minlength=n * h * w)
    return dx.reshape(n, h, w, c)


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
