"""numcnn's thread pool: every chunk runs once, results come back in order, errors surface, forks work."""

import os
import signal
import threading

import numpy as np
import pytest

from numcnn import _threads
from numcnn.backend import numba as K


def test_every_chunk_runs_once_and_results_keep_their_order():
    seen = []
    lock = threading.Lock()

    def body(i):
        with lock:
            seen.append(i)
        return i * i

    assert _threads.parallel_chunks(37, body) == [i * i for i in range(37)]
    assert sorted(seen) == list(range(37))


def test_parallel_for_covers_the_range_in_contiguous_pieces():
    pieces = []
    _threads.parallel_for(1000, lambda a, b: pieces.append((a, b)), min_items=10)
    assert sorted(pieces)[0][0] == 0 and sorted(pieces)[-1][1] == 1000
    assert sum(b - a for a, b in pieces) == 1000
    assert all(b - a >= 10 for a, b in pieces)
    assert _threads.split(10, 3) == [(0, 3), (3, 6), (6, 10)]


def test_an_error_in_a_worker_reaches_the_caller_after_all_chunks_stop():
    def body(i):
        if i == 5:
            raise ValueError("chunk 5 failed")
        return i

    with pytest.raises(ValueError, match="chunk 5 failed"):
        _threads.parallel_chunks(20, body)
    assert _threads.parallel_chunks(3, lambda i: i) == [0, 1, 2]  # the pool still works


needs_openblas_counts = pytest.mark.skipif(
    _threads._get_global is None, reason="NumPy's BLAS here is not an OpenBLAS with a thread-count getter"
)


@needs_openblas_counts
def test_blas_runs_single_threaded_inside_a_region_and_gets_its_count_back_after():
    """numcnn's own threads never run multi-threaded products, and the caller's BLAS is left as it was found
    (OpenBLAS' count is process-wide, so a leak would slow every later numpy product to one core)."""
    found = _threads._get_global()
    _threads._set_global(2)

    def fails_at_3(i):
        if i == 3:
            raise ValueError("chunk 3")

    try:
        assert _threads.parallel_chunks(8, lambda i: _threads._get_global(), uses_blas=True) == [1] * 8
        assert _threads._get_global() == 2
        with pytest.raises(ValueError, match="chunk 3"):
            _threads.parallel_chunks(8, fails_at_3, uses_blas=True)
        assert _threads._get_global() == 2

        def overlapping():  # two callers at once: the count comes back only when both are done
            _threads.parallel_chunks(40, lambda i: np.ones((64, 64)) @ np.ones((64, 64)), uses_blas=True)

        callers = [threading.Thread(target=overlapping) for _ in range(2)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
        assert _threads._get_global() == 2
    finally:
        _threads._set_global(found)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_a_forked_child_gets_a_working_pool():
    x = np.random.default_rng(0).random((64, 10, 10, 4), dtype=np.float32)
    kernel = np.ones((3, 3, 4, 8), dtype=np.float32)
    expected = K.conv2d_forward(x, kernel, None, (1, 1), (0, 0, 0, 0))  # the parent's pool is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the same convolution through a pool of its own, within a few seconds
        try:
            signal.alarm(20)  # a hang kills the child instead of the test run
            ok = np.array_equal(K.conv2d_forward(x, kernel, None, (1, 1), (0, 0, 0, 0)), expected)
            os.write(write, b"ok" if ok else b"wrong")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok", f"child exit status {status}"
    os.close(read)
