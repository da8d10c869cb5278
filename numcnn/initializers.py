"""Weight initializers with Keras' names, defaults and formulas.

Each initializer is called as ``init(shape, dtype=None, rng=None) -> numpy.ndarray``: ``dtype`` defaults
to ``backend.floatx()``; randomness comes from ``rng`` if given, else from ``numpy.random.default_rng(seed)``
if the initializer has a ``seed``, else from the process-wide generator (``numcnn.random``). Random values
are drawn in float64 and then cast, so a seed gives the same numbers whatever the dtype.

Fans follow Keras: a Dense kernel ``(in, out)`` has ``fan_in = in``, ``fan_out = out``; a conv kernel
``(kh, kw, c_in, c_out)`` has ``fan_in = kh*kw*c_in`` and ``fan_out = kh*kw*c_out``.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import invalid, is_int, numeric_dtype, one_of, positive_float, random_seed
from numcnn._config import Configurable
from numcnn._registry import Registry
from numcnn._registry import serialize as registry_serialize

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it keeps the variance that
# VarianceScaling asks for after truncation (Keras uses the same constant).
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    Rank 0: (1, 1); rank 1: (n, n); rank 2 ``(in, out)``: (in, out); rank > 2 (conv kernels, channels last):
    the receptive field ``prod(shape[:-2])`` times ``shape[-2]`` and ``shape[-1]``.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _check_shape(shape) -> tuple[int, ...]:
    if is_int(shape):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(is_int(n) for n in shape):
        raise invalid("shape", "a tuple of non-negative integers", shape, TypeError)
    if any(n < 0 for n in shape):
        raise invalid("shape", "a tuple of non-negative integers", shape)
    return tuple(int(n) for n in shape)


def _check_dtype(dtype, floating: bool) -> np.dtype:
    resolved = numeric_dtype(dtype, backend.floatx())
    if floating and resolved.kind != "f":
        raise invalid("dtype", "a floating-point dtype", dtype)
    return resolved


class Initializer(Configurable):
    """Base class: subclasses implement ``_draw(shape, rng) -> float64 array`` (or override ``__call__``)."""

    def __call__(self, shape, dtype=None, rng=None) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` (default ``backend.floatx()``)."""
        shape = _check_shape(shape)
        dtype = _check_dtype(dtype, floating=True)
        generator = nrandom.resolve(rng, getattr(self, "seed", None))
        return self._draw(shape, generator).astype(dtype, copy=False)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


