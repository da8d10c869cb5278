"""Keras training scripts in the shapes users write them, run with only the import word changed (``keras`` →
``numcnn``) on small stand-in data sets: each must train (the loss falls) and give Keras' shapes and history
keys. The scripts are in ``tests/scripts/``, written against Keras' API; the test rewrites their imports."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from numcnn.datasets import cifar10, mnist

SCRIPTS = Path(__file__).parent / "scripts"


def _digits(n, seed):
    """Digit-like uint8 images with a learnable class: a bright bar whose position is the label."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = np.zeros((n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        x[i, 2 + 2 * label : 5 + 2 * label, 4:24] = 255
        x[i] = np.maximum(x[i], rng.integers(0, 60, (28, 28), dtype=np.uint8) * (rng.random((28, 28)) < 0.1))
    return x, labels.astype(np.uint8)


def _colour(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = rng.integers(0, 40, (n, 32, 32, 3), dtype=np.uint8)
    for i, label in enumerate(labels):
        x[i, :, 3 * label : 3 * label + 3, label % 3] = 250
    return x, labels.reshape(-1, 1).astype(np.uint8)


@pytest.fixture
def stand_in_data(monkeypatch):
    monkeypatch.setattr(mnist, "load_data", lambda path=None: (_digits(384, 0), _digits(96, 1)))
    monkeypatch.setattr(cifar10, "load_data", lambda: (_colour(320, 2), _colour(64, 3)))


def translate(source: str) -> str:
    """Keras' import words to numcnn's, as a user would change them (``"m.keras"`` keeps its suffix)."""
    source = re.sub(r"(?m)^import tensorflow as tf$", "import numcnn", source)
    source = re.sub(r"(?m)^from tensorflow import keras$", "import numcnn", source)
    source = re.sub(r"\btensorflow\.keras\b", "numcnn", source)
    source = re.sub(r"\btf\.keras\.", "numcnn.", source)
    return re.sub(r"(?<![.\w])keras\b", "numcnn", source)


def _run(name):
    source = translate((SCRIPTS / f"{name}.py").read_text())
    namespace = {"__name__": "__main__"}
    exec(compile(source, f"{name}.py", "exec"), namespace)  # noqa: S102 (our own test scripts)
    return namespace


def _trained(history, keys):
    assert sorted(history.history) == sorted(keys), history.history.keys()
    losses = history.history["loss"]
    assert len(losses) == history.params["epochs"] and losses[-1] < losses[0]


@pytest.mark.usefixtures("stand_in_data")
@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("mlp_rmsprop", ["accuracy", "loss", "val_accuracy", "val_loss"]),
        ("cnn_adadelta", ["accuracy", "loss", "val_accuracy", "val_loss"]),
        ("keras_io_convnet", ["accuracy", "loss", "val_accuracy", "val_loss"]),
        ("functional_cnn", ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]),
        ("from_logits_sparse", ["accuracy", "loss"]),
        ("residual_cifar", ["acc", "loss", "val_acc", "val_loss"]),
        ("two_inputs", ["accuracy", "loss", "val_accuracy", "val_loss"]),
        ("augmentation", ["accuracy", "loss", "val_accuracy", "val_loss"]),
    ],
)
def test_a_keras_script_runs_and_trains(name, keys, capsys):
    namespace = _run(name)
    _trained(namespace["history"], keys)
    out = capsys.readouterr().out
    if name == "mlp_rmsprop":
        assert "384 train samples" in out and "Total params: 55,050" in out
        assert len(namespace["score"]) == 2
    if name == "from_logits_sparse":
        assert namespace["predictions"].shape == (1, 10) and np.isfinite(namespace["first_loss"])
        np.testing.assert_allclose(np.asarray(namespace["probs"]).sum(axis=1), 1.0, rtol=1e-5)
    if name == "two_inputs":
        assert namespace["predictions"].shape == (8, 10)
    if name == "residual_cifar":
        assert namespace["model"].count_params() > 0 and "toy_resnet" in out
