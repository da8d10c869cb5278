"""Ask glibc's allocator to serve large arrays from its heap, so each batch reuses the last batch's memory.

By default glibc hands every allocation above 32 MB straight to the kernel (``mmap``) and gives it back on
free. A training step allocates several such arrays (conv2's output and its gradients are 37 MB at batch
256), and the kernel zeroes fresh pages on first touch, a measurable share of a step (benchmarks/README.md). Raising
``M_MMAP_THRESHOLD`` (and the matching trim threshold) keeps freed blocks for reuse instead. The peak
resident size is unchanged; the process simply keeps its peak heap until exit.

Applied once, on the first ``fit``/``evaluate``/``predict``; a no-op off glibc. ``NUMCNN_MALLOC_TUNING=0``
turns it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_HEAP_LIMIT = 512 * 2**20  # arrays up to this size come from the heap

_state = {"done": False}


def keep_large_allocations() -> bool:
    """Apply the allocator setting once per process; returns whether it is in effect."""
    if _state["done"]:
        return _state["applied"]
    _state["done"], _state["applied"] = True, False
    if os.environ.get("NUMCNN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = bool(mallopt(_M_MMAP_THRESHOLD, _HEAP_LIMIT)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _HEAP_LIMIT))
    _state["applied"] = applied
    return applied
