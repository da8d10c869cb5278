"""numcnn's one pool of worker threads, and single-threaded BLAS inside it.

Two cores shared by two thread pools (numba's and OpenBLAS') fight: OpenBLAS' workers spin for ~0.1 s after
every multi-threaded matrix product and steal the core from whatever kernel runs next, which measured ~2×
slower right after a GEMM. So numcnn owns all of its parallelism: ``parallel_for`` splits a batch into one
contiguous part per core and runs each part on its own thread — the caller takes the first — where every
matrix product is single-threaded and every numba kernel is serial (compiled ``nogil``). Each core then
streams its own images through im2col → GEMM → epilogue while they are still in its cache.

numcnn lowers OpenBLAS' thread count to 1 while any of its parallel regions runs and puts back the count it
found when the last one ends (counted, so concurrent callers nest). The count is process-wide in practice:
NumPy's OpenBLAS 0.3.31 applies even ``openblas_set_num_threads_local`` to every thread (measured: one call
from a worker left the caller's 2048³ product at one core's speed), so the global setter is used where it
exists and nothing is changed per worker. Where no OpenBLAS is found (e.g. MKL or Accelerate), work that
calls BLAS runs on the caller alone and lets the BLAS library parallelise.
``NUMCNN_NUM_THREADS`` sets the number of threads (default: the CPUs this process may run on).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np


def _thread_count() -> int:
    value = os.environ.get("NUMCNN_NUM_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"Invalid value for environment variable 'NUMCNN_NUM_THREADS': expected a positive integer. "
                f"Received: {value!r}"
            ) from None
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


THREADS = _thread_count()


# -- OpenBLAS thread control ------------------------------------------------------------------------------
def _openblas_libraries() -> list[str]:
    """Paths of the OpenBLAS libraries NumPy loaded: from /proc/self/maps, else NumPy's bundled folder."""
    paths = []
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = [line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line]
    except OSError:
        pass
    if not paths:
        root = os.path.dirname(os.path.dirname(np.__file__))
        for folder in ("numpy.libs", os.path.join("numpy", ".dylibs")):
            paths += glob.glob(os.path.join(root, folder, "*openblas*"))
    return sorted(set(paths))


def _find_setters():
    """``(local_setter, global_setter, global_getter)``; any may be None."""
    for path in _openblas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        local = getattr(lib, "openblas_set_num_threads_local", None)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", "_64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    for fn in (local, setter):
                        if fn is not None:
                            fn.argtypes = [ctypes.c_int]
                    getter.restype = ctypes.c_int
                    return local, setter, getter
        if local is not None:
            local.argtypes = [ctypes.c_int]
            local.restype = ctypes.c_int
            return local, None, None
    return None, None, None


_set_local, _set_global, _get_global = _find_setters()
if _set_local is not None:
    _set_local.restype = ctypes.c_int

#: True when numcnn can make BLAS single-threaded inside its own threads.
BLAS_CONTROL = _set_local is not None or (_set_global is not None and _get_global is not None)

_blas_lock = threading.Lock()
_blas_state = {"users": 0, "found": None}


def _swap_blas_threads(count: int) -> int:
    """Set OpenBLAS' thread count; return the previous one."""
    if _set_global is not None and _get_global is not None:
        previous = _get_global()
        _set_global(count)
        return previous
    return _set_local(count)


