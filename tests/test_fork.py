"""Fork safety of numcnn's thread bookkeeping (issue 12, item 11): a child forked while another thread is inside
a parallel region, or holds numcnn's BLAS lock, starts with a free lock, no region open, and the OpenBLAS thread
count its parent had before its regions; a real training thread forked six times gives six healthy children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

from numcnn import _threads

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only"),
    pytest.mark.skipif(_threads._get_global is None, reason="NumPy's BLAS here has no OpenBLAS thread-count getter"),
]


def in_child(probe) -> str:
    """Fork; run ``probe()`` in the child (a hang kills it within 20 s); return what it returned, as text."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() with threads running
        pid = os.fork()
    if pid == 0:
        try:
            signal.alarm(20)
            os.write(write, str(probe()).encode())
        except BaseException as exc:  # reported through the pipe
            os.write(write, f"error: {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def child_state():
    """What a forked child sees: BLAS threads, open regions, whether the lock is free, the count after a region."""
    free = _threads._blas_lock.acquire(timeout=2)
    if free:
        _threads._blas_lock.release()
    before = (_threads._get_global(), _threads._blas_state["users"], free)
    _threads.parallel_chunks(4, lambda i: np.ones((32, 32)) @ np.ones((32, 32)), uses_blas=True)
    return (*before, _threads._get_global())


@pytest.fixture
def two_blas_threads(monkeypatch):
    found = _threads._get_global()
    _threads._set_global(2)
    monkeypatch.setattr(_threads, "THREADS", 2)  # parallel regions even on a one-core machine
    yield
    _threads._set_global(found)


def test_a_child_forked_inside_another_threads_region_gets_the_blas_count_back(two_blas_threads):
    inside, leave = threading.Event(), threading.Event()

    def hold_a_region():
        with _threads._single_threaded_blas():
            inside.set()
            leave.wait(30)

    holder = threading.Thread(target=hold_a_region)
    holder.start()
    try:
        inside.wait(30)
        assert _threads._get_global() == 1  # the parent is mid-region
        assert in_child(child_state) == str((2, 0, True, 2))
    finally:
        leave.set()
        holder.join(30)
    assert _threads._get_global() == 2 and _threads._blas_state == {"users": 0, "found": None}


def test_a_child_forked_while_another_thread_holds_the_lock_gets_a_free_lock(two_blas_threads):
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with _threads._blas_lock:
            holding.set()
            release.wait(0.3)  # the fork waits for the lock, then this thread lets it go

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        holding.wait(30)
        assert in_child(child_state) == str((2, 0, True, 2))
    finally:
        release.set()
        holder.join(30)


def run_isolated(script: str) -> str:
    """Run ``script`` (which defines nothing: it is handed ``in_child`` and ``child_state``) in a fresh Python,
    so that a hang fails this test after a minute instead of stopping the whole run."""
    prelude = "import sys; sys.path.insert(0, sys.argv[1])\nfrom test_fork import in_child, child_state\n"
    prelude += "from numcnn import _threads\n_threads._set_global(2)\n_threads.THREADS = 2\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script), os.path.dirname(__file__)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PRODUCTS_WHILE_FORKING = """
    import threading
    import numpy as np

    a = np.random.default_rng(0).random((300, 300))
    stop, done = threading.Event(), []

    def products():
        while not stop.is_set():  # one chunk: the caller's thread alone, with two OpenBLAS threads
            done.append(_threads.parallel_chunks(1, lambda i: float((a @ a)[0, 0]), uses_blas=True))

    worker = threading.Thread(target=products, daemon=True)
    worker.start()
    while not done:
        worker.join(0.01)
    children = [in_child(lambda: "ok") for _ in range(20)]
    stop.set()
    worker.join(30)
    print(children == ["ok"] * 20, worker.is_alive())
"""


def test_a_fork_waits_for_a_multithreaded_product_running_in_another_thread():
    """OpenBLAS' fork handler stops its thread pool: with a multi-threaded product running in another thread
    at that moment, the fork and that product never returned (NumPy's OpenBLAS 0.3.31). numcnn marks its BLAS
    work, and a fork waits for it."""
    assert run_isolated(PRODUCTS_WHILE_FORKING) == "True False"


TRAINING_WHILE_FORKING = """
    import threading
    import numpy as np
    from numcnn import callbacks, layers
    from numcnn.models import Sequential

    rng = np.random.default_rng(0)
    x = np.zeros((64, 28, 28, 1), np.float32)
    x[:, 10:13, 4:24, 0] = 1.0  # image-like: zeros and a stroke
    x += rng.random(x.shape, dtype=np.float32) * 0.1
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]
    model = Sequential([layers.Conv2D(16, 3, activation="relu", input_shape=(28, 28, 1)), layers.Conv2D(16, 3)])
    model.add(layers.Flatten())
    model.add(layers.Dense(3, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # compiled and warm: the thread below trains at once
    training, stop, errors = threading.Event(), threading.Event(), []

    class Started(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            training.set()

    def train():
        try:
            while not stop.is_set():
                model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[Started()])
        except BaseException as exc:
            errors.append(exc)

    trainer = threading.Thread(target=train, daemon=True)
    trainer.start()
    training.wait(60)
    children = [in_child(child_state) for _ in range(6)]  # most land inside a region (measured: 3 of 6)
    stop.set()
    trainer.join(60)
    print(errors, children, _threads._get_global(), trainer.is_alive())
"""


def test_six_forks_while_a_model_trains_in_another_thread_give_six_healthy_children():
    healthy = str((2, 0, True, 2))
    assert run_isolated(TRAINING_WHILE_FORKING) == f"[] {[healthy] * 6} 2 False"
