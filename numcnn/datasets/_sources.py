"""Trying a data set's sources in order: the cache first, then local files, then downloads.

Every loader (``_loader`` for the IDX data sets, ``_cifar`` for CIFAR) describes its sources as
``Source(label, attempt, kind)`` and hands them to ``load_first``, which tries them in order and stops at
the first that yields verified data, caches it, and otherwise raises ``DatasetUnavailableError`` listing
every source tried and why it failed. What happens to the cache file follows ``_cache``'s rules: numcnn's own
corrupt cache is moved aside (never deleted), and a file numcnn did not write is never touched.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from numcnn._files import move_aside
from numcnn.datasets._cache import ForeignFile, Layout, NotFound, npz_bytes, write_cache

_HERE = os.path.dirname(os.path.abspath(__file__))


class DatasetUnavailableError(OSError):
    """No source could provide a data set; the message lists each source tried and why it failed."""


@dataclass(frozen=True)
class Source:
    """One place a data set may come from.

    ``attempt()`` returns ``(arrays, npz)``: the verified arrays (name -> array, in ``Layout`` order), and
    the bytes to cache as they are (a verified download of Keras' ``.npz``) or ``None`` (numcnn writes its
    own ``.npz`` of the arrays). It raises ``NotFound`` when the source simply is not there, ``ValueError``
    when it is there but wrong (bad hash, bad format), ``OSError`` when it cannot be reached or read.
    ``kind``: ``'cache'`` for numcnn's cache file (which comes first), else ``'other'``.
    """

    label: str
    attempt: Callable[[], tuple[dict, bytes | None]]
    kind: str = "other"


def reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def warn(message: str) -> None:
    """A ``RuntimeWarning`` pointing at the first caller outside this package (the user's load_data() call)."""
    depth, frame = 1, sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame, depth = frame.f_back, depth + 1
    warnings.warn(message, RuntimeWarning, stacklevel=depth + 1)


def _set_aside(npz_path: Path, title: str, exc: Exception) -> bool:
    """Move numcnn's corrupt cache file aside; True if the path is now free for a fresh cache."""
    try:
        moved = move_aside(npz_path)
    except FileNotFoundError:
        return True  # another process moved it first
    except OSError as err:
        warn(f"{exc}; could not move the corrupt {title} cache aside ({err}), so it stays and nothing is cached")
        return False
    warn(f"{exc}; moved the corrupt {title} cache file to {moved} and fetching {title} again")
    return True


def load_first(title: str, npz_path: Path, layout: Layout, sources: Iterable[Source], by_hand: str) -> dict:
    """Return the arrays of the first source that has them, verified, and cache them at ``npz_path``.

    Args:
        title: the data set's name in messages, e.g. ``"MNIST"``.
        npz_path: the cache file.
        layout: the cache's arrays (see ``_cache.Layout``).
        sources: tried in order.
        by_hand: the last line of the error: where to put the files by hand.

    Raises:
        DatasetUnavailableError: (an ``OSError``) every source failed; the message lists them in order.
    """
    tried: list[tuple[str, str]] = []
    may_cache = True
    for source in sources:
        own = source.kind == "cache"
        try:
            arrays, npz = source.attempt()
        except NotFound as exc:
            tried.append((source.label, reason(exc)))
            continue
        except ForeignFile as exc:  # only the cache source raises it
            tried.append((source.label, f"not a numcnn cache file ({reason(exc)})"))
            warn(
                f"{npz_path} is not a {title} cache file that numcnn wrote ({reason(exc)}): it is left as it is, "
                f"and {title} will not be cached there (pass another path, or move that file)"
            )
            may_cache = False
            continue
        except ValueError as exc:  # ChecksumError and format errors: the file is there, but not the data
            tried.append((source.label, reason(exc)))
            if own:
                may_cache = _set_aside(npz_path, title, exc)
            else:
                warn(f"skipping {source.label}: {exc}")
            continue
        except OSError as exc:  # unreachable, timed out, refused, npm missing or failing, unreadable file
            tried.append((source.label, reason(exc)))
            may_cache = may_cache and not own  # an own cache that cannot even be read is not replaced
            continue
        if not own and may_cache:
            _store(npz_path, title, layout, npz if npz is not None else npz_bytes(arrays))
        return arrays
    lines = [f"Could not load {title}: no source could provide it. Sources tried, in order:"]
    lines += [f"  - {label}: {why}" for label, why in tried]
    lines.append(by_hand)
    raise DatasetUnavailableError("\n".join(lines))


def _store(npz_path: Path, title: str, layout: Layout, data: bytes) -> None:
    try:
        write_cache(npz_path, layout, data)
    except ForeignFile:
        warn(f"{npz_path} is not a {title} cache file that numcnn wrote: left as it is, {title} not cached")
    except OSError as exc:
        warn(f"could not write the {title} cache file {npz_path} ({exc}); it will be fetched again")
