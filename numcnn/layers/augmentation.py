"""Image augmentation layers: ``RandomFlip``, ``RandomTranslation``, ``RandomRotation``, ``RandomZoom``,
``RandomContrast``, ``RandomBrightness`` and ``RandomGrayscale``, with Keras 3's arguments, factor semantics,
fill modes and draws per image.

They change images only when called with ``training=True`` (inside ``fit``); at inference (``predict``,
``evaluate``, a plain ``layer(x)``) they are the identity. Keras 3 also augments on a direct ``layer(x)`` call,
whose ``training`` defaults to True there; numcnn's layers default to inference everywhere, so pass
``training=True`` to augment outside ``fit``.

Every draw comes from the layer's own generator when it has a ``seed``, else from numcnn's
(``numcnn.utils.set_random_seed``), one draw per image and call. Inputs are batches of images, (N, H, W, C)
or (N, C, H, W) for ``channels_first``; Keras' unbatched single images are not taken. A transform is a linear
map of the image, so ``backward`` sends the gradient back through its adjoint (for a trainable layer before).
Interpolation and fill modes are TensorFlow's ``ImageProjectiveTransformV3``, in NumPy
(:mod:`numcnn.backend.numpy.image`).
"""

from __future__ import annotations

import math

import numpy as np

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import finite_number, fraction, invalid, non_negative_int, one_of
from numcnn.backend.numpy.image import FILL_MODES, INTERPOLATIONS
from numcnn.layers.base import Layer

_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _factor_range(name, value, low, high, low_inclusive=True):
    """Keras' factor: a number f gives (−|f|, |f|), a pair its sorted values; each inside the bounds."""
    bounds = f"{'[' if low_inclusive else '('}{low}, {high}]"
    expected = f"a number or a pair of numbers in {bounds}"

    def number(v):
        v = finite_number(name, v)
        if v > high or v < low or (v == low and not low_inclusive):
            raise invalid(name, expected, value)
        return v

    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise invalid(name, expected, value)
        lower, upper = sorted(number(v) for v in value)
        return lower, upper
    f = abs(number(value))
    return -f, f


def _value_range(value):
    """Keras' ``value_range``: a pair ``(low, high)`` of finite numbers, ``low < high``."""
    expected = "a pair (low, high) of numbers with low < high"
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise invalid("value_range", expected, value, TypeError)
    low, high = (finite_number("value_range", v) for v in value)
    if not low < high:
        raise invalid("value_range", expected, value)
    return low, high


