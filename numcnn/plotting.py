"""PNG figures of a training run: learning curves, confusion matrix, misclassified images, first-layer filters.

Needs matplotlib (``pip install 'numcnn[plot]'``); the rest of numcnn never imports this module. Figures
are drawn with the object-oriented API on Agg canvases, so plotting neither opens windows nor changes
pyplot's global backend or figure list (safe in scripts, servers and notebooks alike).
"""

from __future__ import annotations

import math
import os

import numpy as np

from numcnn._checks import invalid

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError as err:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        f"numcnn.plotting needs matplotlib, which is not installed: pip install 'numcnn[plot]' ({err})"
    ) from err

_DPI = 100


def _save(fig: Figure, path) -> str:
    """Render ``fig`` to the PNG file ``path`` (folders created as needed); return the path as a string."""
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=_DPI)
    return path


def _labels(name: str, y) -> np.ndarray:
    """Integer labels ``(N,)`` from labels ``(N,)`` or one-hot/probability rows ``(N, K)``."""
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iuf" or not np.all(y == np.round(y)) or y.min() < 0)):
        raise invalid(name, "non-negative integer labels of shape (N,) or one-hot rows (N, K)", f"shape {y.shape}")
    return y.astype(np.int64)


def _name(label: int, class_names) -> str:
    return str(class_names[label]) if class_names is not None and label < len(class_names) else str(label)


def _as_images(images) -> np.ndarray:
    """``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` with C in {1, 3} -> ``(N, H, W)`` or ``(N, H, W, 3)``."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4 and x.shape[-1] not in (1, 3) and x.shape[1] in (1, 3):
        x = x.transpose(0, 2, 3, 1)  # channels_first
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3):
        raise invalid("images", "an array (N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 or 3", np.shape(images))
    return x


def plot_history(history, path) -> str:
    """Loss and accuracy per epoch, training and validation, side by side.

    ``history``: the ``History`` that ``fit`` returns, or its ``.history`` dict (lists per key, e.g.
    ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``). Returns ``path``.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs.get("loss"):
        raise invalid("history", "a History or a dict with a non-empty 'loss' list", type(logs).__name__, TypeError)
    fig = Figure(figsize=(10, 4), layout="constrained")
    for ax, metric, title in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("Loss", "Accuracy")):
        metric = metric if metric in logs or metric == "loss" else "acc"  # Keras 2 logged 'acc'
        for key, label, style in ((metric, "training", "o-"), (f"val_{metric}", "validation", "s--")):
            if logs.get(key):
                epochs = np.arange(1, len(logs[key]) + 1)
                ax.plot(epochs, logs[key], style, label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        longest = max(len(logs.get(metric) or ()), len(logs.get(f"val_{metric}") or ()), 1)
        if longest <= 20:  # one tick per epoch; the default locator would label fractions of an epoch
            ax.set_xticks(range(1, longest + 1))
            ax.set_xlim(0.5, longest + 0.5)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no '{metric}' logged", ha="center", va="center", transform=ax.transAxes)
    return _save(fig, path)


def plot_confusion_matrix(y_true, y_pred, path, class_names=None) -> str:
    """Counts of (true, predicted) label pairs as a heat map, with the count written in each cell.

    ``y_true``, ``y_pred``: integer labels ``(N,)`` (or one-hot / probability rows ``(N, K)``). Rows are
    true classes, columns predicted ones. Returns ``path``.
    """
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise invalid("y_pred", f"labels of the same shape as y_true {y_true.shape}", f"shape {y_pred.shape}")
    k = max(int(y_true.max(initial=-1)), int(y_pred.max(initial=-1))) + 1
    k = max(k, len(class_names) if class_names is not None else 0, 1)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    names = [_name(i, class_names) for i in range(k)]

    size = max(5.0, 0.55 * k + 2.5)
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = counts.max() / 2 if counts.size else 0
    for (i, j), count in np.ndenumerate(counts):
        color = "white" if count > threshold else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize=8 if k <= 12 else 6)
    named = class_names is not None
    ax.set_xticks(
        range(k), names, rotation=45 if named else 0, ha="right" if named else "center", rotation_mode="anchor"
    )
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"Confusion matrix ({counts.sum()} samples, accuracy {accuracy:.4f})")
    return _save(fig, path)


