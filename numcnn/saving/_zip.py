"""Zip archives read as hostile files: the directory is checked before any member is inflated.

Both of numcnn's zip formats go through here, Keras' ``.keras`` (:mod:`numcnn.saving.keras_zip`) and numcnn's
own ``.npz`` (:mod:`numcnn.saving.npz`). What the directory says is checked first, against caps the caller
gives per member name (``cap_of(name)``, which also refuses names it does not expect):

- at most ``max_members`` members, each name once (zipfile would silently take the last of two);
- no ``..`` or absolute names, no encryption, stored or deflated only;
- each member declares at most its cap, and at most ``max_ratio`` times the bytes it stores.

A member is then read back to exactly the size it declares (zipfile stops there and checks the CRC), so no
member can make numcnn hold more than its directory entry said, and :func:`read_prefix` inflates only the
first bytes of one (an ``.npy`` header) without touching the rest.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable

_READ_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError)


def checked_members(
    archive: zipfile.ZipFile, error, cap_of: Callable[[str], int], max_members: int, max_ratio: int
) -> dict[str, zipfile.ZipInfo]:
    """The members of ``archive`` by name, once the directory passed every check (``error(problem)`` makes
    the exception raised; ``cap_of(name)`` returns a member's byte cap or raises for an unexpected name)."""
    infos = archive.infolist()
    if len(infos) > max_members:
        raise error(f"it has {len(infos)} members, more than {max_members}")
    found: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if name in found:
            raise error(f"it holds two members named '{name}'")
        if ".." in name.replace("\\", "/").split("/") or name.startswith(("/", "\\")):
            raise error(f"the member name '{name}' leaves the archive")
        cap = cap_of(name)
        if info.flag_bits & 0x1:
            raise error(f"the member '{name}' is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise error(f"the member '{name}' uses compression method {info.compress_type}")
        if info.file_size > cap or info.file_size > max_ratio * max(info.compress_size, 1):
            raise error(
                f"the member '{name}' declares {info.file_size:,} bytes from {info.compress_size:,} stored "
                f"(at most {cap:,} bytes and {max_ratio}:1 allowed)"
            )
        found[name] = info
    return found


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, error) -> bytearray:
    """The whole member, exactly the size its directory entry declares (a writable buffer, so arrays viewing
    it need no copy)."""
    data = bytearray(info.file_size)
    view = memoryview(data)
    done = 0
    try:
        with archive.open(info) as member:
            while done < info.file_size:
                n = member.readinto(view[done:])
                if not n:
                    break
                done += n
            extra = member.read(1)  # zipfile stops at the declared size: anything more is a lie
    except _READ_ERRORS as err:
        raise error(f"the member '{info.filename}' cannot be read ({type(err).__name__}: {err})") from None
    if done != info.file_size or extra:
        raise error(f"the member '{info.filename}' holds other than the {info.file_size:,} bytes it declares")
    return data


def read_prefix(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, error) -> bytes:
    """At most the first ``size`` bytes of a member, inflating no more than that."""
    try:
        with archive.open(info) as member:
            return member.read(min(size, info.file_size))
    except _READ_ERRORS as err:
        raise error(f"the member '{info.filename}' cannot be read ({type(err).__name__}: {err})") from None