class _RandomImageLayer(Layer):
    """What the augmentation layers share: the rank-4 check, layouts, seeding, and the training switch.

    A subclass writes ``draw(shape, rng)`` (the per-image parameters of one call, for NHWC ``shape``),
    ``transform(x, params)`` and ``transform_backward(dy, params)`` on NHWC arrays.
    """

    def __init__(self, seed=None, data_format=None, **kwargs):
        self.seed = None if seed is None else non_negative_int("seed", seed)
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._rng = None if seed is None else nrandom.resolve(seed=self.seed)
        self._params = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise invalid("input_shape", f"a batch of images, of rank 4, for layer '{self.name}'", tuple(input_shape))
        return tuple(input_shape)

    def _nhwc(self, x):
        return x.transpose(0, 2, 3, 1) if self.data_format == "channels_first" else x

    def _back(self, y):
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) if self.data_format == "channels_first" else y

    def forward(self, x, training=False):
        if not training:
            self._params = None
            return x
        nhwc = self._nhwc(x)
        self._params = self.draw(nhwc.shape, self._rng or nrandom.generator())
        return self._back(self.transform(nhwc, self._params).astype(x.dtype, copy=False))

    def backward(self, dy):
        if self._params is None:
            return dy
        return self._back(self.transform_backward(self._nhwc(dy), self._params).astype(dy.dtype, copy=False))

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class RandomFlip(_RandomImageLayer):
    """``RandomFlip(mode='horizontal_and_vertical', seed=None)``: each image is flipped with probability ½.

    As in Keras 3, one draw per image decides: in ``'horizontal_and_vertical'`` mode a chosen image is flipped
    both ways (turned by 180°), never one way only (Keras 2 drew the two flips independently). Parameters of a
    call: a bool (N,) of the images flipped. A flip is its own adjoint.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        self.mode = one_of("mode", mode, _FLIP_MODES)
        super().__init__(seed, data_format, **kwargs)

    def draw(self, shape, rng):
        return rng.random(shape[0]) <= 0.5

    def transform(self, x, flips):
        axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[self.mode]
        return np.where(flips[:, None, None, None], np.flip(x, axis=axes), x)

    transform_backward = transform

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    """An augmentation by a projective transform per image: ``matrices(shape, params)`` gives the (N, 8) rows of
    :func:`numcnn.backend.numpy.image.affine_taps`, which map output pixels to input points."""

    def __init__(self, fill_mode, interpolation, fill_value, seed, data_format, **kwargs):
        self.fill_mode = one_of("fill_mode", fill_mode, FILL_MODES)
        self.interpolation = one_of("interpolation", interpolation, INTERPOLATIONS)
        self.fill_value = finite_number("fill_value", fill_value)
        super().__init__(seed, data_format, **kwargs)

    def transform(self, x, params):
        matrices = self.matrices(x.shape, params)
        return backend.nn.affine_transform(x, matrices, self.interpolation, self.fill_mode, self.fill_value)

    def transform_backward(self, dy, params):
        matrices = self.matrices(dy.shape, params)
        return backend.nn.affine_transform_backward(dy, matrices, self.interpolation, self.fill_mode)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomTranslation(_AffineLayer):
    """``RandomTranslation(height_factor, width_factor, fill_mode='reflect', interpolation='bilinear', seed=None,
    fill_value=0.0)``: shift each image by a fraction of its size drawn uniformly from the factor's range.

    A factor f (in [−1, 1]) draws from [−|f|, |f|], a pair (lo, hi) from [lo, hi]; a positive shift moves the
    content down (height) or right (width). Parameters of a call: (N, 2) shifts in pixels, (width, height).
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_range("height_factor", height_factor, -1.0, 1.0)
        self._width = _factor_range("width_factor", width_factor, -1.0, 1.0)
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)

    def draw(self, shape, rng):
        n, h, w, _ = shape
        dy = rng.uniform(*self._height, size=n) * h
        dx = rng.uniform(*self._width, size=n) * w
        return np.stack([dx, dy], axis=1)

    def matrices(self, shape, shifts):
        n = shifts.shape[0]
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, zero, -shifts[:, 0], zero, one, -shifts[:, 1], zero, zero], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomRotation(_AffineLayer):
    """``RandomRotation(factor, fill_mode='reflect', interpolation='bilinear', seed=None, fill_value=0.0)``:
    turn each image about its centre by ``factor · 360°`` drawn uniformly (f in [−1, 1] gives [−|f|, |f|]·360°).

    Parameters of a call: (N,) angles in degrees; positive angles turn the content counter-clockwise.
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        self.factor = _factor_range("factor", factor, -1.0, 1.0)
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)

    def draw(self, shape, rng):
        return rng.uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, size=shape[0])

    def matrices(self, shape, degrees):
        _, h, w, _ = shape
        angle = degrees * (math.pi / 180.0)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
        zero = np.zeros_like(angle)
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomZoom(_AffineLayer):
    """``RandomZoom(height_factor, width_factor=None, fill_mode='reflect', interpolation='bilinear', seed=None,
    fill_value=0.0)``: zoom each image about its centre by ``1 + f``, f drawn uniformly from the factor's range.

    Factors lie in (−1, 1]; a positive one zooms *out* (the image shrinks inside the fill), a negative one in.
    Without ``width_factor`` both axes take the height's draw, keeping the aspect ratio. Parameters of a call:
    (N, 2) zooms (width, height).
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_range("height_factor", height_factor, -1.0, 1.0, low_inclusive=False)
        self._width = (
            None
            if width_factor is None
            else _factor_range("width_factor", width_factor, -1.0, 1.0, low_inclusive=False)
        )
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)

    def draw(self, shape, rng):
        zy = 1.0 + rng.uniform(*self._height, size=shape[0])
        zx = zy if self._width is None else 1.0 + rng.uniform(*self._width, size=shape[0])
        return np.stack([zx, zy], axis=1)

    def matrices(self, shape, zooms):
        _, h, w, _ = shape
        zx, zy = zooms[:, 0], zooms[:, 1]
        zero = np.zeros_like(zx)
        return np.stack([zx, zero, (w - 1) / 2.0 * (1.0 - zx), zero, zy, (h - 1) / 2.0 * (1.0 - zy), zero, zero], 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomContrast(_RandomImageLayer):
    """``RandomContrast(factor, value_range=(0, 255), seed=None)``: per image, ``y = clip((x − m)·c + m, *value_range)``
    with ``m`` the mean of each channel over height and width and ``c`` drawn uniformly from
    ``[1 − lower, 1 + upper]``.

    ``factor`` is Keras 3.15's: a pair ``(lower, upper)`` in [0, 1], or a number f, which Keras 3.15 turns into
    ``(0, f)`` — so ``RandomContrast(0.2)`` only ever raises the contrast, by up to 20 % (its docstring says
    [0.8, 1.2]; Keras 2 drew from [1 − f, 1 + f]). Parameters of a call: (N,) contrast factors. Backward passes
    the gradient where the clip did not bite (values on the bounds included, as TensorFlow's clip does).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        if isinstance(factor, (tuple, list)):
            self.factor = _factor_range("factor", factor, 0.0, 1.0)
        else:
            self.factor = (0.0, _factor_range("factor", factor, 0.0, 1.0)[1])
        self.value_range = _value_range(value_range)
        super().__init__(seed, kwargs.pop("data_format", None), **kwargs)

    def draw(self, shape, rng):
        return rng.uniform(1.0 - self.factor[0], 1.0 + self.factor[1], size=shape[0])

    def transform(self, x, factors):
        c = factors.astype(x.dtype)[:, None, None, None]
        mean = x.mean(axis=(1, 2), keepdims=True)
        z = (x - mean) * c + mean
        low, high = (x.dtype.type(v) for v in self.value_range)
        self._passes = (z >= low) & (z <= high)
        return np.clip(z, low, high)

    def transform_backward(self, dy, factors):
        c = factors.astype(dy.dtype)[:, None, None, None]
        dz = np.where(self._passes, dy, dy.dtype.type(0))
        return dz * c + (1 - c) * dz.mean(axis=(1, 2), keepdims=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range)}


class RandomBrightness(_RandomImageLayer):
    """``RandomBrightness(factor, value_range=(0, 255), seed=None)``: per image, ``y = clip(x + d, *value_range)``
    with ``d = f · (high − low)``, ``f`` drawn uniformly from the factor's range (the same shift for every pixel
    and channel of an image).

    ``factor``: a number f in [−1, 1] gives [−|f|, |f|], a pair (lo, hi) in [−1, 1] the range [lo, hi]; so
    ``RandomBrightness(0.2)`` on [0, 255] images adds up to ±51. Parameters of a call: (N,) shifts ``d`` in
    the images' units. Backward passes the gradient where the clip did not bite (values on the bounds included,
    as TensorFlow's clip does).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        self.factor = _factor_range("factor", factor, -1.0, 1.0)
        self.value_range = _value_range(value_range)
        super().__init__(seed, kwargs.pop("data_format", None), **kwargs)

    def draw(self, shape, rng):
        low, high = self.value_range
        return rng.uniform(self.factor[0], self.factor[1], size=shape[0]) * (high - low)

    def transform(self, x, shifts):
        z = x + shifts.astype(x.dtype)[:, None, None, None]
        low, high = (x.dtype.type(v) for v in self.value_range)
        self._passes = (z >= low) & (z <= high)
        return np.clip(z, low, high)

    def transform_backward(self, dy, shifts):
        return np.where(self._passes, dy, dy.dtype.type(0))

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range)}


