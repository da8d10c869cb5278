"""``set_random_seed``: one call that makes numcnn runs repeatable."""

from __future__ import annotations

import numpy as np

from numcnn import random as nrandom


def set_random_seed(seed: int) -> None:
    """Seed numcnn's generator (initializers, dropout, shuffling) and NumPy's legacy global one."""
    nrandom.set_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (user code may still draw from the legacy global state)
