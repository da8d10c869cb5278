"""Write tests/data/keras_metrics2.json: what Keras 3 computes for F1Score, FBetaScore, R2Score and the focal
crossentropies, for tests/test_keras_metrics2.py to hold numcnn to.

Run with the side environment (Keras 3.15.1, TensorFlow 2.21 backend), never from the tests:

    /work/side/bin/python tests/data/make_keras_metrics2.py

Inputs are drawn here from a fixed seed and stored next to Keras' answers (float32 values, exact in JSON), so
the test needs neither Keras nor this script. Metrics store ``result()`` after each of two ``update_state``
calls, in float32 and float64. Losses store the function's values, the reduced loss with and without sample
weights and the gradient of the weighted loss with respect to y_pred (``tf.GradientTape``). Data are
image-like where it matters: exact 0 and 1 in predictions (the clip bites), tied scores, all-zero rows,
scores exactly at the threshold, logits of ±20 (where TensorFlow's logit path differs from clipping).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).with_name("keras_metrics2.json")
rng = np.random.default_rng(20261201)


def f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def plain(a):
    return None if a is None else np.asarray(a, dtype=np.float64).tolist()


# -- metrics ------------------------------------------------------------------------------------------------
def classification_batch(n=6, k=4, multi_label=False):
    """One-hot (or multi-label) targets; scores with ties, an all-zero row and values exactly at 0.5."""
    if multi_label:
        y = (rng.random((n, k)) > 0.5).astype(np.float32)
    else:
        y = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
    p = np.round(rng.random((n, k)) * 8) / 8  # eighths: ties and exact 0.5
    p[0] = 0.0  # an all-zero row predicts nothing under threshold=None
    p[1, :2] = p[1].max()  # a tie for the row's maximum
    return f32(y), f32(p)


def regression_batch(n=8, k=3):
    y = f32(np.round(rng.standard_normal((n, k)) * 4) / 4)
    return y, f32(y + rng.standard_normal((n, k)) * 0.5)


metrics = []


def run_metric(cls, config, batches):
    for dtype in ("float32", "float64"):
        metric = getattr(keras.metrics, cls)(**config, dtype=dtype)
        results = []
        for y, p, w in batches:
            metric.update_state(y, p, sample_weight=w)
            results.append(plain(np.asarray(metric.result())))
        metrics.append(
            {
                "class_name": cls,
                "config": {**config, "dtype": dtype},
                "keras_config": metric.get_config(),
                "batches": [[plain(y), plain(p), plain(w)] for y, p, w in batches],
                "results": results,
            }
        )


for multi_label in (False, True):
    batches = [(*classification_batch(multi_label=multi_label), None) for _ in range(2)]
    weighted = [(y, p, f32(rng.integers(0, 3, len(y)))) for y, p, _ in batches]  # weights 0, 1, 2
    for average in (None, "micro", "macro", "weighted"):
        for threshold in (None, 0.5, 0.3, 1.0):
            run_metric("F1Score", {"average": average, "threshold": threshold}, batches)
        run_metric("F1Score", {"average": average, "threshold": 0.5}, weighted)
        for beta in (0.5, 2.0):
            run_metric("FBetaScore", {"average": average, "beta": beta, "threshold": 0.4}, batches)
            run_metric("FBetaScore", {"average": average, "beta": beta, "threshold": None}, weighted)

batches = [(*regression_batch(), None) for _ in range(2)]
weighted = [(y, p, f32(rng.integers(0, 3, len(y)) * 0.5)) for y, p, _ in batches]
constant = [(f32(np.c_[y[:, :2], np.ones(len(y))]), p, None) for y, p, _ in batches]  # a target that never varies
for aggregation in (None, "uniform_average", "variance_weighted_average"):
    for regressors in (0, 3):
        run_metric("R2Score", {"class_aggregation": aggregation, "num_regressors": regressors}, batches)
        run_metric("R2Score", {"class_aggregation": aggregation, "num_regressors": regressors}, weighted)
    run_metric("R2Score", {"class_aggregation": aggregation, "num_regressors": 0}, constant)
single = [(f32(rng.standard_normal(5)), f32(rng.standard_normal((5, 1))), None) for _ in range(2)]
run_metric("R2Score", {"class_aggregation": "uniform_average", "num_regressors": 2}, single)  # (N,) meets (N, 1)

# -- losses ---------------------------------------------------------------------------------------------------
losses = []


def run_loss(cls, config, y, p, w):
    for dtype in ("float32", "float64"):
        yt, yp = (tf.constant(np.asarray(a, dtype)) for a in (y, p))
        # Keras broadcasts weights against the values (N, …): one weight per sample needs those axes
        sw = tf.constant(np.asarray(w, dtype).reshape(len(w), *[1] * (np.ndim(p) - 2)))
        loss = getattr(keras.losses, cls)(**config, dtype=dtype)
        function = getattr(keras.losses, keras.src.utils.naming.to_snake_case(cls))
        with tf.GradientTape() as tape:
            tape.watch(yp)
            weighted = loss(yt, yp, sample_weight=sw)
        losses.append(
            {
                "class_name": cls,
                "config": config,
                "keras_config": loss.get_config(),
                "dtype": dtype,
                "y_true": plain(y),
                "y_pred": plain(p),
                "sample_weight": plain(w),
                "values": plain(function(yt, yp, **config)),
                "loss": float(loss(yt, yp)),
                "weighted_loss": float(weighted),
                "gradient": plain(tape.gradient(weighted, yp)),
            }
        )


def binary_probabilities(shape):
    """Image-like masks against predictions with exact 0 and 1 (right and wrong) and values inside."""
    y = f32(rng.random(shape) > 0.6)
    p = rng.uniform(0.02, 0.98, shape)
    flat, yf = p.reshape(-1), y.reshape(-1)
    flat[:3], flat[3:6] = yf[:3], 1 - yf[3:6]  # exactly right, exactly wrong
    flat[6], flat[7] = 1e-9, 1 - 1e-9  # inside the clip's bite, not at 0 or 1
    return y, f32(p)


for shape in ((6, 4), (2, 3, 4)):
    y, p = binary_probabilities(shape)
    z = rng.standard_normal(shape) * 3
    z.reshape(-1)[:4] = (20.0, -20.0, 0.0, 9.0)
    w = f32(rng.random(shape[0]) + 0.2)
    w[0] = 0.0
    for config in (
        {},
        {"gamma": 0.0},
        {"gamma": 1.0},
        {"gamma": 1.5, "apply_class_balancing": True, "alpha": 0.4},
        {"label_smoothing": 0.1},
    ):
        run_loss("BinaryFocalCrossentropy", config, y, p, w)
    for config in ({"from_logits": True}, {"from_logits": True, "apply_class_balancing": True, "label_smoothing": 0.2}):
        run_loss("BinaryFocalCrossentropy", config, y, f32(z), w)
    inside = f32(rng.uniform(0.05, 0.95, shape))
    run_loss("BinaryFocalCrossentropy", {"gamma": 0.5}, y, inside, w)  # (1 − p_t)^0.5 has no slope at 0

for shape, axis in (((6, 5), -1), ((2, 3, 4), -1), ((3, 4, 2), 1)):
    k = shape[axis]
    labels = rng.integers(0, k, tuple(s for i, s in enumerate(shape) if i != axis % len(shape)))
    y = f32(np.moveaxis(np.eye(k)[labels], -1, axis))
    p = rng.random(shape) + 0.05
    p /= p.sum(axis=axis, keepdims=True)
    saturated = np.moveaxis(p, axis, -1)
    saturated[0] = np.eye(k)[0]  # exact 0 and 1 in a normalised row: the clip bites
    z = rng.standard_normal(shape) * 3
    w = f32(rng.random(shape[0]) + 0.2)
    for config in (
        {},
        {"gamma": 0.0, "alpha": 1.0},
        {"gamma": 3.0, "alpha": 0.5},
        {"gamma": 0.5},
    ):
        run_loss("CategoricalFocalCrossentropy", {**config, "axis": axis}, y, f32(p), w)
    run_loss("CategoricalFocalCrossentropy", {"from_logits": True, "axis": axis}, y, f32(z), w)
    if axis == -1:  # Keras 3.15.1 smooths by the last axis' size whatever the axis (numcnn: the class axis')
        run_loss("CategoricalFocalCrossentropy", {"label_smoothing": 0.1}, y, f32(p), w)
        run_loss("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, y, f32(z), w)
        alpha = [float(a) for a in np.round(rng.random(k), 2)]
        run_loss("CategoricalFocalCrossentropy", {"alpha": alpha}, y, f32(p), w)

OUT.write_text(json.dumps({"keras": keras.__version__, "metrics": metrics, "losses": losses}, indent=None) + "\n")
print(f"wrote {OUT}: {len(metrics)} metric cases, {len(losses)} loss cases")
