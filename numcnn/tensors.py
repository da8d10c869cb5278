"""What layers and models return when called on arrays: NumPy arrays that also answer TensorFlow's ``.numpy()``.

TensorFlow tutorials write ``model(x).numpy()`` and ``layer(x).numpy()``; in numcnn the result already is an
array, of this subclass, whose ``numpy()`` returns it as a plain ``numpy.ndarray``.
"""

from __future__ import annotations

import numpy as np


class Tensor(np.ndarray):
    """A ``numpy.ndarray`` with ``.numpy()``; arithmetic on it gives plain arrays again."""

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # Results of numpy functions on a Tensor are plain arrays (or scalars), never Tensors.
        result = np.asarray(array).view(np.ndarray)
        return result[()] if return_scalar else result


def as_tensor(value):
    """``value`` (an array, or a list/tuple/dict of them) with every array viewed as a ``Tensor``."""
    if isinstance(value, np.ndarray):
        return value.view(Tensor)
    if isinstance(value, dict):
        return {k: as_tensor(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_tensor(v) for v in value)
    return value
