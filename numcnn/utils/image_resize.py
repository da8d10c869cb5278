"""Resizing images in NumPy the way ``tf.image.resize`` does (``antialias=False``), for
``image_dataset_from_directory``.

Every method but ``nearest`` and ``area`` is a separable weighted sum: output pixel ``o`` of an axis of
``n_in → n_out`` samples the input at ``s = (o + 0.5)·n_in/n_out − 0.5`` (half-pixel centres), input pixel
``i`` weighs ``kernel(|s − i|)``, and the weights of each output pixel are normalised over the pixels
inside the image (so edges are not darkened). ``nearest`` takes pixel ``floor((o + 0.5)·n_in/n_out)``;
``area`` averages the input over the output pixel's footprint, partial pixels by their overlap.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn._checks import invalid, is_int, one_of


def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x):  # Keys (1981) with a = -0.5, TF's bicubic
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _mitchell_cubic(x):  # Mitchell-Netravali with B = C = 1/3
    near = (7.0 * x**3 - 12.0 * x**2 + 16.0 / 3.0) / 6.0
    far = (-7.0 / 3.0 * x**3 + 12.0 * x**2 - 20.0 * x + 32.0 / 3.0) / 6.0
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _gaussian(x):  # TF: radius 1.5, sigma = radius / 3
    sigma = 0.5
    return np.where(x < 1.5, np.exp(-(x**2) / (2.0 * sigma**2)), 0.0)


def _lanczos(radius):
    def kernel(x):
        safe = np.where(x > 1e-3, x, 1.0)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi**2 * safe**2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, value, 1.0))

    return kernel


_KERNELS = {
    "bilinear": _triangle,
    "bicubic": _keys_cubic,
    "mitchellcubic": _mitchell_cubic,
    "gaussian": _gaussian,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _bicubic_weights(n_in: int, n_out: int) -> np.ndarray:
    """TF's ``resize_bicubic``: Keys' cubic at the sample's offset rounded to 1/1024 (TF reads the weights from
    a 1025-entry table), in float32; the weights of pixels outside the image are dropped and the rest
    renormalised."""
    f32 = np.float32
    sample = (np.arange(n_out, dtype=f32) + f32(0.5)) * (f32(n_in) / f32(n_out)) - f32(0.5)
    base = np.floor(sample)
    x = np.rint((sample - base) * f32(1024)).astype(f32) / f32(1024)
    taps = np.stack([_keys_cubic(1 + x), _keys_cubic(x), _keys_cubic(1 - x), _keys_cubic(2 - x)], axis=1)
    index = base.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :]
    taps = np.where((index >= 0) & (index < n_in), taps, 0.0)
    taps /= taps.sum(axis=1, keepdims=True)
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.repeat(np.arange(n_out), 4), np.clip(index, 0, n_in - 1).ravel()), taps.ravel())
    return weights


def _weights(n_in: int, n_out: int, method: str) -> np.ndarray:
    """The ``(n_out, n_in)`` float64 matrix that resizes one axis."""
    scale = n_in / n_out
    if method == "bicubic":
        return _bicubic_weights(n_in, n_out)
    if method == "nearest":
        index = np.minimum(np.floor((np.arange(n_out) + 0.5) * scale).astype(np.int64), n_in - 1)
        weights = np.zeros((n_out, n_in))
        weights[np.arange(n_out), index] = 1.0
        return weights
    if method == "area":
        start = np.arange(n_out)[:, None] * scale
        pixel = np.arange(n_in)[None, :]
        overlap = np.minimum(pixel + 1, start + scale) - np.maximum(pixel, start)
        return np.maximum(overlap, 0.0) / scale
    sample = (np.arange(n_out) + 0.5) * scale - 0.5
    weights = _KERNELS[method](np.abs(sample[:, None] - np.arange(n_in)[None, :]))
    total = weights.sum(axis=1, keepdims=True)
    return np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps, weights / np.where(total, total, 1.0), 0.0)


def axis_weights(n_in: int, n_out: int, interpolation: str = "bilinear") -> np.ndarray:
    """The float64 ``(n_out, n_in)`` matrix that resizes one axis (``layers.Resizing`` uses it and its
    transpose, the backward pass)."""
    return _weights(n_in, n_out, interpolation)


def resize(image: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear") -> np.ndarray:
    """``(H, W, C)`` → float32 ``(size[0], size[1], C)``.

    Both axes are always filtered, as TF does: ``gaussian`` and ``mitchellcubic`` do not interpolate, so
    they blur an axis even where its size does not change (Keras' NumPy backend skips such an axis).
    """
    image = np.asarray(image, dtype=np.float64)
    rows = _weights(image.shape[0], size[0], interpolation)
    columns = _weights(image.shape[1], size[1], interpolation)
    return np.einsum("ai,ijc,bj->abc", rows, image, columns, optimize=True).astype(np.float32)


def aspect_window(rows: int, columns: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Keras' ``smart_resize`` window of a ``rows × columns`` image: ``(top, left, crop_rows, crop_columns)`` of
    the largest centred one with the aspect ratio ``height : width`` (Keras' float arithmetic, truncated)."""
    crop_rows = max(min(rows, int(float(columns * height) / width)), 1)
    crop_columns = max(min(columns, int(float(rows * width) / height)), 1)
    return int(float(rows - crop_rows) / 2), int(float(columns - crop_columns) / 2), crop_rows, crop_columns


def crop_to_aspect_ratio(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The largest centred ``(H, W, C)`` crop with the aspect ratio of ``size`` (Keras' ``smart_resize``)."""
    top, left, rows, columns = aspect_window(image.shape[0], image.shape[1], *size)
    return image[top : top + rows, left : left + columns]


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs) -> np.ndarray:
    """Keras' ``smart_resize``: an ``(H, W, C)`` image or ``(N, H, W, C)`` batch (``channels_first``: channels
    before the rows) resized to ``size = (height, width)`` without distorting it: the largest centred crop with
    the target's aspect ratio, then resized with ``interpolation``. Returns float32, as Keras' backends do."""
    unknown = sorted(set(kwargs) - {"backend_module"})
    if unknown:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {unknown}")
    if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(is_int(d) and d > 0 for d in size)):
        raise invalid("size", "a pair (height, width) of positive integers", size, TypeError)
    data_format = one_of("data_format", data_format, ("channels_last", "channels_first"))
    interpolation = one_of("interpolation", interpolation, tuple(sorted(_KERNELS) + ["area", "bicubic", "nearest"]))
    images = np.asarray(x)
    if images.ndim not in (3, 4) or images.dtype.kind not in "fiub":
        expected = "an image array of shape (height, width, channels) or (batch, height, width, channels)"
        raise invalid("x", expected, f"shape {images.shape} of dtype {images.dtype}")
    batch = images if images.ndim == 4 else images[None]
    if data_format == "channels_first":
        batch = np.moveaxis(batch, 1, -1)
    size = (int(size[0]), int(size[1]))
    out = np.stack([resize(crop_to_aspect_ratio(image, size), size, interpolation) for image in batch])
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, 1)
    return out if images.ndim == 4 else out[0]


def resize_with_pad(image: np.ndarray, size: tuple[int, int], interpolation: str) -> np.ndarray:
    """Resize keeping the aspect ratio, then pad with zeros to ``size``, as ``tf.image.resize_with_pad``
    (which computes the sizes in float32: so does this)."""
    f32 = np.float32
    height, width = f32(image.shape[0]), f32(image.shape[1])
    target_height, target_width = f32(size[0]), f32(size[1])
    ratio = max(width / target_width, height / target_height)
    resized_height, resized_width = height / ratio, width / ratio
    inner = resize(image, (int(math.floor(resized_height)), int(math.floor(resized_width))), interpolation)
    top = max(0, int(math.floor((target_height - resized_height) / f32(2))))
    left = max(0, int(math.floor((target_width - resized_width) / f32(2))))
    out = np.zeros((size[0], size[1], image.shape[2]), dtype=np.float32)
    out[top : top + inner.shape[0], left : left + inner.shape[1]] = inner
    return out
