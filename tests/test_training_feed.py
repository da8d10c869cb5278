"""What training feeds the model, seen from inside: Dropout's masks, and which samples reach each batch.

Two planted bugs survived the old suite: Dropout scaling by 1/rate instead of 1/(1 − rate) (the old tests used
rate 0.5, where the two agree), and fit shuffling once instead of every epoch (no test looked at which samples
reached the batches). These tests would catch each.
"""

from __future__ import annotations

import numpy as np
import pytest

from numcnn import layers, losses, optimizers
from numcnn.models import Sequential
from numcnn.utils import set_random_seed


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5, 0.8])
def test_dropout_keeps_values_scaled_by_one_over_one_minus_rate(rate):
    layer = layers.Dropout(rate, dtype="float64")
    x = np.full((400, 250), 2.0)
    y = np.asarray(layer(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 / (1.0 - rate), rtol=1e-12)  # not 2/rate, not 2
    dropped = 1.0 - kept.mean()
    assert abs(dropped - rate) < 4 * np.sqrt(rate * (1 - rate) / x.size)  # 4 standard deviations
    assert abs(y.mean() - 2.0) < 0.05  # inverted dropout keeps the expected value
    dy = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(dy), np.where(kept, 1.0 / (1.0 - rate), 0.0))
    np.testing.assert_array_equal(layer(x, training=False), x)  # the identity at inference


class _Recorder(layers.Layer):
    """An identity layer that records the batches it sees in training (the first column: the sample id)."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def forward(self, x, training=False):
        if training:
            self.log.append(np.asarray(x[:, 0]).astype(int).tolist())
        return x

    def backward(self, dy):
        return dy


def _fit(n=23, epochs=3, shuffle=True, validation_split=0.0, batch_size=5, seed=4):
    set_random_seed(seed)
    log = []
    model = Sequential([_Recorder(log, input_shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss=losses.MeanSquaredError())
    x = np.stack([np.arange(n), np.zeros(n)], axis=1).astype(np.float64)
    model.fit(x, np.zeros((n, 1)), epochs=epochs, batch_size=batch_size, shuffle=shuffle,
              validation_split=validation_split, verbose=0)  # fmt: skip
    return log


def _epochs(log, n, batch_size):
    per_epoch = -(-n // batch_size)
    flat = [[i for batch in log[k : k + per_epoch] for i in batch] for k in range(0, len(log), per_epoch)]
    return flat


def test_each_epoch_is_a_fresh_permutation_of_the_training_samples():
    epochs = _epochs(_fit(), 23, 5)
    assert len(epochs) == 3
    for order in epochs:
        assert sorted(order) == list(range(23))  # every sample once
    assert len({tuple(order) for order in epochs}) == 3  # a new order each epoch, not one shuffle
    assert all(order != list(range(23)) for order in epochs)


def test_shuffle_false_keeps_the_order_and_the_last_batch_is_partial():
    log = _fit(shuffle=False)
    assert log[:5] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19], [20, 21, 22]]
    assert _epochs(log, 23, 5) == [list(range(23))] * 3


def test_validation_samples_never_reach_training():
    # Keras' split: the first floor(n·(1 − v)) samples train, taken before any shuffling
    epochs = _epochs(_fit(n=20, validation_split=0.25), 15, 5)
    for order in epochs:
        assert sorted(order) == list(range(15))


def test_the_same_seed_feeds_the_same_batches():
    assert _fit(seed=9) == _fit(seed=9)
    assert _fit(seed=9) != _fit(seed=10)
