"""Activity regularizers, as Keras 3 adds them: every layer's ``activity_regularizer`` (and the
ActivityRegularization layer) adds ``regularizer(output) / N`` for a batch of N to the loss that fit and evaluate
report, and its gradient to training; the fused steps of the plan are not used for such a layer. Held to central
differences of the loss test_on_batch reports (float64), and to the penalty written out."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors
from strategies import image_like

import numcnn
from numcnn import layers, regularizers

F64 = {"dtype": "float64"}


def _mlp(regularized):
    return numcnn.Sequential([numcnn.Input((5,)), layers.Dense(4, **F64), regularized, layers.Dense(2, **F64)])


def _data(seed=0, n=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.standard_normal((n, 2))


@pytest.mark.parametrize(
    "regularized",
    [
        lambda: layers.ActivityRegularization(l1=0.1, l2=0.2, **F64),
        lambda: layers.Dense(3, activation="relu", activity_regularizer="l2", bias_initializer="ones", **F64),
        lambda: layers.Dense(3, activity_regularizer=regularizers.L1L2(0.05, 0.3), **F64),
        lambda: layers.Activation("tanh", activity_regularizer=regularizers.L1(0.2), **F64),
    ],
    ids=["ActivityRegularization", "Dense-l2", "Dense-l1l2", "Activation-l1"],
)
def test_the_penalty_is_in_the_reported_loss_and_in_every_gradient(regularized):
    x, y = _data()
    errors = model_gradient_errors(_mlp(regularized()), x, y, "mse")
    assert len(errors) >= 4 and max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("own_layer", [True, False], ids=["ActivityRegularization", "Dense-activity_regularizer"])
def test_the_loss_is_keras_3_penalty_over_the_batch(own_layer):
    x, y = _data(1, n=5)
    penalty = regularizers.L1L2(l1=0.01, l2=0.02)
    if own_layer:
        model = _mlp(layers.ActivityRegularization(l1=0.01, l2=0.02, **F64))
        watched = model.layers[0]
    else:
        model = _mlp(layers.Dense(3, activity_regularizer=penalty, **F64))
        watched = model.layers[1]
    model.compile(optimizer="sgd", loss="mse")
    hidden = watched(model.layers[0](x)) if not own_layer else watched(x)
    expected = (0.01 * np.abs(hidden).sum() + 0.02 * (hidden**2).sum()) / 5  # Keras 3 divides by the batch size
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert model.test_on_batch(x, y) == pytest.approx(mse + expected, rel=1e-12)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(mse + expected, rel=1e-12)
    assert model.train_on_batch(x, y) == pytest.approx(mse + expected, rel=1e-12)  # before the step's update


def test_a_layer_with_no_penalty_adds_nothing():
    x, y = _data(2)
    off, plain = _mlp(layers.ActivityRegularization(**F64)), None
    plain = numcnn.Sequential([numcnn.Input((5,)), off.layers[0], off.layers[2]])
    for model in (off, plain):
        model.compile(optimizer="sgd", loss="mse")
    assert off.test_on_batch(x, y) == plain.test_on_batch(x, y)


@pytest.mark.parametrize("kind", ["random", "image_like"])
def test_a_regularized_convolution_before_a_pool_runs_unfused_and_trains_exactly(kind):
    rng = np.random.default_rng(3)
    if kind == "random":
        x = rng.standard_normal((3, 7, 7, 1))
    else:  # moved off the ReLU kinks at exact zeros, ties and plateaus kept
        x = image_like(rng, (4, 7, 7, 1), ["strokes", "blobs", "empty", "repeated"]) + 0.0137
    y = numcnn.utils.to_categorical(np.arange(x.shape[0]) % 3, 3)
    numcnn.utils.set_random_seed(2)
    model = numcnn.Sequential(
        [
            numcnn.Input((7, 7, 1)),
            layers.Conv2D(3, 3, activation="relu", bias_initializer="random_normal", **F64),
            layers.Conv2D(
                4, 3, activation="relu", activity_regularizer=regularizers.L2(0.1), bias_initializer="ones", **F64
            ),  # fmt: skip
            layers.MaxPooling2D(**F64),
            layers.Flatten(**F64),
            layers.Dense(3, activation="softmax", activity_regularizer="l1", **F64),
        ]
    )
    errors = model_gradient_errors(model, x, y, "categorical_crossentropy")
    assert max(errors.values()) <= 1e-7, errors
    assert not any(
        "max-pool fused" in line or "softmax + crossentropy head" in line for line in model.describe_plan().splitlines()
    )


def test_training_shrinks_the_penalised_activations():
    x, y = _data(4, n=64)
    sizes = []
    for l2 in (0.0, 1.0):
        numcnn.utils.set_random_seed(5)
        model = _mlp(layers.ActivityRegularization(l2=l2, **F64))
        model.compile(optimizer=numcnn.optimizers.Adam(0.01), loss="mse")
        model.fit(x, y, epochs=30, batch_size=16, verbose=0)
        sizes.append(float(np.mean(model.layers[0](x) ** 2)))
    assert sizes[1] < 0.5 * sizes[0], sizes
