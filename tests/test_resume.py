"""Checkpoints resume training exactly, and model files never put a weight in the wrong place (issue 12,
items 2, 3, 4 and 13)."""

from __future__ import annotations

import numpy as np
import pytest
from test_models import tiny_data

from numcnn import callbacks, layers, optimizers
from numcnn.layers.base import reset_names
from numcnn.models import Sequential, load_model
from numcnn.utils import set_random_seed


def _model(optimizer):
    set_random_seed(7)
    model = Sequential(
        [
            layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: optimizers.Adam(1e-2),
        lambda: optimizers.SGD(optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5), 0.9),
        lambda: optimizers.RMSprop(1e-2, centered=True, momentum=0.5),
    ],
    ids=["adam", "sgd-momentum-schedule", "rmsprop-centered"],
)
def test_a_checkpoint_loaded_and_trained_on_equals_training_without_stopping(tmp_path, make_optimizer):
    """Same seed, ``shuffle=False`` and no random layers, so that only the model and its optimizer carry state
    from one epoch to the next (``BackupAndRestore`` also keeps numcnn's random state)."""
    x, y, _ = tiny_data(24)
    straight = _model(make_optimizer())
    set_random_seed(11)
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    first = _model(make_optimizer())
    set_random_seed(11)
    path = tmp_path / "ckpt.npz"
    first.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    resumed = load_model(path)
    assert resumed.optimizer.iterations == first.optimizer.iterations == 3
    resumed.fit(x, y, epochs=2, initial_epoch=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_save_weights_and_load_weights_carry_the_optimizer_state(tmp_path):
    x, y, _ = tiny_data(16)
    a = _model(optimizers.Adam(1e-2))
    a.fit(x, y, epochs=1, batch_size=8, verbose=0)
    a.save_weights(tmp_path / "w.npz")
    b = _model(optimizers.Adam(1e-2))
    b.load_weights(tmp_path / "w.npz")
    assert b.optimizer.iterations == a.optimizer.iterations
    keys_a, keys_b = (list(m.trainable_params()[0]) for m in (a, b))  # the layers' names differ: go by position
    state_a = a.optimizer.variables_in_keras_order(keys_a)
    state_b = b.optimizer.variables_in_keras_order(keys_b)
    assert len(state_a) == len(state_b) == 2 + 2 * 4  # iteration, learning rate, m and v of four weights
    for (_, va), (_, vb) in zip(state_a, state_b, strict=True):
        np.testing.assert_array_equal(va, vb)


def test_more_than_a_thousand_weights_reload_in_their_places(tmp_path):
    reset_names()
    stack = [layers.Dense(1, input_shape=(1,), kernel_initializer="ones")]
    stack += [layers.Dense(1, kernel_initializer="ones") for _ in range(600)]  # 1202 arrays of one shape
    model = Sequential(stack)
    weights = [np.full(w.shape, i, dtype=w.dtype) for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    model.save(tmp_path / "big.npz")
    for got, want in zip(load_model(tmp_path / "big.npz").get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)  # "1000:" sorted before "100:" once


def test_one_optimizer_cannot_serve_two_models_with_the_same_layer_names(tmp_path):
    x, y, _ = tiny_data(8)
    model = _model("adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.npz")
    one, two = load_model(tmp_path / "m.npz"), load_model(tmp_path / "m.npz")
    shared = optimizers.Adam()
    one.compile(optimizer=shared, loss="categorical_crossentropy")
    two.compile(optimizer=shared, loss="categorical_crossentropy")
    one.train_on_batch(x, y)
    before = two.get_weights()
    with pytest.raises(ValueError, match="optimizer"):
        two.train_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, two.get_weights()))


def test_a_refused_fit_leaves_a_model_built_on_first_use_unbuilt():
    model = Sequential([layers.Dense(4), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="'y'"):
        model.fit(np.ones((5, 6)), np.ones((5, 7)), verbose=0)  # 7 classes for 3 outputs
    assert not model.built and not model.layers[0].built and not model.layers[1].params
    model.fit(np.ones((5, 2)), np.eye(3)[[0, 1, 2, 0, 1]], verbose=0)  # other inputs: it builds for them
    assert model.input_shape == (None, 2)
