"""F1Score, FBetaScore and R2Score as metrics of a model: Keras' documented examples, state over batches
(a bad batch changes nothing), arguments refused by name, and a small image model trained with
``metrics=[F1Score(average='macro')]`` and the categorical focal loss, logged and saved under Keras' names."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import numcnn
from numcnn import losses, metrics
from numcnn.layers import Conv2D, Dense, Flatten, Input
from numcnn.models import Sequential
from numcnn.utils import set_random_seed, to_categorical

Y = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
P = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)


def test_keras_documented_examples():
    f1 = metrics.F1Score(threshold=0.5)
    f1.update_state(Y, P)
    np.testing.assert_allclose(f1.result(), [0.5, 0.8, 0.6666667], rtol=1e-6)
    fbeta = metrics.FBetaScore(beta=2.0, threshold=0.5)
    fbeta.update_state(Y, P)
    np.testing.assert_allclose(fbeta.result(), [0.3846154, 0.90909094, 0.8333334], rtol=1e-6)
    r2 = metrics.R2Score()
    r2.update_state(np.array([[1], [4], [3]], np.float32), np.array([[2], [4], [4]], np.float32))
    np.testing.assert_allclose(r2.result(), 0.57142854, rtol=1e-6)


def test_two_batches_count_as_one():
    whole, halves = metrics.F1Score(average="weighted"), metrics.F1Score(average="weighted")
    y, p = np.tile(Y, (2, 1)), np.tile(P, (2, 1)) * np.array([[1.0], [0.5], [1.0], [0.9], [1.0], [0.2]], np.float32)
    whole.update_state(y, p)
    halves.update_state(y[:4], p[:4])
    halves.update_state(y[4:], p[4:])
    np.testing.assert_allclose(halves.result(), whole.result(), rtol=1e-7)
    halves.reset_state()
    assert float(halves.result()) == 0.0
    halves.update_state(y, p)
    np.testing.assert_allclose(halves.result(), whole.result(), rtol=1e-7)


def test_threshold_none_takes_each_rows_maximum_and_ties_but_not_zeros():
    f1 = metrics.F1Score(average=None)
    f1.update_state(np.array([[1, 0], [0, 1], [1, 0]]), np.array([[0.5, 0.5], [0.0, 0.0], [0.9, 0.1]]))
    # class 0: tp 2 (tie and clear win), fp 0, fn 0; class 1: tp 0, fp 1 (the tie), fn 1 (the zero row)
    np.testing.assert_allclose(f1.result(), [1.0, 0.0], atol=1e-6)


def test_a_bad_batch_changes_nothing():
    metric = metrics.F1Score(average="macro", threshold=0.5)
    metric.update_state(Y, P)
    before = float(metric.result())
    for y, p, w in (
        (Y[:, :2], P[:, :2], None),  # another number of classes than the first batch
        (Y, P[:2], None),
        (Y[..., None], P[..., None], None),
        (Y, P, np.ones(4)),
    ):
        with pytest.raises(ValueError):
            metric.update_state(y, p, sample_weight=w)
    assert float(metric.result()) == before
    r2 = metrics.R2Score()
    r2.update_state(np.ones((3, 2)), np.zeros((3, 2)) + [[0.0, 1.0]])
    with pytest.raises(ValueError, match="R2Score"):
        r2.update_state(np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="sample_weight"):
        r2.update_state(np.ones((3, 2)), np.ones((3, 2)), sample_weight=np.ones(2))


def test_adjusted_r2_falls_back_with_a_warning():
    r2 = metrics.R2Score(num_regressors=4)
    y, p = np.array([[1.0], [2.0], [4.0], [3.0]]), np.array([[1.1], [2.2], [3.5], [3.0]])
    r2.update_state(y, p)  # 4 regressors, 4 samples
    plain = metrics.R2Score()
    plain.update_state(y, p)
    with pytest.warns(UserWarning, match="Falling back"):
        assert float(r2.result()) == float(plain.result())


@pytest.mark.parametrize(
    ("make", "argument", "error"),
    [
        (lambda: metrics.F1Score(average="median"), "average", ValueError),
        (lambda: metrics.F1Score(average=1), "average", TypeError),
        (lambda: metrics.F1Score(threshold=0.0), "threshold", ValueError),
        (lambda: metrics.F1Score(threshold=1.5), "threshold", ValueError),
        (lambda: metrics.F1Score(threshold="0.5"), "threshold", TypeError),
        (lambda: metrics.FBetaScore(beta=0.0), "beta", ValueError),
        (lambda: metrics.FBetaScore(beta=-1.0), "beta", ValueError),
        (lambda: metrics.FBetaScore(beta=None), "beta", TypeError),
        (lambda: metrics.FBetaScore(name=3), "name", TypeError),
        (lambda: metrics.FBetaScore(dtype="int32"), "dtype", ValueError),
        (lambda: metrics.R2Score(class_aggregation="median"), "class_aggregation", ValueError),
        (lambda: metrics.R2Score(class_aggregation=0), "class_aggregation", TypeError),
        (lambda: metrics.R2Score(num_regressors=-1), "num_regressors", ValueError),
        (lambda: metrics.R2Score(num_regressors=1.5), "num_regressors", TypeError),
    ],
)
def test_bad_arguments_are_refused_by_name(make, argument, error):
    with pytest.raises(error, match=f"argument '{argument}'"):
        make()


def test_names_and_registry():
    assert metrics.get("f1_score").name == "f1_score" and type(metrics.get("F1Score")) is metrics.F1Score
    assert metrics.FBetaScore().name == "fbeta_score" and type(metrics.get("f_beta_score")) is metrics.FBetaScore
    assert type(metrics.get("r2_score")) is metrics.R2Score
    config = metrics.FBetaScore(average="micro", beta=2, threshold=1).get_config()
    assert config == {"name": "fbeta_score", "dtype": "float32", "average": "micro", "beta": 2.0, "threshold": 1.0}
    assert "beta" not in metrics.F1Score().get_config()


def image_data(n=48, seed=0):
    """Three classes of 6×6 images, mostly zeros: a horizontal, a vertical or a diagonal stroke of ones."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    x = np.zeros((n, 6, 6, 1), np.float32)
    for i, label in enumerate(labels):
        j = rng.integers(1, 5)
        if label == 0:
            x[i, j, :, 0] = 1.0
        elif label == 1:
            x[i, :, j, 0] = 1.0
        else:
            x[i, np.arange(6), np.arange(6), 0] = 1.0
    return x, to_categorical(labels, 3)


