"""Matrix products on numcnn's own threads: row blocks of the left operand, one single-threaded product each.

Run this way, the dense layers' products never wake OpenBLAS' thread pool, whose workers would otherwise
spin after each product and slow the kernels that follow (see :mod:`numcnn._threads`).
"""

from __future__ import annotations

import numpy as np

from numcnn._threads import THREADS, on_this_thread, parallel_chunks, split

# Below this many multiply-adds a product runs on the caller's thread alone: handing half of it to another
# thread costs more than it saves, and far more on a busy machine, where the other thread may wait a time
# slice for its core (measurements: benchmarks/README.md).
_MIN_WORK = 1 << 23
# OpenBLAS runs a product of at most this many multiply-adds on one thread (its SMP threshold, 65536 × 4), so
# no fork can cut it in two: it needs none of the pool's or the fork guard's bookkeeping.
_SINGLE_THREADED = 1 << 18


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.matmul`: ``a @ b`` for 2-D a (M, K) and b (K, N) → (M, N)."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n <= _SINGLE_THREADED:
        return np.matmul(a, b)
    if m * k * n < _MIN_WORK:
        with on_this_thread():
            return np.matmul(a, b)
    out = np.empty((m, n), dtype=np.result_type(a, b))
    blocks = split(m, THREADS)

    def body(i):
        start, stop = blocks[i]
        np.matmul(a[start:stop], b, out=out[start:stop])

    parallel_chunks(len(blocks), body, uses_blas=True)
    return out
