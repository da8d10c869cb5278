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


IMAGE_KINDS = ("strokes", "blobs", "empty", "saturated", "repeated", "random")


def image_like(rng: np.random.Generator, shape, kinds, dtype=np.float64) -> np.ndarray:
    """A batch (N, H, W, C) drawn the way real images look, one of ``IMAGE_KINDS`` per image:

    - ``strokes``: lines of exact 1.0 (1–3 pixels thick) on exact zeros, like pen strokes;
    - ``blobs``: grey rectangles on zeros, clipped so that part of them is saturated at 1.0;
    - ``empty``: an all-zero image;
    - ``saturated``: all 1.0 with a few zero pixels;
    - ``repeated``: a few random rows and columns repeated, so that windows and pool maxima tie exactly;
    - ``random``: uniform noise (no exact zeros or ties), for contrast.

    Channels repeat the same pattern scaled per channel, so ties hold across channels too.
    """
    n, h, w, c = shape
    x = np.zeros((n, h, w), dtype=np.float64)
    for i, kind in zip(range(n), kinds):
        img = x[i]
        if kind == "strokes":
            for _ in range(rng.integers(1, 4)):
                t = rng.integers(1, 4)
                if rng.random() < 0.5:
                    r = rng.integers(0, h)
                    img[r : r + t, rng.integers(0, w) :] = 1.0
                else:
                    col = rng.integers(0, w)
                    img[rng.integers(0, h) :, col : col + t] = 1.0
        elif kind == "blobs":
            for _ in range(rng.integers(1, 3)):
                r, col = rng.integers(0, h), rng.integers(0, w)
                img[r : r + rng.integers(2, 6), col : col + rng.integers(2, 6)] = np.minimum(1.5 * rng.random(), 1.0)
        elif kind == "saturated":
            img[:] = 1.0
            img[rng.integers(0, h, 3), rng.integers(0, w, 3)] = 0.0
        elif kind == "repeated":
            row = np.round(rng.random(w) * 4) / 4  # few distinct values: ties within windows too
            img[:] = row
            img[rng.integers(0, h) :, :] = np.round(rng.random(w) * 4) / 4
            img[:, rng.integers(0, w)] = 0.0
        elif kind == "random":
            img[:] = rng.random((h, w))
    scale = 0.5 + np.arange(c) / max(c, 1)
    return (x[..., None] * scale).astype(dtype)


@st.composite
def image_batches(draw, max_batch=4, min_size=6, max_size=12, max_channels=3, dtype=np.float64):
    """``(x, seed)``: an image-like batch (see ``image_like``) and a seed for the weights."""
    n = draw(st.integers(1, max_batch))
    h, w = draw(st.integers(min_size, max_size)), draw(st.integers(min_size, max_size))
    c = draw(st.integers(1, max_channels))
    kinds = draw(st.lists(st.sampled_from(IMAGE_KINDS), min_size=n, max_size=n))
    seed = draw(st.integers(0, 2**32 - 1))
    return image_like(np.random.default_rng(seed), (n, h, w, c), kinds, dtype), seed
