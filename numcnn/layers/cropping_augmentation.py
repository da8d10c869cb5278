"""Cropping layers: ``RandomCrop`` (augmentation) and ``CenterCrop`` (preprocessing), Keras 3's layers that cut a
batch of images down to a fixed ``(height, width)``.

Every output is one *window* of the input, the same for the whole batch, resized to ``(height, width)`` by
``tf.image.resize``'s bilinear weights (:func:`numcnn.utils.image_resize.axis_weights`) when the window has
another size: ``y[n] = R · x[n, window] · Cᵀ`` per channel, ``R`` and ``C`` the identity for a plain crop.
The backward pass is its adjoint: ``Rᵀ · dy[n] · C`` scattered into zeros of the input's shape (the pixels
outside the window get no gradient).

Keras' rule for a window of an ``H × W`` image that does not simply fit (``smart_resize``): the largest
centred window of the target's aspect ratio, ``rows = max(min(H, int(W·height/width)), 1)``,
``columns = max(min(W, int(H·width/height)), 1)``, starting at ``int((H − rows)/2)``, ``int((W − columns)/2)``.
Inputs are batches (N, H, W, C), or (N, C, H, W) for ``channels_first``; Keras' unbatched single images are
not taken.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import invalid, non_negative_int, positive_int
from numcnn.layers.base import Layer
from numcnn.utils import image_resize
from numcnn.utils.image_resize import axis_weights


class Window(NamedTuple):
    """Rows ``top : top + rows`` and columns ``left : left + columns`` of the input images."""

    top: int
    left: int
    rows: int
    columns: int


def aspect_window(rows: int, columns: int, height: int, width: int) -> Window:
    """Keras' ``smart_resize`` window: the largest centred one with the aspect ratio ``height : width``."""
    return Window(*image_resize.aspect_window(rows, columns, height, width))


@lru_cache(maxsize=64)
def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    return axis_weights(n_in, n_out, "bilinear")


