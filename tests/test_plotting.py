"""numcnn.plotting: each figure is a real PNG file; save_report writes all four; bad inputs are refused."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from numcnn import plotting  # noqa: E402 (after the skip: the module needs matplotlib)
from numcnn.callbacks import History  # noqa: E402
from numcnn.layers import Conv2D, Dense, Flatten  # noqa: E402
from numcnn.models import Sequential  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def assert_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) > 1000 and data[:8] == PNG_SIGNATURE, (path, len(data), data[:8])
    assert len(data) < 400_000  # figures stay small enough for a README


@pytest.fixture
def run():
    """Fake results of a 10-class run: images, labels, predictions with 20 % mistakes, a history."""
    r = np.random.default_rng(0)
    x = r.random((60, 28, 28, 1)).astype(np.float32)
    y = r.integers(0, 10, 60)
    probabilities = r.random((60, 10)) * 0.5
    probabilities[np.arange(60), y] += 1.0
    probabilities[:12] = np.roll(probabilities[:12], 1, axis=1)  # the first 12 predicted wrong
    history = {
        "loss": [0.9, 0.5, 0.4],
        "accuracy": [0.7, 0.85, 0.9],
        "val_loss": [0.6, 0.45, 0.42],
        "val_accuracy": [0.8, 0.88, 0.89],
    }
    return x, y, probabilities, history


def test_plot_history_from_dict_and_history_object(tmp_path, run):
    *_, logs = run
    assert plotting.plot_history(logs, tmp_path / "h.png") == str(tmp_path / "h.png")
    assert_png(tmp_path / "h.png")
    history = History()
    history.history = {"loss": [0.3]}  # one epoch, no accuracy, no validation
    assert_png(plotting.plot_history(history, tmp_path / "sub" / "h1.png"))


def test_plot_confusion_matrix_counts(tmp_path, run, monkeypatch):
    _, y, probabilities, _ = run
    drawn = []
    original = plotting.Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        drawn.append(sorted(int(t.get_text()) for t in ax.texts))
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plotting.Figure, "savefig", spy)
    path = plotting.plot_confusion_matrix(y, probabilities.argmax(1), tmp_path / "cm.png", class_names=NAMES)
    assert_png(path)
    assert len(drawn[0]) == 100 and sum(drawn[0]) == 60  # a count in each of the 10x10 cells
    assert_png(plotting.plot_confusion_matrix(y, probabilities, tmp_path / "cm2.png"))  # rows are arg-maxed


def test_plot_misclassified_titles(tmp_path, run, monkeypatch):
    x, y, probabilities, _ = run
    predicted = probabilities.argmax(1)
    titles = []
    original = plotting.Figure.savefig

    def spy(fig, *args, **kwargs):
        titles.append([ax.get_title() for ax in fig.axes if ax.get_title()])
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plotting.Figure, "savefig", spy)
    assert_png(plotting.plot_misclassified(x, y, predicted, tmp_path / "m.png", max_images=5))
    wrong = np.flatnonzero(predicted != y)[:5]
    assert titles[0] == [f"{predicted[i]}/{y[i]}" for i in wrong]
    assert_png(plotting.plot_misclassified(x.transpose(0, 3, 1, 2), y, predicted, tmp_path / "cf.png", NAMES))
    assert titles[1][0] == f"{NAMES[predicted[wrong[0]]]}\n({NAMES[y[wrong[0]]]})"
    assert_png(plotting.plot_misclassified(x[..., 0], y, y, tmp_path / "none.png"))  # nothing wrong: still a PNG


def test_plot_filters(tmp_path):
    kernel = np.random.default_rng(1).standard_normal((3, 3, 1, 32))
    assert_png(plotting.plot_filters(kernel, tmp_path / "f.png"))
    assert_png(plotting.plot_filters(np.zeros((5, 5, 3, 6)), tmp_path / "rgb.png"))


def test_save_report_writes_four_pngs(tmp_path, run):
    x, y, probabilities, logs = run
    model = Sequential([Conv2D(8, 3, input_shape=(28, 28, 1)), Flatten(), Dense(10, activation="softmax")])
    paths = plotting.save_report(tmp_path / "report", logs, model, x, y, probabilities)
    names = ["history.png", "confusion_matrix.png", "misclassified.png", "filters.png"]
    assert paths == [str(tmp_path / "report" / name) for name in names]
    for path in paths:
        assert_png(path)
    dense_only = Sequential([Flatten(input_shape=(28, 28, 1)), Dense(10)])
    paths = plotting.save_report(tmp_path / "dense", logs, dense_only, x, y, probabilities, class_names=NAMES)
    assert len(paths) == 4
    for path in paths:
        assert_png(path)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: plotting.plot_history({"accuracy": [0.5]}, p), r"'history'"),
        (lambda p: plotting.plot_confusion_matrix([0, 1], [0, 1, 1], p), r"'y_pred'"),
        (lambda p: plotting.plot_confusion_matrix([0, -1], [0, 1], p), r"'y_true'"),
        (lambda p: plotting.plot_misclassified(np.zeros((2, 5)), [0, 1], [1, 0], p), r"'images'"),
        (lambda p: plotting.plot_misclassified(np.zeros((3, 5, 5)), [0, 1], [1, 0], p), r"'images'"),
        (lambda p: plotting.plot_filters(np.zeros((3, 3, 4)), p), r"'kernel'"),
        (
            lambda p: plotting.save_report(p, {"loss": [1.0]}, None, np.zeros((2, 5, 5)), [0, 1], np.zeros((3, 2))),
            "prob",
        ),
    ],
)
def test_bad_inputs_are_refused(tmp_path, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(tmp_path / "x.png")


def test_numcnn_imports_without_touching_matplotlib():
    code = "import sys, numcnn; print('matplotlib' in sys.modules, 'numcnn.plotting' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_plotting_leaves_pyplot_alone(tmp_path, run):
    *_, logs = run
    plotting.plot_history(logs, tmp_path / "h.png")
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