# ITU-R 601 luma weights, as tf.image.rgb_to_grayscale (and Keras' backends) use them
_LUMA = np.array([0.2989, 0.5870, 0.1140])


class RandomGrayscale(_RandomImageLayer):
    """``RandomGrayscale(factor=0.5, data_format=None, seed=None)``: each image turns grey with probability
    ``factor`` (in [0, 1]): every channel becomes ``0.2989·R + 0.5870·G + 0.1140·B``.

    Images have 3 channels (RGB) or 1 (already grey: the layer passes them through). Parameters of a call: a
    bool (N,) of the images turned grey. Backward sends each grey pixel's summed gradient back to R, G and B by
    the same weights. Keras 3.15 leaves ``seed`` out of the layer's config, so a ``.keras`` file does not keep it
    (numcnn's ``get_config`` does).
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        self.factor = fraction("factor", factor, high_inclusive=True)
        super().__init__(seed, data_format, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        channels = shape[1 if self.data_format == "channels_first" else 3]
        if channels not in (1, 3):
            expected = f"images of 3 channels (RGB) or 1 (grey) for layer '{self.name}'"
            raise invalid("input_shape", expected, tuple(input_shape))
        return shape

    def draw(self, shape, rng):
        return rng.random(shape[0]) < self.factor

    def transform(self, x, grey):
        if x.shape[3] == 1:
            return x
        luma = (x @ _LUMA.astype(x.dtype))[..., None]
        return np.where(grey[:, None, None, None], luma, x)

    def transform_backward(self, dy, grey):
        if dy.shape[3] == 1:
            return dy
        weights = _LUMA.astype(dy.dtype)
        return np.where(grey[:, None, None, None], dy.sum(axis=3, keepdims=True) * weights, dy)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}
