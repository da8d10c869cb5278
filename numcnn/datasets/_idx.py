"""Read IDX files, the format MNIST and Fashion-MNIST ship in, raw or gzipped, with strict checks.

An IDX file is a 4-byte magic number ``0x00 0x00 TYPE NDIM``, then NDIM big-endian uint32 dimensions, then
the data in C order. These data sets use TYPE 0x08 (unsigned bytes): labels are 1-D (magic 0x00000801) and
images 3-D (magic 0x00000803). Every check below raises ``ValueError`` naming the file and saying what was
expected and what was received, because a truncated or mislabelled download must fail loudly, not train on
garbage.
"""

from __future__ import annotations

import math
import os
import zlib

import numpy as np

UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# Without a known shape, refuse to inflate a gzip member past this size (a guard against gzip bombs).
DEFAULT_MAX_BYTES = 1 << 30


def expected_magic(ndim: int) -> int:
    """The magic number of an unsigned-byte IDX file with ``ndim`` dimensions (0x00000801, 0x00000803)."""
    return (UBYTE << 8) | ndim


def idx_header(shape: tuple[int, ...]) -> bytes:
    """The header of an unsigned-byte IDX file holding an array of ``shape``: magic number, then dimensions."""
    fields = (expected_magic(len(shape)), *shape)
    return b"".join(int(v).to_bytes(4, "big") for v in fields)


def idx_nbytes(shape: tuple[int, ...]) -> int:
    """Exact length in bytes of an unsigned-byte IDX file holding an array of ``shape``."""
    return 4 + 4 * len(shape) + math.prod(shape)


def gunzip(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Decompress gzip ``data`` (every member), refusing output longer than ``max_bytes``.

    zlib checks each member's CRC-32 and length trailer. Raises ``ValueError`` naming ``name`` for a corrupt
    or truncated stream, for bytes after the last member that are not another member, and for output longer
    than ``max_bytes`` (so a wrong or hostile file cannot fill memory).
    """
    out = bytearray()
    pending = data
    try:
        while True:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while True:
                out += inflater.decompress(pending, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise ValueError(
                        f"{name}: expected at most {max_bytes} bytes once decompressed, received more "
                        "(wrong file, or not the data set it claims to be)"
                    )
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
                if not pending:
                    # zlib returned less than asked for and wants more input: the stream was cut short.
                    raise ValueError(f"{name}: truncated gzip data (the stream ends inside its last member)")
            pending = inflater.unused_data
            if not pending:
                return bytes(out)
    except zlib.error as exc:
        raise ValueError(f"{name}: corrupt gzip data ({exc})") from exc


def parse_idx(data: bytes, name: str, shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Parse the bytes of an unsigned-byte IDX file into a writable uint8 array.

    Args:
        data: the whole (uncompressed) file.
        name: how to name the file in error messages (a path or URL).
        shape: the dimensions it must have, e.g. ``(60000, 28, 28)``; ``None`` entries accept any size, and
            ``shape=None`` accepts any number of dimensions. Its length fixes the expected magic number.

    Returns:
        uint8 array of the file's dimensions (a copy: it does not keep ``data`` alive and may be written).
    """
    size = len(data)
    if size < 4:
        raise ValueError(f"{name}: not an IDX file: expected a 4-byte magic number, received {size} bytes")
    magic = int.from_bytes(data[:4], "big")
    ndim = len(shape) if shape is not None else data[3]
    want = expected_magic(ndim)
    if magic != want or ndim == 0:
        kind = {1: "labels", 3: "images"}.get(ndim, f"{ndim}-D data")
        raise ValueError(
            f"{name}: wrong IDX magic number: expected 0x{want:08X} (unsigned bytes, {kind}), received 0x{magic:08X}"
        )
    header = 4 + 4 * ndim
    if size < header:
        raise ValueError(
            f"{name}: truncated IDX header: expected {header} bytes for {ndim} dimension(s), received {size} bytes"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape is not None and any(w is not None and w != d for w, d in zip(shape, dims, strict=True)):
        wanted = tuple("any" if w is None else w for w in shape)
        raise ValueError(f"{name}: wrong IDX dimensions: expected {wanted}, received {dims}")
    expected = header + math.prod(dims)
    if size != expected:
        problem = "file is truncated" if size < expected else f"{size - expected} trailing bytes"
        raise ValueError(
            f"{name}: wrong IDX file length for dimensions {dims}: expected {expected} bytes "
            f"({header}-byte header + {expected - header} data bytes), received {size} bytes ({problem})"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected - header, offset=header).reshape(dims).copy()


def read_idx(path: str | os.PathLike, shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Read a raw or gzipped (``.gz``, detected by content) unsigned-byte IDX file.

    Args:
        path: the file.
        shape: the dimensions it must have (see ``parse_idx``); when fully known, it also bounds how far a
            gzipped file may inflate.

    Returns:
        uint8 array, e.g. ``(60000, 28, 28)`` for MNIST's training images or ``(60000,)`` for its labels.
    """
    name = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == GZIP_MAGIC:
        known = shape is not None and all(d is not None for d in shape)
        data = gunzip(data, name, idx_nbytes(shape) if known else DEFAULT_MAX_BYTES)
    return parse_idx(data, name, shape)
