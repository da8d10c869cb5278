"""numcnn against Keras 3: losses (values and gradients), metrics, activations, regularizers, constraints.

The fixture tests/data/keras_objectives.npz holds Keras' answers on stored inputs; its manifest names each
Keras object by class and ``get_config()``, and numcnn must rebuild the object from that config. The script
that wrote it, with the Keras version, is tests/data/make_keras_objectives.py. Keras computed in float32,
and so does numcnn here: the tolerances are float32 rounding, not slack.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn import activations, constraints, losses, metrics, regularizers

FIXTURE = np.load(Path(__file__).parent / "data" / "keras_objectives.npz", allow_pickle=False)
MANIFEST = json.loads(str(FIXTURE["manifest"]))
ENTRIES = MANIFEST["entries"]


def of_kind(kind):
    return [
        pytest.param(e, id=f"{e['id']}-{e['class_name']}-{e.get('data', '')}") for e in ENTRIES if e["kind"] == kind
    ]


def batch(data, b=0):
    prefix = f"data/{data}/{b}/"
    return {key[len(prefix) :]: FIXTURE[key] for key in FIXTURE.files if key.startswith(prefix)}


def spec(entry):
    return {"class_name": entry["class_name"], "config": entry["config"]}


def test_the_fixture_is_keras_3_on_tensorflow():
    assert MANIFEST["keras_version"] == "3.15.1" and MANIFEST["backend"] == "tensorflow"
    assert sum(e["kind"] == "loss" for e in ENTRIES) == 23
    assert sum(e["kind"] == "metric" for e in ENTRIES) == 45


@pytest.mark.parametrize("entry", of_kind("loss"))
def test_loss_values_and_gradients_match_keras(entry):
    loss = losses.get({"class_name": entry["class_name"], "config": {**entry["config"], **entry["args"]}})
    assert entry["config"].items() <= loss.get_config().items()
    data = batch(entry["data"])
    y_true, y_pred, w = data[entry["target"]], data["y_pred"], data["sample_weight"]
    expected = FIXTURE[f"{entry['id']}/function"]
    np.testing.assert_allclose(type(loss).function(y_true, y_pred, **_function_kwargs(loss)), expected, 2e-6, 1e-6)
    assert loss(y_true, y_pred) == pytest.approx(float(FIXTURE[f"{entry['id']}/value"]), rel=2e-6, abs=1e-6)
    weighted = float(FIXTURE[f"{entry['id']}/value_weighted"])
    assert loss(y_true, y_pred, sample_weight=w) == pytest.approx(weighted, rel=2e-6, abs=1e-6)
    grad = loss.gradient(y_true, y_pred, sample_weight=w)
    assert grad.dtype == np.float32 and grad.shape == y_pred.shape
    np.testing.assert_allclose(grad, FIXTURE[f"{entry['id']}/gradient"], rtol=1e-4, atol=1e-7)


def _function_kwargs(loss):
    config = loss.get_config()
    return {k: v for k, v in config.items() if k not in ("name", "reduction", "ignore_class")}


@pytest.mark.parametrize("entry", of_kind("metric"))
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_metric_results_over_three_batches_match_keras(entry, weighted):
    metric = metrics.get(spec(entry))
    assert metric.get_config() == entry["config"]
    expected = FIXTURE[f"{entry['id']}/results{'_weighted' if weighted else ''}"]
    metric.update_state(batch(entry["data"], 0)[entry["target"]], batch(entry["data"], 0)["y_pred"])
    metric.reset_state()  # what came before a reset must not count
    for b, want in enumerate(expected):
        data = batch(entry["data"], b)
        metric.update_state(data[entry["target"]], data["y_pred"], data["sample_weight"] if weighted else None)
        np.testing.assert_allclose(metric.result(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("entry", of_kind("reduction"))
def test_mean_and_sum_match_keras(entry):
    metric = metrics.get(spec(entry))
    for b, want in enumerate(FIXTURE[f"{entry['id']}/results"]):
        data = batch(entry["data"], b)
        metric.update_state(data["y_pred"], sample_weight=data["sample_weight"] if b else None)
        assert metric.result() == pytest.approx(float(want), rel=1e-5)


ACTIVATION_NAMES = next(e["names"] for e in ENTRIES if e["kind"] == "activations")


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_forward_and_gradient_match_keras(name):
    fn = activations.get(name)
    x = FIXTURE["activation/x_forward"]
    if name == "exponential":
        x = np.clip(x, -80, 80)
    y = fn(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, FIXTURE[f"activation/{name}/forward"], rtol=2e-6, atol=2e-7)
    xg, probe = FIXTURE["activation/x_gradient"], FIXTURE["activation/probe"]
    grad = fn.backward(probe, xg, fn.forward(xg))
    np.testing.assert_allclose(grad, FIXTURE[f"activation/{name}/gradient"], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("entry", of_kind("regularizer"))
def test_regularizer_penalties_and_gradients_match_keras(entry):
    reg = regularizers.get(spec(entry))
    config = reg.get_config()
    assert config.keys() == entry["config"].keys()
    for key, value in entry["config"].items():
        assert config[key] == (value if isinstance(value, str) else pytest.approx(value))
    w = FIXTURE[f"weights/{entry['weights']}"]
    assert reg(w) == pytest.approx(float(FIXTURE[f"{entry['id']}/value"]), rel=1e-5)
    np.testing.assert_allclose(reg.gradient(w), FIXTURE[f"{entry['id']}/gradient"], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("entry", of_kind("constraint"))
def test_constraint_outputs_match_keras(entry):
    con = constraints.get(spec(entry))
    assert con.get_config() == entry["config"]
    out = con(FIXTURE[f"weights/{entry['weights']}"])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, FIXTURE[f"{entry['id']}/output"], rtol=2e-6, atol=1e-7)
