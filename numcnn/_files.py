"""Atomic file writes, shared by model files and the data set cache.

``atomic_write`` writes a temp file in the destination folder, flushes and fsyncs it, ``os.replace``s it onto
the destination and fsyncs the folder: a crash or an exception at any point leaves the old file (or none) or
the complete new one, never a part of one, and two processes writing the same file never mix their bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO


def _current_umask() -> int:
    # os.umask can only be read by setting it; done once, at import (never while other threads write files).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; written files get the permissions a plain open() would give them.
_FILE_MODE = 0o666 & ~_current_umask()


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable across a power cut; folders cannot be opened for this on Windows.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` (bytes, or a function that writes into the open file) to ``path`` atomically.

    On any exception the temp file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), _FILE_MODE)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
