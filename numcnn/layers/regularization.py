"""Noise layers active only in training: ``SpatialDropout1D``/``SpatialDropout2D`` (whole channels dropped),
``GaussianNoise`` (additive) and ``GaussianDropout`` (multiplicative). At inference each is the identity.

Draws come from the layer's own generator when it has a ``seed``, else from numcnn's (``set_random_seed``).
"""

from __future__ import annotations

import math

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import fraction, invalid, non_negative_int
from numcnn.layers.base import Layer
from numcnn.layers.core import Dropout


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel, shared by every step or pixel. Keras'
    constructor takes only ``rate``, ``seed``, ``name``, ``dtype`` (and ``data_format`` in 2-D), and its config
    holds only those."""

    rank = 0

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None):
        self.data_format = backend.standardize_data_format(data_format)
        noise = [1] * self.rank
        noise[0] = None
        noise[1 if self.data_format == "channels_first" else -1] = None
        super().__init__(rate, noise_shape=tuple(noise), seed=seed, name=name, dtype=dtype)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank:
            raise invalid("input_shape", f"a shape of rank {self.rank} for layer '{self.name}'", tuple(input_shape))
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype.name}


class SpatialDropout1D(_SpatialDropout):
    """``SpatialDropout1D(rate, seed=None)``: on ``(N, L, C)``, each sample's channels dropped with probability
    ``rate`` over all steps at once, the kept ones scaled by ``1/(1 − rate)``."""

    rank = 3

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed, name, dtype)


class SpatialDropout2D(_SpatialDropout):
    """``SpatialDropout2D(rate, data_format=None, seed=None)``: on images, each sample's channels dropped with
    probability ``rate`` over all pixels at once, the kept ones scaled by ``1/(1 − rate)``."""

    rank = 4

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed, name, dtype, data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        self.seed = None if seed is None else non_negative_int("seed", seed)
        super().__init__(**kwargs)
        self._rng = None if seed is None else nrandom.resolve(seed=self.seed)
        self._noise = None

    def _generator(self):
        return self._rng or nrandom.generator()


class GaussianNoise(_Noise):
    """``GaussianNoise(stddev, seed=None)``: in training ``y = x + ε``, ε ~ N(0, stddev²) per element; the
    gradient is ``dy``. Keras 3 takes ``stddev`` in [0, 1]."""

    def __init__(self, stddev, seed=None, **kwargs):
        self.stddev = fraction("stddev", stddev, high_inclusive=True)
        super().__init__(seed, **kwargs)

    def forward(self, x, training=False):
        if not training or self.stddev == 0:
            return x
        return x + self._generator().normal(0.0, self.stddev, x.shape).astype(x.dtype)

    def backward(self, dy):
        return dy

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """``GaussianDropout(rate, seed=None)``: in training ``y = x · ε``, ε ~ N(1, rate/(1 − rate)) per element;
    the gradient is ``dy · ε``. ``rate`` in [0, 1) (Keras accepts 1, which makes the spread infinite)."""

    def __init__(self, rate, seed=None, **kwargs):
        self.rate = fraction("rate", rate)
        super().__init__(seed, **kwargs)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._noise = None
            return x
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        self._noise = self._generator().normal(1.0, stddev, x.shape).astype(x.dtype)
        return x * self._noise

    def backward(self, dy):
        return dy if self._noise is None else dy * self._noise

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
