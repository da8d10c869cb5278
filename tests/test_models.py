"""Sequential's Keras API: summary, fit/evaluate/predict semantics, weights, determinism, data formats."""

import numpy as np
import pytest

import numcnn
from numcnn import backend
from numcnn.layers import Conv2D, Convolution2D, Dense, Flatten, Input, MaxPooling2D
from numcnn.models import Sequential
from numcnn.utils import set_random_seed, to_categorical

NOTEBOOK_COUNTS = [320, 18496, 0, 0, 1179776, 16512, 1290]


def notebook_model(input_shape=(28, 28, 1)):
    model = Sequential()
    model.add(
        Convolution2D(filters=32, kernel_size=(3, 3), padding="valid", activation="relu", input_shape=input_shape)
    )
    model.add(Convolution2D(filters=64, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def tiny_model(**compile_kwargs):
    model = Sequential(
        [
            Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
            MaxPooling2D(),
            Flatten(),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        **{"loss": "categorical_crossentropy", "optimizer": "adam", "metrics": ["accuracy"], **compile_kwargs}
    )
    return model


def tiny_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    x[np.arange(n), labels * 2 + 1, 3, 0] += 2.0  # a learnable signal
    return x, to_categorical(labels, 3), labels


def test_notebook_parameter_counts_and_shapes():
    model = notebook_model()
    assert [layer.count_params() for layer in model.layers] == NOTEBOOK_COUNTS
    assert model.count_params() == 1216394
    assert [layer.output_shape for layer in model.layers] == [
        (None, 26, 26, 32),
        (None, 24, 24, 64),
        (None, 12, 12, 64),
        (None, 9216),
        (None, 128),
        (None, 128),
        (None, 10),
    ]
    assert [w.shape for w in model.get_weights()][:4] == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,)]


def test_summary_prints_the_keras_table():
    lines = []
    notebook_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "conv2d_1 (Conv2D)            (None, 26, 26, 32)        320" in text
    assert "max_pooling2d_1 (MaxPooling2 (None, 12, 12, 64)        0" in text
    assert "dense_1 (Dense)              (None, 128)               1179776" in text
    assert "Total params: 1,216,394" in text
    assert "Trainable params: 1,216,394" in text
    assert "Non-trainable params: 0" in text


def test_input_layer_and_list_construction_are_equivalent():
    a = Sequential([Input(shape=(8, 8, 1)), Conv2D(2, 3), Flatten(), Dense(2)])
    b = Sequential([Conv2D(2, 3, input_shape=(8, 8, 1)), Flatten(), Dense(2)])
    assert [layer.output_shape for layer in a.layers] == [layer.output_shape for layer in b.layers]
    assert len(a.layers) == 3


def test_fit_splits_like_keras_and_records_history(capsys):
    x, y, _ = tiny_data(50)
    model = tiny_model()
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=2)
    out = capsys.readouterr().out
    assert "Train on 40 samples, validate on 10 samples" in out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "3/3 - " in out  # ceil(40 / 16) steps, last batch partial
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for v in history.history.values())
    assert history.epoch == [0, 1]
    assert model.history is history


def test_validation_split_uses_the_last_samples_before_shuffling():
    x, y, _ = tiny_data(50)
    model = tiny_model()
    model.fit(x, y, batch_size=16, epochs=1, validation_split=0.2, verbose=0)
    expected = model.evaluate(x[40:], y[40:], verbose=0)
    assert model.history.history["val_loss"][0] == pytest.approx(expected[0], rel=1e-6)
    assert model.history.history["val_accuracy"][0] == pytest.approx(expected[1])


def test_epoch_loss_is_the_sample_weighted_mean_of_batches():
    x, y, _ = tiny_data(10)
    model = tiny_model(optimizer=numcnn.optimizers.SGD(learning_rate=0.0))  # weights never move
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0)[0], rel=1e-6)


