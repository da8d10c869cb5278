"""The one source of randomness: a process-wide ``numpy.random.Generator``, and Keras 3's ``keras.random``.

Initializers, dropout and shuffling draw from ``generator()`` unless given their own ``Generator``;
``numcnn.utils.set_random_seed(s)`` reseeds it, so two runs with the same seed are bitwise identical.

``normal``, ``uniform``, ``truncated_normal``, ``randint``, ``shuffle``, ``dropout``, ``categorical``, ``gamma``,
``beta``, ``binomial`` and ``SeedGenerator`` take Keras 3's arguments. ``seed``, as in Keras: ``None`` draws from
the process-wide generator; an int gives the same numbers at every call; a ``SeedGenerator`` moves on at each
call. The numbers are NumPy's (PCG64), not those Keras' backends draw for the same seed.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import finite_number, float_dtype, fraction, invalid, is_int, numeric_dtype, random_seed
from numcnn.tensors import Tensor

_state = {"generator": np.random.default_rng()}


def generator() -> np.random.Generator:
    """The process-wide generator."""
    return _state["generator"]


def set_seed(seed: int) -> None:
    """Replace the process-wide generator by ``numpy.random.default_rng(seed)``."""
    if seed is None:
        raise invalid("seed", "a non-negative integer", seed, TypeError)
    _state["generator"] = np.random.default_rng(random_seed(seed))


def resolve(rng=None, seed=None) -> np.random.Generator:
    """``rng`` if given, else a new generator from ``seed`` if given, else the process-wide one."""
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise invalid("rng", "a numpy.random.Generator", rng, TypeError)
        return rng
    if seed is not None:
        return np.random.default_rng(random_seed(seed))
    return generator()


# -- keras.random ---------------------------------------------------------------------------------------------


class SeedGenerator:
    """``SeedGenerator(seed=None)``: a generator of its own; each draw given it moves it on. ``seed=None``
    seeds it from the process-wide generator (so ``set_random_seed`` makes it repeatable)."""

    def __init__(self, seed=None, **kwargs):
        unknown = sorted(set(kwargs) - {"name", "backend"})
        if unknown:
            raise TypeError(f"SeedGenerator() got unexpected keyword argument(s): {unknown}")
        seed = random_seed(seed)
        self.seed = int(generator().integers(2**63)) if seed is None else seed
        self.generator = np.random.default_rng(self.seed)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, SeedGenerator):
        return seed.generator
    return resolve(seed=seed)


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if is_int(shape) else shape
    if not isinstance(shape, (tuple, list)) or not all(is_int(d) and d >= 0 for d in shape):
        raise invalid("shape", "a tuple of non-negative integers", shape, TypeError)
    return tuple(int(d) for d in shape)


def _out(values, dtype) -> Tensor:
    return np.asarray(values, dtype).view(Tensor)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from N(mean, stddev²), of ``shape`` and ``dtype`` (the float type by default)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    stddev = finite_number("stddev", stddev, low=0.0)
    return _out(_rng(seed).normal(finite_number("mean", mean), stddev, shape), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from U[minval, maxval)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    low, high = finite_number("minval", minval), finite_number("maxval", maxval)
    if not low < high:
        raise invalid("maxval", f"a number above minval={low}", maxval)
    return _out(_rng(seed).uniform(low, high, shape), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from N(mean, stddev²) kept within two standard deviations (redrawn beyond, as Keras does)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    mean, stddev = finite_number("mean", mean), finite_number("stddev", stddev, low=0.0)
    rng, z = _rng(seed), np.empty(shape)
    flat, todo = z.reshape(-1), np.arange(z.size)
    while todo.size:
        flat[todo] = rng.standard_normal(todo.size)
        todo = todo[np.abs(flat[todo]) > 2.0]
    return _out(mean + stddev * z, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers in [minval, maxval)."""
    shape = _shape(shape)
    if not (is_int(minval) and is_int(maxval)):
        raise invalid("minval", "integers minval < maxval", (minval, maxval), TypeError)
    if not minval < maxval:
        raise invalid("maxval", f"an integer above minval={minval}", maxval)
    dtype = numeric_dtype(dtype, np.dtype("int32"))
    if dtype.kind not in "iu":
        raise invalid("dtype", "an integer dtype", dtype.name)
    return _out(_rng(seed).integers(int(minval), int(maxval), shape), dtype)


def shuffle(x, axis=0, seed=None) -> Tensor:
    """``x`` with its entries along ``axis`` in a random order."""
    x = np.asarray(x)
    if not is_int(axis) or not -x.ndim <= axis < max(x.ndim, 1):
        raise invalid("axis", f"an axis of the input's {x.ndim}", axis)
    return _rng(seed).permutation(x, axis=int(axis)).view(Tensor)


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by ``1/(1 − rate)``;
    ``noise_shape`` broadcasts one draw over axes of size 1."""
    x = np.asarray(inputs)
    rate = fraction("rate", rate)
    shape = x.shape if noise_shape is None else tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    try:
        keep = np.broadcast_to(_rng(seed).random(shape) >= rate, x.shape)
    except ValueError:
        raise invalid("noise_shape", f"a shape that broadcasts to {x.shape}", noise_shape) from None
    return np.where(keep, x / x.dtype.type(1 - rate), x.dtype.type(0)).astype(x.dtype).view(Tensor)


def categorical(logits, num_samples, dtype="int32", seed=None) -> Tensor:
    """``num_samples`` class indices per row of (N, K) ``logits`` (unnormalised log-probabilities): (N, num_samples)."""
    z = np.asarray(logits, np.float64)
    if z.ndim != 2 or not np.isfinite(z).all():
        raise invalid("logits", "a finite (batch, classes) array", z.shape)
    if not is_int(num_samples) or num_samples < 0:
        raise invalid("num_samples", "a non-negative integer", num_samples, TypeError)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    draws = _rng(seed).random((z.shape[0], int(num_samples)))
    picks = np.minimum((draws[:, :, None] >= cumulative[:, None, :]).sum(axis=2), z.shape[1] - 1)
    return _out(picks, numeric_dtype(dtype, np.dtype("int32")))


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Draws from Gamma(alpha, 1)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    return _out(_rng(seed).gamma(finite_number("alpha", alpha, low=0.0), 1.0, shape), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:  # noqa: A002 (Keras' argument name)
    """Draws from Beta(alpha, beta)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    a, b = finite_number("alpha", alpha, low=0.0), finite_number("beta", beta, low=0.0)
    return _out(_rng(seed).beta(a, b, shape), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    """Draws from Binomial(counts, probabilities)."""
    dtype, shape = float_dtype(dtype, _floatx()), _shape(shape)
    p = fraction("probabilities", probabilities, high_inclusive=True)
    if not is_int(counts) or counts < 0:
        raise invalid("counts", "a non-negative integer", counts, TypeError)
    return _out(_rng(seed).binomial(int(counts), p, shape), dtype)


def _floatx() -> np.dtype:
    return np.dtype(backend.floatx())
