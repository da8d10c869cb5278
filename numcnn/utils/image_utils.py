"""Keras' image helpers, through Pillow: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

Pillow is an optional dependency: ``pip install 'numcnn[image]'``. Without it these raise an
``ImportError`` that says so; the rest of numcnn never needs it.
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings

import numpy as np

from numcnn import backend
from numcnn._checks import invalid, numeric_dtype, one_of

_PIL_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """``PIL.Image``, or an ``ImportError`` naming the extra to install."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            f"numcnn's image utilities need Pillow, which is not installed: pip install 'numcnn[image]' ({err})"
        ) from err
    return Image


def _data_format(data_format) -> str:
    return backend.standardize_data_format(data_format)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Load an image file (or an ``io.BytesIO``) as a PIL image, converted to ``color_mode`` (``'rgb'``,
    ``'rgba'`` or ``'grayscale'``; 16- and 32-bit grayscale stay as they are) and, if ``target_size=(height,
    width)`` is given, resized with Pillow's ``interpolation`` (``'nearest'``, ``'bilinear'``, ``'bicubic'``,
    ``'hamming'``, ``'box'``, ``'lanczos'``). ``keep_aspect_ratio=True`` first crops the centre to the target's
    aspect ratio. Keras' semantics; the file is read whole and closed before decoding."""
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(pathlib.Path(os.fsdecode(path)).resolve(), "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    color_mode = one_of("color_mode", color_mode, ("grayscale", "rgb", "rgba"))
    wanted = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
    if img.mode != wanted and not (color_mode == "grayscale" and img.mode in ("L", "I;16", "I")):
        img = img.convert(wanted)
    if target_size is None:
        return img
    if not (isinstance(target_size, (tuple, list)) and len(target_size) == 2):
        raise invalid("target_size", "a (height, width) pair of positive integers", target_size, TypeError)
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    if interpolation not in _PIL_RESAMPLING:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(_PIL_RESAMPLING)}"
        )
    resample = getattr(Image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    target_width, target_height = width_height
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(width_height, resample, box=(left, top, left + crop_width, top + crop_height))


def img_to_array(img, data_format=None, dtype=None) -> np.ndarray:
    """A PIL image (or anything array-like) as a 3-D array ``(H, W, C)`` (``(C, H, W)`` for channels_first)
    of ``dtype`` (``floatx()`` by default); a grayscale image gets a channel axis of 1."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=numeric_dtype(dtype, backend.floatx()))
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array ``(H, W, C)`` with 1, 3 or 4 channels as a PIL image (``'L'``, ``'RGB'``, ``'RGBA'``;
    ``'I'`` for 1 channel above 255). ``scale=True`` maps the array's minimum to 0 and maximum to 255 first."""
    Image = pil_image()
    data_format = _data_format(data_format)
    x = np.array(x, dtype=numeric_dtype(dtype, backend.floatx()))
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3-D array as an image file; the format comes from ``path``'s extension unless
    ``file_format`` is given (it must be, for a file object). ``kwargs`` go to ``PIL.Image.save``."""
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)
