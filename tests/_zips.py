"""Hand-built zip archives for the hostile-file tests: members whose directory entries say what a test wants
(duplicate names, lying sizes, encryption flags, a 0.5 MB deflate stream of 512 MiB)."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np

STORED, DEFLATED = 0, 8


@dataclass
class Member:
    name: str
    data: bytes  # as stored in the archive (already compressed for DEFLATED)
    size: int  # the uncompressed size the directory declares
    crc: int
    method: int = STORED
    flags: int = 0


def stored(name: str, payload: bytes) -> Member:
    return Member(name, payload, len(payload), zlib.crc32(payload))


def deflated(name: str, payload: bytes) -> Member:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, c.compress(payload) + c.flush(), len(payload), zlib.crc32(payload), DEFLATED)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "|u1", fortran: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue()


def zip_bytes(members: list[Member], declared_count: int | None = None) -> bytes:
    """A zip holding ``members`` exactly as given; ``declared_count`` overrides the end record's count (past
    0xFFFF, in a zip64 end record that the classic one points to, as zip64 writers do)."""
    out, central = io.BytesIO(), io.BytesIO()
    for m in members:
        name = m.name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, m.flags, m.method, 0, 33, m.crc, len(m.data), m.size,
                              len(name), 0))  # fmt: skip
        out.write(name + m.data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, 33, m.crc,
                                  len(m.data), m.size, len(name), 0, 0, 0, 0, 0, offset))  # fmt: skip
        central.write(name)
    count = len(members) if declared_count is None else declared_count
    start = out.tell()
    out.write(central.getvalue())
    if count > 0xFFFF:
        record = out.tell()
        out.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count,
                              len(central.getvalue()), start))  # fmt: skip
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, record, 1))
        count = 0xFFFF
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central.getvalue()), start, 0))
    return out.getvalue()


def overlapping(member: Member, names: list[str]) -> bytes:
    """A zip whose directory lists ``member``'s one stored stream under each of ``names`` (each entry alone
    is honest; together they declare ``len(names)`` times the bytes the file holds)."""
    out = io.BytesIO()
    out.write(zip_bytes([member]).split(b"PK\x01\x02")[0])  # the local header and the data, at offset 0
    start = out.tell()
    for name in names:
        encoded = name.encode()
        out.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, member.flags, member.method, 0, 33, member.crc,
                              len(member.data), member.size, len(encoded), 0, 0, 0, 0, 0, 0))  # fmt: skip
        out.write(encoded)
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(names), len(names), size, start, 0))
    return out.getvalue()


def zeros_bomb_member(name: str = "x_train.npy", mib: int = 512) -> Member:
    """A ~0.5 MB deflated .npy member that inflates to ``mib`` MiB of zeros (its directory entry is honest).

    Built from one fully flushed 16 MiB block repeated (each block stands alone after a full flush), so
    making it takes a fraction of a second instead of deflating 512 MiB.
    """
    header = npy_header((mib << 20,))
    block = bytes(16 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    stream = head + piece * (mib // 16) + c.flush()
    crc = zlib.crc32(header)
    for _ in range(mib // 16):
        crc = zlib.crc32(block, crc)
    return Member(name, stream, len(header) + (mib << 20), crc, DEFLATED)


def zeros_bomb(name: str = "x_train.npy", mib: int = 512) -> bytes:
    """A ~0.5 MB zip whose one .npy member inflates to ``mib`` MiB of zeros."""
    return zip_bytes([zeros_bomb_member(name, mib)])