def plot_misclassified(images, y_true, y_pred, path, class_names=None, max_images=25) -> str:
    """A grid of the first ``max_images`` images with ``y_pred != y_true``, each titled "predicted/true".

    ``images``: ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` (C 1 or 3); labels as in
    ``plot_confusion_matrix``. With ``class_names`` the title has two lines, predicted over true, since
    names such as "T-shirt/top" contain a slash. Returns ``path``.
    """
    x = _as_images(images)
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if not len(x) == len(y_true) == len(y_pred):
        raise invalid("images", f"{len(y_true)} images, one per label", f"{len(x)} images")
    if not isinstance(max_images, int) or max_images < 1:
        raise invalid("max_images", "a positive integer", max_images)
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    cols = max(1, math.ceil(math.sqrt(len(wrong))))
    rows = max(1, math.ceil(len(wrong) / cols))
    cell = 1.7 if class_names is not None else 1.3
    fig = Figure(figsize=(max(cols * cell, 5.0), rows * cell + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, i in zip(axes, wrong):
        ax.imshow(x[i], cmap="gray_r" if x.ndim == 3 else None, interpolation="nearest")
        predicted, true = _name(y_pred[i], class_names), _name(y_true[i], class_names)
        title = f"{predicted}/{true}" if class_names is None else f"{predicted}\n({true})"
        ax.set_title(title, fontsize=8, color="firebrick")
    total = int(np.sum(y_true != y_pred))
    legend = "title: predicted/true" if class_names is None else "title: predicted (true)"
    fig.suptitle(f"Misclassified: {len(wrong)} of {total} shown; {legend}", fontsize=10)
    if not len(wrong):
        axes[0].text(0.5, 0.5, "no misclassified images", ha="center", va="center", transform=axes[0].transAxes)
    return _save(fig, path)


def plot_filters(kernel, path) -> str:
    """The filters of a Conv2D kernel ``(kh, kw, c_in, F)`` as a grid of ``F`` small images.

    Grey input (``c_in == 1``): one grey-scale image per filter; RGB input (``c_in == 3``): colour images;
    otherwise the weights on the first input channel. Each filter is scaled on its own, symmetric about
    zero (blue negative, red positive), so its shape shows whatever its norm. Returns ``path``.
    """
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim != 4:
        raise invalid("kernel", "a Conv2D kernel of shape (kh, kw, c_in, filters)", f"shape {w.shape}")
    count = w.shape[3]
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(cols * 1.0 + 0.4, rows * 1.0 + 0.7), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    rgb = w.shape[2] == 3
    for f, ax in enumerate(axes[:count]):
        if rgb:
            patch = w[:, :, :, f]
            span = np.ptp(patch) or 1.0
            ax.imshow((patch - patch.min()) / span, interpolation="nearest")
        else:
            patch = w[:, :, 0, f]
            limit = np.abs(patch).max() or 1.0
            ax.imshow(patch, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(str(f), fontsize=7)
    note = "" if rgb or w.shape[2] == 1 else ", input channel 0"
    colours = "" if rgb else "; blue < 0 < red"
    fig.suptitle(f"First-layer filters ({w.shape[0]}x{w.shape[1]}, {count} filters{note}{colours})", fontsize=10)
    return _save(fig, path)


def _first_kernel(model):
    """The kernel of the model's first layer with a 4-D ``kernel`` (its first Conv2D), or ``None``."""
    for layer in getattr(model, "layers", []):
        kernel = getattr(layer, "params", {}).get("kernel")
        if kernel is not None and kernel.ndim == 4:
            return kernel
    return None


def save_report(directory, history, model, x_test, y_test, probabilities, class_names=None) -> list[str]:
    """Write history.png, confusion_matrix.png, misclassified.png and filters.png into ``directory``.

    ``x_test``: the test images as fed to the model, ``(N, H, W, C)`` or ``(N, C, H, W)``; ``y_test``:
    integer labels ``(N,)`` (or one-hot rows); ``probabilities``: the model's outputs ``(N, K)``, whose
    arg-max is the prediction. Returns the four paths, in that order.
    """
    y_true = _labels("y_test", y_test)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise invalid("probabilities", f"an array of shape ({len(y_true)}, classes)", f"shape {probabilities.shape}")
    y_pred = probabilities.argmax(axis=1)
    os.makedirs(directory, exist_ok=True)
    paths = [
        plot_history(history, os.path.join(directory, "history.png")),
        plot_confusion_matrix(y_true, y_pred, os.path.join(directory, "confusion_matrix.png"), class_names),
        plot_misclassified(x_test, y_true, y_pred, os.path.join(directory, "misclassified.png"), class_names),
    ]
    kernel = _first_kernel(model)
    filters_path = os.path.join(directory, "filters.png")
    if kernel is not None:
        paths.append(plot_filters(kernel, filters_path))
    else:
        fig = Figure(figsize=(4, 2))
        fig.text(0.5, 0.5, "the model has no Conv2D layer", ha="center", va="center")
        paths.append(_save(fig, filters_path))
    return paths


__all__ = ["plot_history", "plot_confusion_matrix", "plot_misclassified", "plot_filters", "save_report"]
