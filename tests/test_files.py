"""numcnn._files: saved files get the umask in force when they are written (issue 12, item 9); a save killed
mid-write leaves a temp file that the next save removes, while a live writer's is never touched; names of
242-255 bytes can be saved (item 10); moving a corrupt file aside never overwrites one."""

# ruff: noqa: F811 (the fixtures env and fake are imported from _fake_data)
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _fake_data import env, fake, serve_npm  # noqa: F401 (fixtures)
from test_models import tiny_data, tiny_model

from numcnn import _files, callbacks
from numcnn.datasets import mnist
from numcnn.models import load_model

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions, signals and locks")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def temps(folder, destination) -> list[str]:
    return sorted(n for n in os.listdir(folder) if _files.is_temp_name(n, os.path.join(folder, destination)))


@pytest.fixture
def umask():
    """Set the umask after numcnn was imported (as a user would); put the old one back afterwards."""
    set_umask = os.umask  # the test may replace os.umask itself
    old = set_umask(0o022)
    set_umask(old)
    yield set_umask
    set_umask(old)


# ------------------------------------------------------------------------------------------------------ umask


@posix_only
@pytest.mark.parametrize("mask", [0o077, 0o027, 0o002], ids=oct)
def test_models_checkpoints_and_the_data_cache_get_the_umask_in_force(tmp_path, env, fake, umask, mask, monkeypatch):
    def no_umask(*args):
        raise AssertionError("os.umask was called: it sets the process-wide umask, racing other threads")

    umask(mask)
    monkeypatch.setattr(os, "umask", no_umask)
    model = tiny_model()
    model.save(tmp_path / "model.npz")
    x, y, _ = tiny_data(10)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "ckpt.npz"))])
    serve_npm(env, fake)
    mnist.load_data()
    for path in (tmp_path / "model.npz", tmp_path / "ckpt.npz", env.cache / "mnist.npz"):
        assert mode(path) == 0o666 & ~mask, path


# ------------------------------------------------------------------------------------------ temp files left

WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from numcnn import _files

    def write(f):
        f.write(b"x" * (1 << 20))  # a megabyte of the new file is on disk
        f.flush()
        if sys.argv[2] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)  # no handler, no cleanup
        print("writing", flush=True)
        sys.stdin.readline()  # hold the temp file (and its lock) until told to go on
        f.write(b"child")

    _files.atomic_write(sys.argv[1], write)
    """
)


def writer(path, how):
    child_env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_env,
    )


@posix_only
def test_the_next_write_removes_the_temp_file_of_a_writer_killed_mid_write(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    child = writer(path, "kill")
    assert child.wait(60) == -signal.SIGKILL
    child.stdout.close()
    child.stdin.close()
    [left] = temps(tmp_path, "model.npz")
    assert os.path.getsize(tmp_path / left) == 1 << 20 and path.read_bytes() == b"old"  # the old file is whole
    _files.atomic_write(path, b"new")
    assert temps(tmp_path, "model.npz") == [] and sorted(os.listdir(tmp_path)) == ["model.npz"]
    assert path.read_bytes() == b"new"


@posix_only
def test_a_live_writers_temp_file_is_never_removed(tmp_path):
    path = tmp_path / "model.npz"
    child = writer(path, "wait")
    try:
        assert child.stdout.readline().strip() == b"writing"
        [theirs] = temps(tmp_path, "model.npz")
        _files.atomic_write(path, b"parent")  # another writer to the same file, meanwhile
        assert temps(tmp_path, "model.npz") == [theirs] and path.read_bytes() == b"parent"
        child.stdin.write(b"go\n")
        child.stdin.flush()
        assert child.wait(60) == 0
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stdin.close()
    assert path.read_bytes() == b"x" * (1 << 20) + b"child" and temps(tmp_path, "model.npz") == []


def test_only_this_destinations_stale_temp_files_are_removed(tmp_path):
    path = tmp_path / "model.npz"
    prefix = _files._temp_prefix(str(tmp_path), "model.npz")
    stale = tmp_path / f"{prefix}0123abcd.tmp"
    stale.write_bytes(b"left by a killed writer")
    young_empty = tmp_path / f"{prefix}89abcdef.tmp"
    young_empty.write_bytes(b"")  # a writer that has created its file but not locked it yet
    old_empty = tmp_path / f"{prefix}deadbeef.tmp"
    old_empty.write_bytes(b"")
    os.utime(old_empty, (time.time() - 120, time.time() - 120))
    others = [
        tmp_path / f"{_files._temp_prefix(str(tmp_path), 'other.npz')}0123abcd.tmp",  # another file's temp
        tmp_path / ".model.npz.notes.tmp",  # the user's file, merely alike
        tmp_path / f"{prefix}0123abcdX.tmp",
    ]
    for other in others:
        other.write_bytes(b"keep me")
    _files.atomic_write(path, b"new")
    assert not stale.exists() and not old_empty.exists() and young_empty.exists()
    assert all(other.read_bytes() == b"keep me" for other in others)


# ----------------------------------------------------------------------------------------------- long names


@pytest.mark.parametrize("length", [242, 250, 254, 255])
def test_file_names_up_to_the_file_systems_limit_can_be_saved(tmp_path, length):
    if _files.name_max(str(tmp_path)) < 255:
        pytest.skip("this file system allows shorter names")
    path = tmp_path / ("m" * (length - 4) + ".npz")
    model = tiny_model()
    model.save(path)
    restored = load_model(path)
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    wide = tmp_path / ("é" * ((length - 1) // 2) + "x" * ((length - 1) % 2 + 1))  # 2-byte characters
    assert len(os.fsencode(wide.name)) == length
    _files.atomic_write(wide, b"ok")
    assert wide.read_bytes() == b"ok" and sorted(os.listdir(tmp_path)) == sorted([path.name, wide.name])


def test_shorten_cuts_on_a_character_boundary():
    assert _files.shorten("abc", 10) == "abc"
    assert _files.shorten("é" * 10, 5) == "éé"  # 4 bytes: a third é would need 6
    assert len(os.fsencode(_files.shorten("€" * 100, 232))) <= 232


# ------------------------------------------------------------------------------------------------ move aside


def test_moving_aside_never_overwrites_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda fmt, *args: "20250101-000000")  # all in one second
    path = tmp_path / ("c" * 251 + ".npz")  # 255 bytes: the suffix must fit too
    moved = []
    for content in (b"first", b"second", b"third"):
        path.write_bytes(content)
        moved.append(_files.move_aside(path, "corrupt"))
    assert not path.exists()
    assert [Path(m).read_bytes() for m in moved] == [b"first", b"second", b"third"]
    assert len(set(moved)) == 3 and all(len(os.path.basename(m).encode()) <= 255 for m in moved)
    assert os.path.basename(moved[1]).endswith(".corrupt-20250101-000000-2")
    with pytest.raises(FileNotFoundError):
        _files.move_aside(path)


@pytest.mark.parametrize("length", [65_535, 65_536, 200_000])
def test_a_layer_name_of_64_kib_or_more_saves_and_loads(tmp_path, length):
    """Item 10: zip member names and JSON strings have no 64 KiB limit here (it once raised struct.error)."""
    import numcnn
    from numcnn import layers

    model = numcnn.Sequential([numcnn.Input((4,)), layers.Dense(3, name="d" * length)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "model.npz")
    restored = load_model(tmp_path / "model.npz")
    assert restored.layers[0].name == "d" * length
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
