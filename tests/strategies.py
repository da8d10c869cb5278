"""hypothesis strategies shared by the op tests (test_functional.py, test_kernels.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def window_cases(draw, max_batch=4, max_size=11, max_channels=5, max_window=5):
    """Shapes, hyper-parameters, dtype and seed of one sliding-window op, never with an empty output:
    batch 1..4, sizes 1..11 (odd ones too), channels 1..5, windows 1..5, strides 1..2, pads 0..2 per side."""
    n = draw(st.integers(1, max_batch))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    c, f = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    kh = draw(st.integers(1, min(max_window, h + pads[0] + pads[1])))
    kw = draw(st.integers(1, min(max_window, w + pads[2] + pads[3])))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    return {
        "x_shape": (n, h, w, c),
        "filters": f,
        "window": (kh, kw),
        "strides": strides,
        "pads": pads,
        "dtype": draw(DTYPES),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }
