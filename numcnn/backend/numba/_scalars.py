"""Constants for the kernels' arithmetic, typed float32, and the epilogue every convolution kernel ends with.

numba types a literal such as ``4.0`` as float64, so ``4.0 * x`` on float32 data converts every element to
float64 and back, and ``v = 0.0`` in one branch makes ``v`` float64 in all of them; the Winograd
transforms ran several times slower so (benchmarks/README.md has the figure). A float32 constant keeps
float32 data in float32 and promotes exactly in float64 kernels: these values are all exact in float32.
"""

import numpy as np
from numba import njit

ZERO = np.float32(0.0)
TWO = np.float32(2.0)
FOUR = np.float32(4.0)
FIVE = np.float32(5.0)
EIGHT = np.float32(8.0)


@njit(nogil=True, cache=True, inline="always")
def bias_relu(v, bias, use_bias, relu):
    """``v + bias`` (when ``use_bias``), then ReLU (when ``relu``); ``v != v`` keeps NaN, where a plain
    ``v > 0`` test would turn it into 0."""
    if use_bias:
        v += bias
    if relu and not (v > 0 or v != v):
        v = ZERO
    return v