def _finite(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise invalid(name, "a finite number", value, TypeError)
    if not math.isfinite(value):
        raise invalid(name, "a finite number", value)
    return float(value)


def _truncated_normal(shape, rng: np.random.Generator) -> np.ndarray:
    """Unit normal samples with every value beyond 2 standard deviations redrawn (as Keras does), float64."""
    z = rng.standard_normal(shape)
    flat = z.reshape(-1)
    outside = np.flatnonzero(np.abs(flat) > 2.0)
    while outside.size:
        flat[outside] = rng.standard_normal(outside.size)
        outside = outside[np.abs(flat[outside]) > 2.0]
    return z


class Constant(Initializer):
    """Every entry equal to ``value``."""

    def __init__(self, value=0.0):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise invalid("value", "a number", value, TypeError)
        self.value = float(value) if not is_int(value) else int(value)

    def __call__(self, shape, dtype=None, rng=None) -> np.ndarray:
        return np.full(_check_shape(shape), self.value, dtype=_check_dtype(dtype, floating=False))

    def get_config(self) -> dict:
        return {"value": self.value}


class Zeros(Constant):
    """All zeros (Keras' default for biases)."""

    def __init__(self):
        super().__init__(0)

    def get_config(self) -> dict:
        return {}


class Ones(Constant):
    """All ones."""

    def __init__(self):
        super().__init__(1)

    def get_config(self) -> dict:
        return {}


class RandomNormal(Initializer):
    """Normal samples, ``mean`` and ``stddev`` (Keras defaults 0 and 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _finite("mean", mean)
        self.stddev = positive_float("stddev", stddev)
        self.seed = random_seed(seed)

    def _draw(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal samples redrawn until within 2 ``stddev`` of ``mean`` (Keras defaults 0 and 0.05)."""

    def _draw(self, shape, rng):
        return _truncated_normal(shape, rng) * self.stddev + self.mean


class RandomUniform(Initializer):
    """Uniform samples in ``[minval, maxval)`` (Keras defaults -0.05 and 0.05)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _finite("minval", minval)
        self.maxval = _finite("maxval", maxval)
        if self.maxval <= self.minval:
            raise invalid("maxval", f"a number greater than minval={self.minval!r}", maxval)
        self.seed = random_seed(seed)

    def _draw(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n``, ``n`` = fan_in, fan_out or their mean (``mode``).

    ``distribution``: ``'truncated_normal'`` (stddev ``sqrt(scale/n) / 0.8796…``, cut at 2 stddev),
    ``'untruncated_normal'`` (stddev ``sqrt(scale/n)``) or ``'uniform'`` (limit ``sqrt(3*scale/n)``).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = positive_float("scale", scale)
        self.mode = one_of("mode", mode, self._MODES)
        self.distribution = one_of("distribution", distribution, self._DISTRIBUTIONS)
        self.seed = random_seed(seed)

    def _draw(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)  # Keras guards empty fans the same way
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return rng.standard_normal(shape) * math.sqrt(variance)
        return _truncated_normal(shape, rng) * (math.sqrt(variance) / _TRUNCATED_STDDEV)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed arguments; its config holds only the seed, as in Keras."""

    _ARGS: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        scale, mode, distribution = self._ARGS
        super().__init__(scale, mode, distribution, seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))``: Keras' default kernel initializer."""

    _ARGS = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out)) / 0.8796…``."""

    _ARGS = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal, stddev ``sqrt(2 / fan_in) / 0.8796…``."""

    _ARGS = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """Uniform in ``±sqrt(6 / fan_in)``."""

    _ARGS = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal, stddev ``sqrt(1 / fan_in) / 0.8796…``."""

    _ARGS = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """Uniform in ``±sqrt(3 / fan_in)``."""

    _ARGS = (1.0, "fan_in", "uniform")


class Orthogonal(Initializer):
    """``Orthogonal(gain=1.0, seed=None)``: ``gain`` times an orthogonal matrix, from the QR decomposition of
    unit normal samples (signs fixed so that R's diagonal is positive, as Keras does).

    A shape of rank ≥ 2 is drawn as the matrix ``(prod(shape[:-1]), shape[-1])`` (a conv kernel's last axis
    stays), then reshaped: with at least as many rows as columns its columns are orthonormal (``QᵀQ = I``),
    otherwise its rows (``QQᵀ = I``). The numbers come from numcnn's generators, not Keras'.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _finite("gain", gain)
        self.seed = random_seed(seed)

    def _draw(self, shape, rng):
        if len(shape) < 2:
            raise invalid("shape", "a shape of rank 2 or more for the Orthogonal initializer", shape)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # Keras multiplies by sign(diag(r)); a 0 is kept, not zeroed
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self) -> dict:
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """``Identity(gain=1.0)``: ``gain`` times the identity matrix (ones on the main diagonal of a rectangular
    ``(rows, cols)`` shape); rank-2 shapes only, as in Keras.

    Keras 3.15's ``get_config()`` is ``{}`` (it drops ``gain``); numcnn's holds ``gain`` unless it is 1.0, so
    a default Identity writes the config Keras writes and another gain survives a round trip.
    """

    def __init__(self, gain=1.0):
        self.gain = _finite("gain", gain)

    def __call__(self, shape, dtype=None, rng=None) -> np.ndarray:
        shape = _check_shape(shape)
        dtype = _check_dtype(dtype, floating=False)
        if len(shape) != 2:
            raise invalid("shape", "a shape of rank 2 for the Identity initializer", shape)
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self) -> dict:
        return {} if self.gain == 1.0 else {"gain": self.gain}


_REGISTRY = Registry("initializer", Initializer)
_NAMED = (
    ("constant", Constant),
    ("zeros", Zeros),
    ("ones", Ones),
    ("random_normal", RandomNormal),
    ("random_uniform", RandomUniform),
    ("truncated_normal", TruncatedNormal),
    ("variance_scaling", VarianceScaling),
    ("glorot_uniform", GlorotUniform),
    ("glorot_normal", GlorotNormal),
    ("he_normal", HeNormal),
    ("he_uniform", HeUniform),
    ("lecun_normal", LecunNormal),
    ("lecun_uniform", LecunUniform),
    ("orthogonal", Orthogonal),
    ("identity", Identity),
)
for _name, _cls in _NAMED:
    _REGISTRY.register(_cls, _name)
# Keras' names kept "for compatibility" (Keras 2's classes)
_REGISTRY.register(Orthogonal, "OrthogonalInitializer", shown=False)
_REGISTRY.register(Identity, "IdentityInitializer", shown=False)


def serialize(initializer: Initializer) -> dict:
    """``{'class_name': ..., 'config': {...}}``, Keras' serialized form."""
    return registry_serialize(initializer)


def get(identifier):
    """Resolve an initializer from a name (``'glorot_uniform'`` or ``'GlorotUniform'``), an instance, a class,
    or a ``{'class_name': ..., 'config': {...}}`` dict. ``None`` gives ``None``, as in Keras."""
    return None if identifier is None else _REGISTRY.get(identifier)


def deserialize(config):
    """The inverse of :func:`serialize`: an initializer from ``{'class_name': ..., 'config': {...}}`` (or a name)."""
    return _REGISTRY.get(config)


# Keras' lower-case aliases of the classes: ``initializers.glorot_uniform(seed=1)`` is a GlorotUniform.
constant, zeros, ones = Constant, Zeros, Ones
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, variance_scaling = LecunNormal, LecunUniform, VarianceScaling
orthogonal, identity = Orthogonal, Identity
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity

__all__ = [
    "Initializer",
    "compute_fans",
    "serialize",
    "deserialize",
    "get",
    *(cls.__name__ for _, cls in _NAMED),
    *(name for name, _ in _NAMED),
    "OrthogonalInitializer",
    "IdentityInitializer",
]
