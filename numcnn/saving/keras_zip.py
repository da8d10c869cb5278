"""The ``.keras`` zip: ``metadata.json``, ``config.json`` and ``model.weights.h5``, read bounded, written atomically.

Keras 3 writes the three members uncompressed (``ZIP_STORED``), in that order, and reads only
``config.json`` and the weights (``metadata.json`` may be missing or wrong; other members are ignored and
a duplicate name silently wins by being last). numcnn is stricter before it inflates a byte:

- the zip is read by :class:`numcnn._zip.ZipReader`, the checked reader of every numcnn archive: the file
  at most ``ZipLimits.max_file_bytes``, at most ``ZipLimits.max_members`` members (counted before the
  directory is parsed), each name unique and inside the archive, none encrypted, stored or deflated only;
- the names: one of the three above (``assets/`` and Keras' ``model.weights.npz`` variant are refused by
  name), ``config.json`` and ``model.weights.h5`` present;
- each member declares at most its own cap and at most ``max_ratio`` times its compressed size (all of
  them at most ``max_ratio`` times the file's size), and is read back in bounded pieces to exactly its
  declared size (a member that inflates past it is refused mid-way);
- the JSON members are parsed with their nesting bounded.

``assets/`` would only hold files of layers numcnn does not have (e.g. text vectorization vocabularies).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from dataclasses import dataclass
from functools import partial

from numcnn._checks import file_path
from numcnn._zip import Limits, ZipReader
from numcnn.saving._h5 import parse_json
from numcnn.saving.npz import MODEL_WORDING, ModelFileNotFoundError, atomic_write

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
KERAS_VERSION = "3.15.1"  # the Keras whose files numcnn's were checked against


@dataclass(frozen=True)
class ZipLimits:
    max_file_bytes: int = 16 << 30
    max_members: int = 16
    max_json_bytes: int = 64 << 20  # config.json of the notebook's model: 6.3 KB
    max_weights_bytes: int = 16 << 30
    max_ratio: int = 200  # deflate cannot exceed ~1032:1; real JSON compresses ~10:1, weights ~1.1:1


ZIP_LIMITS = ZipLimits()


@dataclass
class KerasArchive:
    """What a ``.keras`` file holds: ``config`` (``config.json`` parsed), ``metadata`` (``metadata.json``
    parsed, ``None`` when absent) and ``weights`` (the bytes of ``model.weights.h5``, for
    :func:`numcnn.saving.keras_weights.read_weights`)."""

    config: dict
    metadata: dict | None
    weights: bytes


def read_keras(path, limits: ZipLimits = ZIP_LIMITS) -> KerasArchive:
    """Read the ``.keras`` file at ``path``; ``ValueError`` naming the file and the problem for anything else
    (a missing file: :class:`ModelFileNotFoundError`, also a ``FileNotFoundError``)."""
    path = file_path("filepath", path)
    if not os.path.isfile(path):
        raise ModelFileNotFoundError(f"No model file at '{path}'")
    caps = Limits(
        max_file_bytes=limits.max_file_bytes,
        max_members=limits.max_members,
        max_total_bytes=limits.max_file_bytes,  # Keras stores its members: they are about the file's size
        max_ratio=limits.max_ratio,
    )
    context = f"Cannot load '{path}' as a .keras file"
    member_caps = partial(_member_caps, limits)
    with ZipReader(path, caps, context=context, wording=MODEL_WORDING, member_caps=member_caps) as archive:
        members = {name: bytes(archive.read_member(name)) for name in archive.members()}
        error = archive.error
    config = _json(members[CONFIG], CONFIG, error)
    if not isinstance(config, dict):
        raise error(f"'{CONFIG}' holds a JSON {type(config).__name__}, not an object")
    metadata = None
    if METADATA in members:
        metadata = _json(members[METADATA], METADATA, error)
        if not isinstance(metadata, dict):
            raise error(f"'{METADATA}' holds a JSON {type(metadata).__name__}, not an object")
    return KerasArchive(config=config, metadata=metadata, weights=members[WEIGHTS])


def _member_caps(limits: ZipLimits, names: list[str], error) -> dict[str, int]:
    """Each member's byte cap; the names a ``.keras`` file may not hold, or must, refused by name."""
    for name in names:
        if name.startswith("assets/") or name == "assets":
            raise error(f"it holds '{name}': layer assets belong to layers numcnn does not have")
        if name == "model.weights.npz":
            raise error("its weights are in Keras' .npz variant (weights_format='npz'); save them as h5")
        if name not in (CONFIG, METADATA, WEIGHTS):
            raise error(f"unexpected member '{name}' (a .keras file holds {CONFIG}, {METADATA}, {WEIGHTS})")
    for name in (CONFIG, WEIGHTS):
        if name not in names:
            raise error(f"it has no '{name}'")
    return {name: limits.max_weights_bytes if name == WEIGHTS else limits.max_json_bytes for name in names}


def _json(data: bytes, name: str, error):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(f"'{name}' is not UTF-8 text ({err})") from None
    return parse_json(text, f"'{name}'", error)


def keras_metadata() -> dict:
    """``metadata.json`` as Keras writes it: the Keras version the file is for and the save time."""
    saved = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    return {"keras_version": KERAS_VERSION, "date_saved": saved}


def keras_zip_bytes(config: dict, weights: bytes, metadata: dict | None = None) -> bytes:
    """The bytes of a ``.keras`` zip: ``metadata.json``, ``config.json``, ``model.weights.h5``, uncompressed
    as Keras writes them (``metadata`` defaults to :func:`keras_metadata`)."""
    if not isinstance(config, dict):
        raise TypeError(f"Invalid value for argument 'config': expected a dict. Received: {type(config).__name__}")
    if not isinstance(weights, (bytes, bytearray)):
        raise TypeError(f"Invalid value for argument 'weights': expected bytes. Received: {type(weights).__name__}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, json.dumps(keras_metadata() if metadata is None else metadata))
        zf.writestr(CONFIG, json.dumps(config))
        zf.writestr(WEIGHTS, bytes(weights))
    return buffer.getvalue()


def write_keras(path, config: dict, weights: bytes, metadata: dict | None = None) -> None:
    """Write a ``.keras`` file atomically (temp file, fsync, rename; see :func:`keras_zip_bytes`)."""
    atomic_write(path, keras_zip_bytes(config, weights, metadata))
