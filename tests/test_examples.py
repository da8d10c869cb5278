"""The example scripts run end to end (on small stand-in data sets, so the test is fast and offline)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numcnn.models import load_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def fake_load_data():
    rng = np.random.default_rng(0)
    images = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)  # noqa: E731
    labels = lambda n: rng.integers(0, 10, n).astype(np.uint8)  # noqa: E731
    return (images(300), labels(300)), (images(50), labels(50))


@pytest.mark.parametrize(
    ("script", "dataset"), [("mnist", "mnist"), ("fashion_mnist", "fashion_mnist"), ("residual_mnist", "mnist")]
)
def test_example_trains_evaluates_and_saves(tmp_path, monkeypatch, capsys, script, dataset):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    module = importlib.import_module(script)
    monkeypatch.setattr(getattr(module, dataset), "load_data", fake_load_data)
    saved = tmp_path / "model.npz"
    assert (
        module.main(["--epochs", "1", "--batch-size", "64", "--seed", "3", "--verbose", "2", "--save", str(saved)]) == 0
    )
    out = capsys.readouterr().out
    assert "Total params:" in out and " - loss: " in out
    assert "Epoch 1/1" not in out  # Keras 3 prints no epoch header when fit runs one epoch
    assert "Test accuracy = " in out and "Saved the model to" in out
    assert load_model(saved).predict(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)
    sys.modules.pop(script, None)


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path):
    # A stand-in matplotlib that fails to import, first on the path of a fresh interpreter.
    (tmp_path / "matplotlib").mkdir()
    (tmp_path / "matplotlib" / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "mnist.py"), "--plot", str(tmp_path / "figures")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "pip install 'numcnn[plot]'" in done.stderr
    assert not (tmp_path / "figures").exists()
