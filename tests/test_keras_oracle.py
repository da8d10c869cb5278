"""numcnn against Keras 3.15.1 as an oracle: eleven models in the shapes of tests/scripts/ (CNN with Adadelta,
MLP with RMSprop, a functional CNN from logits, BatchNormalization + LeakyReLU + SELU with Nesterov SGD and
clipvalue, l2 + InverseTimeDecay + binary crossentropy from logits, a SeparableConv2D residual block, Precision
/Recall/AUC, a two-input two-output Wide & Deep with loss weights, Resizing, weighted metrics), given Keras' own
initial weights: predict, evaluate (with sample weights too), one train_on_batch step and a two-epoch fit must
give Keras' numbers and log keys (tests/fixtures/make_keras_oracle.py recorded them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _oracle_models import MODELS, data, run, summary_of

import numcnn

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "keras_oracle.npz")
WORST: dict[str, float] = {}  # measured worst relative differences, by kind of value (for reports)

# float32 throughout; the fit's two epochs let rounding differences grow a little
TOLERANCE = {"predict": 1e-5, "evaluate": 1e-5, "evaluate_weighted": 1e-5, "train_on_batch": 1e-5,
             "after_step": 1e-5, "fit": 2e-5, "after_fit": 2e-5}  # fmt: skip


def _difference(ours, theirs) -> float:
    """The largest difference relative to the largest magnitude of Keras' value (floored at 1e-3, so that
    weights whose exact update is zero may differ by rounding noise)."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    return float(np.max(np.abs(ours - theirs), initial=0.0) / max(np.max(np.abs(theirs), initial=0.0), 1e-3))


def test_the_fixture_records_keras_3():
    assert str(FIXTURE["keras_version"]).startswith("3.")


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__)
def test_numcnn_gives_keras_numbers_from_keras_weights(make):
    name = make.__name__
    d = data()
    model, x, y = make(numcnn, d)
    count = len(model.get_weights())
    model.set_weights([FIXTURE[f"{name}/weights/{i}"] for i in range(count)])
    ours = run(model, x, y, d["sample_weight"])
    theirs = {k[len(name) + 1 :]: FIXTURE[k] for k in FIXTURE.files if k.startswith(f"{name}/")}
    theirs = {k: v for k, v in theirs.items() if not k.startswith("weights/")}
    assert sorted(ours) == sorted(theirs)  # the same log keys in evaluate, train_on_batch and fit
    failures = {}
    for key, value in theirs.items():
        kind = key.split("/")[0]
        difference = _difference(ours[key], value)
        WORST[kind] = max(WORST.get(kind, 0.0), difference)
        if difference > TOLERANCE[kind]:
            failures[key] = difference
    for key in [k for k in failures if k.startswith("after_step/")]:
        # A step from a gradient of float32 rounding size (Adam's and RMSprop's division by √v scales it up)
        # may differ by more: then numcnn must be at least as close to the exact (float64) step as Keras is.
        exact = _float64_step(make, d)[key]
        if np.max(np.abs(ours[key] - exact)) <= np.max(np.abs(theirs[key] - exact)):
            del failures[key]
    assert not failures, failures


def _float64_step(make, d) -> dict[str, np.ndarray]:
    from numcnn import backend

    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        model, x, y = make(numcnn, d)
        count = len(model.get_weights())
        model.set_weights([FIXTURE[f"{make.__name__}/weights/{i}"].astype(np.float64) for i in range(count)])
        xs = [np.asarray(a, np.float64) for a in x] if isinstance(x, list) else np.asarray(x, np.float64)
        model.train_on_batch(xs, y)
        return {f"after_step/{i}": summary_of(w) for i, w in enumerate(model.get_weights())}
    finally:
        backend.set_floatx(previous)
