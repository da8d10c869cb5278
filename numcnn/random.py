"""The one source of randomness: a process-wide ``numpy.random.Generator``.

Initializers, dropout and shuffling draw from ``generator()`` unless given their own ``Generator``;
``numcnn.utils.set_random_seed(s)`` reseeds it, so two runs with the same seed are bitwise identical.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid, random_seed

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
