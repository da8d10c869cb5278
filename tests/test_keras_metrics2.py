"""F1Score, FBetaScore, R2Score and the focal crossentropies held to what Keras 3.15.1 computes on the same
inputs (tests/data/keras_metrics2.json, written by tests/data/make_keras_metrics2.py in the side environment):
metric results after each of two batches, loss values, reduced losses and gradients, in float32 and float64."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from numcnn import losses, metrics

DATA = json.loads((Path(__file__).parent / "data" / "keras_metrics2.json").read_text())
TOL = {"float32": 1e-6, "float64": 1e-12}
# Keras' float32 gradients go through TensorFlow's float32 log and power; numcnn's are written out
GRAD_TOL = {"float32": 2e-6, "float64": 1e-12}


def metric_id(case):
    return f"{case['class_name']}-{json.dumps(case['config'], sort_keys=True)}"


def loss_id(case):
    return (
        f"{case['class_name']}-{json.dumps(case['config'], sort_keys=True)}-{np.ndim(case['y_pred'])}d-{case['dtype']}"
    )


def array(values, dtype):
    return None if values is None else np.asarray(values, dtype=dtype)


def close(actual, expected, tol, scale=1.0):
    """|actual − expected| ≤ tol·max(scale, |expected|), NaN only where Keras has NaN."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    bound = tol * np.maximum(scale, np.abs(expected))
    error = np.abs(np.nan_to_num(actual) - np.nan_to_num(expected))
    assert np.all(error <= bound), f"worst error {error.max():.3g} (bound {bound.max():.3g})"


@pytest.mark.parametrize("case", DATA["metrics"], ids=metric_id)
def test_metric_results_after_each_batch_match_keras(case):
    metric = getattr(metrics, case["class_name"])(**case["config"])
    assert metric.get_config() == case["keras_config"]
    dtype = case["config"]["dtype"]
    for (y, p, w), expected in zip(case["batches"], case["results"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns too, where the adjusted R² falls back
            metric.update_state(array(y, dtype), array(p, dtype), array(w, dtype))
            result = metric.result()
        assert result.dtype == np.dtype(dtype)
        # Keras' R2Score keeps its sums in float32 whatever its dtype (add_variable without one): float32's bound
        close(result, expected, TOL["float32" if case["class_name"] == "R2Score" else dtype])


@pytest.mark.parametrize("case", DATA["metrics"][:8], ids=metric_id)
def test_metrics_rebuild_from_keras_config(case):
    rebuilt = metrics.deserialize({"class_name": case["class_name"], "config": case["keras_config"]})
    assert rebuilt.get_config() == case["keras_config"]


@pytest.mark.parametrize("case", DATA["losses"], ids=loss_id)
def test_focal_losses_match_keras_values_and_gradients(case):
    dtype = case["dtype"]
    # Keras 3.15.1 multiplies by a list alpha as float32 even in float64, so those cases get float32's bound
    tol = TOL["float32" if isinstance(case["config"].get("alpha"), list) else dtype]
    loss = getattr(losses, case["class_name"])(**case["config"])
    assert loss.get_config() == case["keras_config"]
    y, p, w = (array(case[k], dtype) for k in ("y_true", "y_pred", "sample_weight"))
    function = getattr(losses, loss.name)
    values = function(y, p, **case["config"])
    assert values.dtype == np.dtype(dtype)
    close(values, case["values"], tol)
    close(loss(y, p), case["loss"], tol)
    close(loss(y, p, sample_weight=w), case["weighted_loss"], tol)
    gradient = loss.gradient(y, p, sample_weight=w)
    assert gradient.dtype == np.dtype(dtype)
    expected = np.asarray(case["gradient"])
    if case["config"].get("gamma") == 0.0 and case["class_name"] == "BinaryFocalCrossentropy":
        # TensorFlow's gradient of u^0 at u = 0 (p exactly right) is 0·∞ = NaN; the derivative of 1 is 0
        nan = np.isnan(expected)
        assert nan.any() and np.all(gradient[nan] == 0)
        expected = np.where(nan, 0.0, expected)
    # the entries are ~1/(N·K): bounded relative to the largest, so tiny ones are not held to 1e-6 of themselves
    grad_tol = GRAD_TOL["float32" if isinstance(case["config"].get("alpha"), list) else dtype]
    close(gradient, expected, grad_tol, scale=np.abs(expected).max())


def test_the_fixture_covers_what_matters():
    assert DATA["keras"] == "3.15.1"
    averages = {c["config"].get("average") for c in DATA["metrics"] if c["class_name"] == "F1Score"}
    assert averages == {None, "micro", "macro", "weighted"}
    configs = [c["config"] for c in DATA["losses"]]
    assert any(c.get("from_logits") for c in configs) and any(c.get("apply_class_balancing") for c in configs)
    exact = [c for c in DATA["losses"] if not c["config"].get("from_logits")]
    assert all(np.isin([0.0, 1.0], np.asarray(c["y_pred"])).all() for c in exact if c["config"].get("gamma") != 0.5)