def test_training_learns_the_tiny_problem():
    x, y, _ = tiny_data(120)
    model = tiny_model(optimizer=numcnn.optimizers.Adam(learning_rate=0.01))
    model.fit(x, y, batch_size=16, epochs=10, verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9


def test_evaluate_and_predict_shapes():
    x, y, _ = tiny_data(7)
    model = tiny_model()
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    probs = model.predict(x, batch_size=3)
    assert probs.shape == (7, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    no_metrics = tiny_model(metrics=None)
    assert isinstance(no_metrics.evaluate(x, y, verbose=0), float)


def test_sparse_labels_train_too():
    x, _, labels = tiny_data(30)
    model = tiny_model(loss="sparse_categorical_crossentropy")
    history = model.fit(x, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_same_seed_gives_bitwise_identical_training():
    x, y, _ = tiny_data(40)
    runs = []
    for _ in range(2):
        set_random_seed(7)
        model = tiny_model()
        history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
        runs.append((model.get_weights(), history.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        assert np.array_equal(a, b)
    assert runs[0][1] == runs[1][1]
    starts = []
    for seed in (7, 8):
        set_random_seed(seed)
        starts.append(tiny_model().get_weights()[0])
    assert not np.array_equal(*starts)


def test_set_weights_round_trip_gives_the_same_predictions():
    x, _, _ = tiny_data(5)
    a, b = tiny_model(), tiny_model()
    assert not np.allclose(a.predict(x), b.predict(x))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


def test_set_weights_checks_everything_before_writing():
    model = tiny_model()
    before = model.get_weights()
    bad = [w.copy() for w in before]
    bad[0] = bad[0] + 1.0
    bad[-1] = np.zeros(7, dtype=np.float32)  # wrong shape in the last array
    with pytest.raises(ValueError, match=r"weights\[1\]'.*expected shape \(3,\)"):
        model.set_weights(bad)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    with pytest.raises(ValueError, match="expected a list of 4 arrays"):
        model.set_weights(before[:3])


def test_channels_first_branch_trains_and_matches_channels_last():
    rng = np.random.default_rng(0)
    x_last = rng.random((6, 10, 10, 1), dtype=np.float32)
    model_last = notebook_model(input_shape=(10, 10, 1))
    backend.set_image_data_format("channels_first")
    model_first = notebook_model(input_shape=(1, 10, 10))
    assert model_first.layers[1].output_shape == (None, 64, 6, 6)
    model_first.set_weights(model_last.get_weights())  # same Keras layouts in both formats
    x_first = np.ascontiguousarray(x_last.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(model_first.predict(x_first), model_last.predict(x_last), rtol=1e-5, atol=1e-6)
    model_first.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model_first.fit(x_first, to_categorical(np.arange(6) % 10, 10), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_training_mode_dropout_changes_only_training():
    model = Sequential([Dense(8, input_shape=(4,)), numcnn.layers.Dropout(0.5), Dense(2, activation="softmax")])
    x = np.ones((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert not np.allclose(model(x, training=True), model(x, training=False))


def test_same_seed_is_bitwise_identical_through_every_convolution_path():
    """Winograd (3×3 stride 1), im2col + GEMM (2×2 stride 2) and the thread pool's chunked sums included."""
    rng = np.random.default_rng(1)
    x = rng.random((96, 12, 12, 2), dtype=np.float32)
    y = to_categorical(rng.integers(0, 3, 96), 3)
    runs = []
    for _ in range(2):
        set_random_seed(11)
        model = Sequential(
            [
                Conv2D(8, 3, activation="relu", input_shape=(12, 12, 2)),
                Conv2D(4, 2, strides=2, activation="relu"),
                Flatten(),
                Dense(3, activation="softmax"),
            ]
        )
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
        runs.append((model.get_weights(), history.history))
    assert runs[0][1] == runs[1][1]
    for a, b in zip(runs[0][0], runs[1][0]):
        assert np.array_equal(a, b)
