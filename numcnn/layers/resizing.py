"""``Resizing``: Keras 3's preprocessing layer that resizes a batch of images to a fixed height and width.

Every interpolation ``tf.image.resize`` offers (``antialias=False``) is linear and separable: one
``(height, H)`` matrix for the rows and one ``(width, W)`` matrix for the columns
(:func:`numcnn.utils.image_resize.axis_weights` makes them, with TF's half-pixel centres), so the forward pass is
``y[n] = R · x[n] · Cᵀ`` per channel and the backward pass is its adjoint ``dx[n] = Rᵀ · dy[n] · C``.
``crop_to_aspect_ratio=True`` first takes the largest centred crop of the target's aspect ratio, as
Keras does; its backward pass puts the gradient back inside the crop and zeros around it.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import flag, invalid, one_of, positive_int
from numcnn.layers.base import Layer
from numcnn.utils.image_resize import axis_weights

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


class Resizing(Layer):
    """``Resizing(height, width, interpolation="bilinear", crop_to_aspect_ratio=False)``.

    ``(N, H, W, C)`` images (any numeric dtype) → ``(N, height, width, C)`` in the layer's float type
    (``channels_first``: ``(N, C, H, W)`` → ``(N, C, height, width)``). The values are those of
    ``tf.image.resize``, which Keras 3 calls on its TensorFlow backend; computed in float64 and then cast.

    Not supported, and refused by name: ``pad_to_aspect_ratio=True`` and ``antialias=True``. Not yet in
    model files: the class waits for its entry in the Keras config table (numcnn.saving.keras_config) before
    it joins the layer registry, so ``load_model`` refuses a model holding one by name.
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        self.height = positive_int("height", height)
        self.width = positive_int("width", width)
        self.interpolation = one_of("interpolation", interpolation, _INTERPOLATIONS)
        self.crop_to_aspect_ratio = flag("crop_to_aspect_ratio", crop_to_aspect_ratio)
        if flag("pad_to_aspect_ratio", pad_to_aspect_ratio):
            raise invalid("pad_to_aspect_ratio", "False (numcnn's Resizing does not pad)", pad_to_aspect_ratio)
        if flag("antialias", antialias):
            raise invalid("antialias", "False (numcnn's Resizing does not antialias)", antialias)
        self.fill_mode = one_of("fill_mode", fill_mode, ("constant",))
        self.fill_value = float(fill_value)
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._axes = (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise invalid("input_shape", "a shape of rank 4 (a batch of images)", tuple(input_shape))
        shape = list(input_shape)
        shape[self._axes[0]], shape[self._axes[1]] = self.height, self.width
        return tuple(shape)

    def build(self, input_shape):
        super().build(input_shape)
        rows, columns = (self.input_shape[a] for a in self._axes)
        top, left, crop_rows, crop_columns = self._crop(rows, columns)
        self._window = (slice(top, top + crop_rows), slice(left, left + crop_columns))
        self._rows = axis_weights(crop_rows, self.height, self.interpolation)
        self._columns = axis_weights(crop_columns, self.width, self.interpolation)

    def _crop(self, rows: int, columns: int) -> tuple[int, int, int, int]:
        """``(top, left, crop height, crop width)``: the whole image, or Keras' centred crop."""
        if not self.crop_to_aspect_ratio:
            return 0, 0, rows, columns
        crop_rows = max(min(rows, int(float(columns * self.height) / self.width)), 1)
        crop_columns = max(min(columns, int(float(rows * self.width) / self.height)), 1)
        return int(float(rows - crop_rows) / 2), int(float(columns - crop_columns) / 2), crop_rows, crop_columns

    def _index(self) -> tuple:
        window = [slice(None)] * 4
        window[self._axes[0]], window[self._axes[1]] = self._window
        return tuple(window)

    def _spec(self) -> str:
        return "ai,ncij,bj->ncab" if self.data_format == "channels_first" else "ai,nijc,bj->nabc"

    def forward(self, x, training=False):
        self._input_dtype_shape = (x.dtype, x.shape)
        crop = np.asarray(x[self._index()], dtype=np.float64)
        return np.einsum(self._spec(), self._rows, crop, self._columns, optimize=True).astype(x.dtype)

    def backward(self, dy):
        dtype, shape = self._input_dtype_shape
        inputs, output = self._spec().split("->")
        rows, image, columns = inputs.split(",")
        adjoint = f"{rows},{output},{columns}->{image}"
        dx = np.zeros(shape, dtype=dtype)
        dx[self._index()] = np.einsum(adjoint, self._rows, np.asarray(dy, np.float64), self._columns, optimize=True)
        return dx

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": False,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": False,
            "data_format": self.data_format,
        }
