"""What the 1-D layers share: inputs ``(N, steps, channels)`` (or ``(N, channels, steps)``), Keras' paddings, and
the view of a sequence as an image one row high, which lets them run on the 2-D ops."""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import int_tuple, one_of
from numcnn.backend.shapes import conv_output_length, same_pads


class StepsMixin:
    """Holds ``window``, ``stride``, ``padding`` and ``data_format`` of a 1-D sliding window.

    Output length: ``floor((L + before + after − k) / s) + 1`` with 'valid' padding nothing, 'same' Keras' pads
    (``out = ceil(L / s)``), and 'causal' (convolutions only) ``k − 1`` zeros before the sequence.
    """

    def _init_steps(self, window_name, window, strides, padding, data_format, paddings):
        self.window1 = int_tuple(window_name, window, 1)[0]
        self.stride1 = int_tuple("strides", window if strides is None else strides, 1)[0]
        self.padding = one_of("padding", padding, paddings)
        self.data_format = backend.standardize_data_format(data_format)
        self.pads = (0, 0, 0, 0)

    def _steps_channels(self, shape):
        """(steps, channels) of a full shape in this layer's data format; raises unless rank 3."""
        if len(shape) != 3:
            layout = "(batch, channels, steps)" if self.data_format == "channels_first" else "(batch, steps, channels)"
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected a shape of rank 3 {layout} for layer "
                f"'{self.name}'. Received: input_shape={tuple(shape)}"
            )
        return (shape[2], shape[1]) if self.data_format == "channels_first" else (shape[1], shape[2])

    def _shape_from(self, batch, steps, channels):
        return (batch, channels, steps) if self.data_format == "channels_first" else (batch, steps, channels)

    def _output_steps(self, input_shape) -> int:
        """The output length for ``input_shape``; also fixes ``self.pads`` (as 2-D pads of a one-row image)."""
        steps, _ = self._steps_channels(input_shape)
        k, s = self.window1, self.stride1
        before, after = {"valid": (0, 0), "same": same_pads(steps, k, s), "causal": (k - 1, 0)}[self.padding]
        out = conv_output_length(steps, k, s, before, after)
        if out < 1:
            raise ValueError(
                f"Invalid value for argument 'input_shape': expected at least {k} steps for layer '{self.name}' "
                f"with padding='{self.padding}'. Received: input_shape={tuple(input_shape)}"
            )
        self.pads = (0, 0, before, after)
        return out

    def _to_nhwc(self, x: np.ndarray) -> np.ndarray:
        """(N, L, C) or (N, C, L) → (N, 1, L, C), a view."""
        return (x.transpose(0, 2, 1) if self.data_format == "channels_first" else x)[:, None]

    def _from_nhwc(self, y: np.ndarray) -> np.ndarray:
        y = y[:, 0]
        return np.ascontiguousarray(y.transpose(0, 2, 1)) if self.data_format == "channels_first" else y

    def _steps_config(self, window_name) -> dict:
        return {
            window_name: [self.window1],
            "strides": [self.stride1],
            "padding": self.padding,
            "data_format": self.data_format,
        }