@contextlib.contextmanager
def _single_threaded_blas():
    """Within the block, BLAS uses one thread (a no-op without control); the count found before the first of
    several overlapping blocks is restored when the last one ends."""
    if not BLAS_CONTROL:
        yield
        return
    with _blas_lock:
        if _blas_state["users"] == 0:
            _blas_state["found"] = _swap_blas_threads(1)
        _blas_state["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["users"] -= 1
            if _blas_state["users"] == 0:
                _swap_blas_threads(_blas_state["found"])
                _blas_state["found"] = None  # no region runs: nothing for a forked child to restore


# -- the pool ---------------------------------------------------------------------------------------------
_pool_lock = threading.Lock()
_pool: dict[str, ThreadPoolExecutor] = {}


# -- fork safety ------------------------------------------------------------------------------------------
# Two hazards meet at a fork while another thread trains:
# - OpenBLAS' own fork handler shuts its thread pool down, so a multi-threaded product running in another
#   thread at that moment never returns, in the parent (measured with NumPy's OpenBLAS 0.3.31: a thread
#   looping over 300x300 products hung at the first fork). So a fork first waits until no numcnn BLAS work is
#   in flight in another thread (``blas_call``), holding new BLAS work back until it is done;
# - the child inherits the region bookkeeping (a user count that no thread will ever take back, and OpenBLAS
#   lowered to one thread) and possibly a lock some thread held. So the fork also takes the BLAS lock (the
#   bookkeeping is then consistent), and the child starts afresh: new locks, no users, no pool, and the BLAS
#   thread count its parent had before its regions.
_FORK_WAIT = 10.0  # seconds a fork waits for BLAS work in flight; a fork is never blocked for good
_flight = threading.Condition()
_flight_state = {"calls": 0, "forking": False}
_own_calls = threading.local()


@contextlib.contextmanager
def blas_call():
    """Mark BLAS work (matrix products, ``tensordot``) that a ``fork()`` from another thread must not cut in
    two: the fork waits until it is done. Every ``uses_blas=True`` call of ``parallel_chunks`` is marked;
    wrap any other product that may run multi-threaded in it."""
    with _flight:
        while _flight_state["forking"]:
            _flight.wait()
        _flight_state["calls"] += 1
    _own_calls.n = getattr(_own_calls, "n", 0) + 1
    try:
        yield
    finally:
        _own_calls.n -= 1
        with _flight:
            _flight_state["calls"] -= 1
            _flight.notify_all()


@contextlib.contextmanager
def on_this_thread():
    """BLAS work that runs on the calling thread alone: marked for a fork (``blas_call``), with OpenBLAS at one
    thread, whose workers would otherwise spin after the product and slow the kernels that follow
    (benchmarks/README.md)."""
    with blas_call(), _single_threaded_blas():
        yield


def _before_fork() -> None:
    mine = getattr(_own_calls, "n", 0)  # BLAS work this very thread is inside of cannot end before it forks
    with _flight:
        _flight_state["forking"] = True
        _flight.wait_for(lambda: _flight_state["calls"] <= mine, timeout=_FORK_WAIT)
    _blas_lock.acquire()


def _after_fork_in_parent() -> None:
    _blas_lock.release()
    with _flight:
        _flight_state["forking"] = False
        _flight.notify_all()


def _after_fork_in_child() -> None:
    global _blas_lock, _pool_lock, _flight
    found = _blas_state["found"]
    _blas_lock = threading.Lock()
    _blas_state.update(users=0, found=None)
    if found is not None:  # a region was running in another thread: it will never end here
        _swap_blas_threads(found)
    _flight = threading.Condition()
    _flight_state.update(calls=getattr(_own_calls, "n", 0), forking=False)
    # The child inherits the pool object but none of its threads: work submitted there would wait forever.
    # It starts a pool of its own on first use instead.
    _pool_lock = threading.Lock()
    _pool.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


def _executor() -> ThreadPoolExecutor:
    with _pool_lock:
        if "pool" not in _pool:
            _pool["pool"] = ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="numcnn")
        return _pool["pool"]


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """``range(n)`` as at most ``parts`` contiguous ``(start, stop)`` pieces of near-equal size."""
    parts = max(1, min(parts, n))
    bounds = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def parallel_chunks(n_chunks: int, body, *, uses_blas: bool = False) -> list:
    """Run ``body(i)`` for every ``i`` in ``range(n_chunks)``; return the results in index order.

    Every thread, the caller included, takes the next index from a shared counter until none is left, so a
    core slowed down by another process simply does fewer chunks. Results come back by index, and callers
    combine them in that order: sums never depend on which thread ran what.

    ``uses_blas``: the body calls matrix products; without a way to make BLAS single-threaded, everything
    then runs on the caller and BLAS parallelises the products itself.
    """
    if n_chunks == 1 and not uses_blas:  # nothing to share out: skip the bookkeeping (µs that add up per layer)
        return [body(0)]
    if uses_blas:
        with blas_call():
            return _parallel_chunks(n_chunks, body, THREADS if BLAS_CONTROL else 1, True)
    return _parallel_chunks(n_chunks, body, THREADS, False)


def _parallel_chunks(n_chunks: int, body, threads: int, uses_blas: bool) -> list:
    if threads <= 1:  # no BLAS control: BLAS parallelises the products itself
        return [body(i) for i in range(n_chunks)]
    if n_chunks <= 1:  # one chunk, here, with one BLAS thread like every chunk (no spinning workers after)
        with _single_threaded_blas() if uses_blas else contextlib.nullcontext():
            return [body(i) for i in range(n_chunks)]
    results = [None] * n_chunks
    counter = itertools.count()  # next() on a count is atomic under the GIL

    def work():
        for i in iter(counter.__next__, None):
            if i >= n_chunks:
                return
            results[i] = body(i)

    with _single_threaded_blas() if uses_blas else contextlib.nullcontext():
        futures = [_executor().submit(work) for _ in range(min(threads, n_chunks) - 1)]
        try:
            work()
        finally:
            wait(futures)  # always, even on error: the chunks write into the caller's arrays
    for future in futures:
        future.result()  # re-raise a worker's error
    return results


def parallel_for(n: int, body, *, min_items: int = 1, uses_blas: bool = False) -> None:
    """Run ``body(start, stop)`` over ``range(n)`` in contiguous pieces of at least ``min_items`` items,
    a few per thread so that the threads can balance; small jobs stay on the caller's thread."""
    if n < 2 * max(min_items, 1):  # one piece: run it here, without the pool's bookkeeping
        if n > 0:
            if uses_blas:
                with blas_call():
                    body(0, n)
            else:
                body(0, n)
        return
    pieces = split(n, min(4 * THREADS, max(1, n // max(min_items, 1))))
    parallel_chunks(len(pieces), lambda i: body(*pieces[i]), uses_blas=uses_blas)
