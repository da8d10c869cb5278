"""Atomic file writes, shared by model files, checkpoints and the data set cache; and moving a file aside.

``atomic_write(path, data)`` writes a temp file beside ``path``, flushes and fsyncs it, ``os.replace``s it onto
``path`` and fsyncs the folder: a crash, a kill or an exception at any point leaves the old file (or none) or the
complete new one, never a part of one, and two processes writing the same file never mix their bytes. The
folder must have room for the old and the new file at once, until the rename.

Permissions: the temp file is created with ``O_CREAT | O_EXCL`` and mode ``0o666``, so the kernel applies the
umask in force at that moment (or the folder's default ACL), exactly as a plain ``open(path, 'w')`` would.
Nothing reads the umask, so nothing sets it either (``os.umask`` can only be read by setting it, which races
with threads creating files).

Temp names and leftovers: a temp file is named ``.<name>.<tag>.<random>.tmp``, where ``<tag>`` is 8 hex digits
of the SHA-256 of the destination's name and ``<name>`` is the destination's name, shortened so the temp name
is never longer than the folder allows (``NAME_MAX``, 255 bytes on most file systems; so a destination of
255 bytes can still be written). The writer holds an exclusive ``flock`` on its temp file from before the
first byte until the rename. A writer killed mid-write (SIGKILL, power cut) leaves its temp file, and its lock
dies with it: the next ``atomic_write`` to the same destination removes such temp files (its own name pattern,
unlocked, and not empty, or empty and older than a minute), while temp files of writers still running stay
locked and untouched. Linux's ``O_TMPFILE`` would leave no name at all, but it cannot replace a file
atomically, is Linux-only and not supported by every file system; the lock works on any POSIX system and on
NFS. Where ``fcntl`` is missing (Windows), a temp file still open by its writer cannot be removed, which gives
the same rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_TEMP_SUFFIX = ".tmp"
# ".", ".<tag 8>", ".<random 8>", ".tmp": the bytes a temp name adds to the shortened destination name.
_TEMP_OVERHEAD = 1 + 9 + 9 + len(_TEMP_SUFFIX)
# An unlocked temp file that is still empty may be one whose writer has created it but not locked it yet.
_EMPTY_TEMP_GRACE = 60.0
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def name_max(folder: str) -> int:
    """The longest file name, in bytes, that ``folder`` allows (255 where the system cannot say)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return 255


def shorten(name: str, max_bytes: int) -> str:
    """``name`` cut to at most ``max_bytes`` bytes as the file system encodes it, on a character boundary."""
    name = name[: max(max_bytes, 0)]  # every character takes at least one byte
    while len(os.fsencode(name)) > max_bytes:
        name = name[:-1]
    return name


def _tag(basename: str) -> str:
    return hashlib.sha256(os.fsencode(basename)).hexdigest()[:8]


def _temp_prefix(folder: str, basename: str) -> str:
    """What every temp name of ``basename`` starts with: ``.<shortened name>.<tag>.``"""
    room = name_max(folder) - _TEMP_OVERHEAD
    return f".{shorten(basename, room)}.{_tag(basename)}."


def _has_temp_form(name: str, prefix: str) -> bool:
    middle = name[len(prefix) : -len(_TEMP_SUFFIX)]
    return (
        name.startswith(prefix)
        and name.endswith(_TEMP_SUFFIX)
        and len(middle) == 8
        and all(c in "0123456789abcdef" for c in middle)
    )


def is_temp_name(name: str, destination) -> bool:
    """True if ``name`` (a file name) is one of ``atomic_write``'s temp names for the file ``destination``."""
    destination = os.fspath(destination)
    folder = os.path.dirname(os.path.abspath(destination))
    return _has_temp_form(name, _temp_prefix(folder, os.path.basename(destination)))


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another open file holds one."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # no lock support here (ENOLCK, EINVAL): treat as held, so nothing is removed
        return False
    return True


def _open_existing(path: str) -> int:
    flags = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, os.O_RDWR | flags)  # NFS grants exclusive locks only to files open for writing
    except PermissionError:
        return os.open(path, os.O_RDONLY | flags)


def _remove_stale_temps(folder: str, basename: str) -> None:
    """Remove temp files of earlier writes to ``basename`` whose writers are gone (see the module docstring)."""
    prefix = _temp_prefix(folder, basename)
    try:
        entries = [e.name for e in os.scandir(folder) if _has_temp_form(e.name, prefix)]
    except OSError:
        return
    for name in entries:
        path = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            fd = _open_existing(path)
            try:
                info = os.fstat(fd)
                empty_and_young = info.st_size == 0 and time.time() - info.st_mtime < _EMPTY_TEMP_GRACE
                if stat.S_ISREG(info.st_mode) and not empty_and_young and _try_lock(fd):
                    os.remove(path)
            finally:
                os.close(fd)


def _create_temp(folder: str, basename: str) -> tuple[int, str]:
    prefix = _temp_prefix(folder, basename)
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            fd = os.open(path, _OPEN_FLAGS, 0o666)  # 0o666 & ~umask, applied by the kernel
        except FileExistsError:
            continue
        _try_lock(fd)  # held until the file is renamed or removed, and released if this process dies
        return fd, path
    raise FileExistsError(f"could not create a temp file for {basename!r} in {folder!r}")


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable across a power cut; folders cannot be opened for this on Windows.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` (bytes, or a function that writes into the open binary file) to ``path`` atomically.

    Readers see the old file (or none) until the new one is complete; the new file gets ``0o666 & ~umask``.
    The folder needs room for both files at once until the rename. On any exception the temp file is removed
    and ``path`` is left as it was; temp files left by earlier writers to ``path`` that were killed are
    removed first. See the module docstring.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    basename = os.path.basename(path)
    os.makedirs(folder, exist_ok=True)
    _remove_stale_temps(folder, basename)
    fd, tmp = _create_temp(folder, basename)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:
                os.replace(tmp, path)  # while the lock is held: a cleaner never sees this file unlocked
        if fcntl is None:
            os.replace(tmp, path)  # Windows cannot rename a file that is still open
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


def move_aside(path, label: str = "corrupt") -> str:
    """Rename the file at ``path`` to ``<path>.<label>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``, … if taken) in the
    same folder, never overwriting a file; return the new path. The name is shortened to fit the folder.

    Raises ``OSError`` if the file cannot be moved (it is then left where it was).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        suffix = f".{label}-{stamp}" + (f"-{n}" if n > 1 else "")
        target = os.path.join(folder, shorten(base, name_max(folder) - len(suffix)) + suffix)
        try:
            os.link(path, target, follow_symlinks=False)  # fails if target exists: never overwrites
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise
        except (OSError, NotImplementedError):
            # No hard links here (FAT, some network file systems): rename, after checking the name is free.
            if os.path.lexists(target):
                continue
            os.rename(path, target)
            return target
        os.remove(path)
        return target
    raise FileExistsError(f"could not find a free name to move {path!r} aside")