def test_a_model_trains_with_f1_and_focal_loss_and_logs_keras_keys(tmp_path):
    set_random_seed(3)
    x, y = image_data()
    model = Sequential([Input((6, 6, 1)), Conv2D(4, 3, activation="relu"), Flatten(), Dense(3, activation="softmax")])
    model.compile(
        optimizer=numcnn.optimizers.Adam(0.02),
        loss=losses.CategoricalFocalCrossentropy(),
        metrics=[metrics.F1Score(average="macro")],
    )
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0, validation_data=(x, y))
    assert set(history.history) == {"loss", "f1_score", "val_loss", "val_f1_score"}
    loss = history.history["loss"]
    assert loss[-1] < 0.7 * loss[0]
    assert history.history["f1_score"][-1] > history.history["f1_score"][0]
    # the logged F1 is the epoch's, not a mean of batches: evaluate recomputes it in one pass
    reference = metrics.F1Score(average="macro")
    reference.update_state(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(history.history["val_f1_score"][-1], float(reference.result()), rtol=1e-6)
    path = tmp_path / "focal.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = numcnn.models.load_model(path)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)


def test_fit_logs_a_per_class_result_as_an_array_and_the_bar_shows_its_mean(capsys):
    rng = np.random.default_rng(0)
    x = rng.random((64, 6)).astype("float32")
    y = numcnn.utils.to_categorical(rng.integers(0, 3, 64), 3)
    model = numcnn.Sequential([numcnn.Input((6,)), numcnn.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[numcnn.metrics.F1Score()])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=2)
    for key in ("f1_score", "val_f1_score"):
        assert all(isinstance(v, np.ndarray) and v.shape == (3,) for v in history.history[key])
    last = history.history["f1_score"][-1]
    assert f"f1_score: {float(np.mean(last)):.4f}" in capsys.readouterr().out
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    metric = numcnn.metrics.F1Score()
    metric.update_state(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(logs["f1_score"], metric.result(), rtol=1e-6)