class _CropLayer(Layer):
    """What both crops share: arguments, shapes, and the window's forward and adjoint passes."""

    def __init__(self, height, width, data_format=None, **kwargs):
        self.height = positive_int("height", height)
        self.width = positive_int("width", width)
        self.data_format = backend.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self._axes = (2, 3) if self.data_format == "channels_first" else (1, 2)
        self._window = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise invalid("input_shape", f"a batch of images, of rank 4, for layer '{self.name}'", tuple(input_shape))
        shape = list(input_shape)
        shape[self._axes[0]], shape[self._axes[1]] = self.height, self.width
        return tuple(shape)

    def _sizes(self, shape) -> tuple[int, int]:
        return shape[self._axes[0]], shape[self._axes[1]]

    def _index(self, window: Window) -> tuple:
        index = [slice(None)] * 4
        index[self._axes[0]] = slice(window.top, window.top + window.rows)
        index[self._axes[1]] = slice(window.left, window.left + window.columns)
        return tuple(index)

    def _spec(self) -> str:
        return "ai,ncij,bj->ncab" if self.data_format == "channels_first" else "ai,nijc,bj->nabc"

    def _resizes(self, window: Window) -> bool:
        return (window.rows, window.columns) != (self.height, self.width)

    def crop(self, x: np.ndarray, window: Window) -> np.ndarray:
        """``x``'s ``window``, resized to ``(height, width)`` where it has another size; remembered for backward."""
        self._window, self._input = window, (x.dtype, x.shape)
        patch = x[self._index(window)]
        if not self._resizes(window):
            return patch.copy()
        rows, columns = _resize_matrix(window.rows, self.height), _resize_matrix(window.columns, self.width)
        return np.einsum(self._spec(), rows, patch.astype(np.float64), columns, optimize=True).astype(x.dtype)

    def backward(self, dy):
        window, (dtype, shape) = self._window, self._input
        dx = np.zeros(shape, dtype=dtype)
        if not self._resizes(window):
            dx[self._index(window)] = dy
            return dx
        inputs, output = self._spec().split("->")
        rows_spec, image, columns_spec = inputs.split(",")
        rows, columns = _resize_matrix(window.rows, self.height), _resize_matrix(window.columns, self.width)
        adjoint = f"{rows_spec},{output},{columns_spec}->{image}"
        dx[self._index(window)] = np.einsum(adjoint, rows, np.asarray(dy, np.float64), columns, optimize=True)
        return dx

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class CenterCrop(_CropLayer):
    """``CenterCrop(height, width, data_format=None)``: the central ``height × width`` window of each image, in
    training and inference alike.

    ``(N, H, W, C)`` → ``(N, height, width, C)``. Where ``H ≥ height`` and ``W ≥ width`` the window starts at
    ``((H − height) // 2, (W − width) // 2)`` (an odd margin leaves the extra pixel at the bottom and right).
    Where the image is smaller along either axis, Keras' ``smart_resize`` runs instead: the largest centred
    window of the target's aspect ratio (see the module), resized bilinearly to ``(height, width)``.
    """

    def window(self, rows: int, columns: int) -> Window:
        """The window of ``rows × columns`` images this layer takes."""
        if rows >= self.height and columns >= self.width:
            return Window((rows - self.height) // 2, (columns - self.width) // 2, self.height, self.width)
        return aspect_window(rows, columns, self.height, self.width)

    def forward(self, x, training=False):
        return self.crop(x, self.window(*self._sizes(x.shape)))


class RandomCrop(_CropLayer):
    """``RandomCrop(height, width, seed=None, data_format=None)``: in training, one random ``height × width``
    window per batch (every image of a call is cut at the same place, as in Keras); in inference, a fixed one.

    ``(N, H, W, C)`` → ``(N, height, width, C)``. Parameters of a call (``draw``): the :class:`Window`.

    - Training, ``H > height`` and ``W > width``: the top row is drawn uniformly from ``0 … H − height`` and
      the left column from ``0 … W − width`` (integers, top first), from the layer's generator when it has a
      ``seed``, else from numcnn's (``numcnn.utils.set_random_seed``).
    - Training otherwise (an axis as small as the target or smaller), Keras 3.15's rule, without a draw: the
      ``height × width`` window from the start of the ``smart_resize`` window, cut at the image's edge and
      resized bilinearly to ``(height, width)`` where the cut left it smaller. (Keras 2 drew a random crop
      where ``H ≥ height`` and ``W ≥ width`` and otherwise ran ``smart_resize``.)
    - Inference: ``smart_resize``, the largest centred window of the target's aspect ratio, resized bilinearly
      to ``(height, width)``, as Keras 3's docstring states and Keras 2 did. Keras 3.15.1 itself passes the
      images through uncut at inference, so its outputs there do not have the shape its
      ``compute_output_shape`` promises (keras-team/keras issue #21868); numcnn keeps the promised shape.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        self.seed = None if seed is None else non_negative_int("seed", seed)
        super().__init__(height, width, data_format, **kwargs)
        self._rng = None if seed is None else nrandom.resolve(seed=self.seed)

    def draw(self, shape, rng) -> Window:
        """The training window for images of ``shape`` (the layer's layout), drawn from ``rng`` where it is random."""
        rows, columns = self._sizes(shape)
        if rows > self.height and columns > self.width:
            top = int(rng.integers(0, rows - self.height + 1))
            left = int(rng.integers(0, columns - self.width + 1))
            return Window(top, left, self.height, self.width)
        start = aspect_window(rows, columns, self.height, self.width)
        return Window(start.top, start.left, min(self.height, rows - start.top), min(self.width, columns - start.left))

    def forward(self, x, training=False):
        if training:
            return self.crop(x, self.draw(x.shape, self._rng or nrandom.generator()))
        return self.crop(x, aspect_window(*self._sizes(x.shape), self.height, self.width))

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}
