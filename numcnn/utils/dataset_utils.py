"""``split_dataset``: split arrays into a left and a right part (e.g. train / test)."""

from __future__ import annotations

import numbers
import random

import numpy as np

from numcnn import random as nrandom
from numcnn._checks import flag, invalid, is_int, random_seed


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split an array, or a tuple/list of arrays of the same length, into ``(left, right)``.

    Keras returns two ``tf.data.Dataset`` objects; numcnn returns the same structure as ``dataset``, of NumPy
    arrays: ``(x_left, x_right)`` for an array, ``((x_left, y_left), (x_right, y_right))`` for a tuple ``(x, y)``
    (a list gives lists). The sizes follow Keras: a float in (0, 1) is a fraction of the samples (rounded
    with Python's ``round``), an int a number of samples; a side left ``None`` takes the rest. When the sizes
    add up to fewer samples, ``left`` is the first ``left_size`` samples and ``right`` the last ``right_size``.

    ``shuffle=True`` permutes the samples first. With a ``seed``, the permutation is the one Keras draws for
    that seed (Python's ``random.Random(seed).shuffle``), so both split the same data alike; without one the
    seed comes from numcnn's generator (``numcnn.utils.set_random_seed``), never from global state.
    """
    arrays, structure = _arrays(dataset)
    n = arrays[0].shape[0]
    left, right = _sizes(left_size, right_size, n)
    order = np.arange(n)
    if flag("shuffle", shuffle):
        seed = random_seed(seed)
        if seed is None:
            seed = int(nrandom.generator().integers(0, 1_000_001))
        positions = list(range(n))
        random.Random(int(seed)).shuffle(positions)
        order = np.asarray(positions)
    parts = ([a[order[:left]] for a in arrays], [a[order[n - right :]] for a in arrays])
    if structure is np.ndarray:
        return parts[0][0], parts[1][0]
    return structure(parts[0]), structure(parts[1])


def _arrays(dataset):
    expected = "a NumPy array or a tuple/list of NumPy arrays of the same length"
    if isinstance(dataset, np.ndarray):
        items, structure = [dataset], np.ndarray
    elif isinstance(dataset, (tuple, list)):
        items, structure = list(dataset), type(dataset)
        if not items:
            raise invalid("dataset", expected, dataset)
    else:
        raise invalid("dataset", expected, f"an object of type {type(dataset).__name__}", TypeError)
    for i, item in enumerate(items):
        if not isinstance(item, np.ndarray):
            raise invalid("dataset", expected, f"item {i} of type {type(item).__name__}", TypeError)
        if item.ndim == 0 or item.shape[0] != items[0].shape[0]:
            lengths = [a.shape[0] if a.ndim else "a scalar" for a in items]
            raise invalid("dataset", expected, f"arrays of lengths {lengths}")
    if items[0].shape[0] == 0:
        raise invalid("dataset", "a non-empty dataset", "arrays of length 0")
    return items, structure


def _sizes(left_size, right_size, n: int) -> tuple[int, int]:
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    sizes = {}
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        expected = f"an integer in [1, {n - 1}], a float in (0, 1) or None"
        if size is None:
            continue
        if is_int(size):
            if not 0 < size < n:
                raise invalid(name, expected, size)
            sizes[name] = int(size)
        elif isinstance(size, numbers.Real) and not isinstance(size, (bool, np.bool_)):
            if not 0 < size < 1:
                raise invalid(name, expected, size)
            sizes[name] = round(float(size) * n)
        else:
            raise invalid(name, expected, size, TypeError)
    if isinstance(left_size, float) and isinstance(right_size, float) and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1."
        )
    left = sizes.get("left_size", n - sizes.get("right_size", 0))
    right = sizes.get("right_size", n - left)
    if left + right > n:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {n}. "
            f"Received: left_size + right_size = {left + right} and total_length = {n}"
        )
    if left == 0 or right == 0:
        side = "left" if left == 0 else "right"
        raise ValueError(
            f"With `dataset` of length={n}, `left_size`={left} and `right_size`={right}. "
            f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned parameters"
        )
    return left, right
