"""What the 2-D spatial layers share: output sizes, Keras' padding rule and ``channels_first`` edges.

Inside, every spatial op works on NHWC (``channels_last``) arrays; a ``channels_first`` layer transposes
its input to NHWC on the way in and its output back on the way out, so the kernels see one layout.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import int_pair, int_tuple, invalid, is_int, one_of
from numcnn.backend.shapes import conv_output_length, same_pads

PADDINGS = ("valid", "same")


class SpatialMixin:
    """Holds ``window``, ``strides``, ``padding`` and ``data_format``; computes pads and output sizes.

    Output size per axis: ``out = floor((in + pad_before + pad_after - k) / stride) + 1`` where
    'valid' pads nothing and 'same' pads ``max((ceil(in/stride) - 1)·stride + k - in, 0)`` in total,
    the odd one after (bottom/right), which makes ``out = ceil(in / stride)``.
    """

    def _init_spatial(self, window_name, window, strides, padding, data_format, strides_default=None):
        self.window = int_pair(window_name, window)
        self.strides = int_pair("strides", strides if strides is not None else strides_default or window)
        self.padding = one_of("padding", padding, PADDINGS)
        self.data_format = backend.standardize_data_format(data_format)
        self.pads = (0, 0, 0, 0)

    def _hwc(self, shape):
        """(height, width, channels) of a full shape in this layer's data format; raises unless rank 4."""
        if len(shape) != 4:
            layout = (
                "(batch, channels, height, width)"
                if self.data_format == "channels_first"
                else "(batch, height, width, channels)"
            )
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected a shape of rank 4 {layout} for layer "
                f"'{self.name}'. Received: input_shape={tuple(shape)}"
            )
        if self.data_format == "channels_first":
            return shape[2], shape[3], shape[1]
        return shape[1], shape[2], shape[3]

    def _shape_from_hwc(self, batch, h, w, c):
        return (batch, c, h, w) if self.data_format == "channels_first" else (batch, h, w, c)

    def _spatial_output(self, input_shape):
        """Output (height, width) for ``input_shape``; also fixes ``self.pads``. Raises if empty."""
        h, w, _ = self._hwc(input_shape)
        sizes, pads = [], []
        for n, k, s in zip((h, w), self.window, self.strides):
            before, after = same_pads(n, k, s) if self.padding == "same" else (0, 0)
            sizes.append(conv_output_length(n, k, s, before, after))
            pads += [before, after]
        if min(sizes) < 1:
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected a spatial size of at least "
                f"{self.window} for layer '{self.name}' with padding='{self.padding}'. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.pads = tuple(pads)
        return tuple(sizes)

    def _to_nhwc(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(0, 2, 3, 1) if self.data_format == "channels_first" else x

    def _from_nhwc(self, y: np.ndarray) -> np.ndarray:
        if self.data_format == "channels_first":
            return np.ascontiguousarray(y.transpose(0, 3, 1, 2))
        return y

    def _spatial_config(self, window_name) -> dict:
        return {
            window_name: list(self.window),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


def unit_groups(value) -> int:
    """Keras' ``groups``, accepted only as 1: numcnn has no grouped convolutions."""
    if not is_int(value) or value != 1:
        error = TypeError if not is_int(value) else ValueError
        raise invalid("groups", "1 (numcnn has no grouped convolutions)", value, error)
    return 1


def unit_dilation(value, rank: int) -> tuple[int, ...]:
    """Keras' ``dilation_rate`` (an int or a tuple of ``rank``), accepted only as 1: numcnn has no dilated
    convolutions. Returned as a tuple of ones for ``get_config``."""
    dilation = int_tuple("dilation_rate", value, rank)
    if any(d != 1 for d in dilation):
        raise invalid("dilation_rate", "1 (numcnn has no dilated convolutions)", value)
    return dilation
