"""Metrics: running values over several batches written out by hand, Keras 3's names and resolution rules,
configs, and errors that leave the state alone. Confusion-matrix metrics are in test_confusion_metrics.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numcnn import losses, metrics
from numcnn.metrics.metric import reset_names


@pytest.fixture(autouse=True)
def _fresh_names():
    reset_names()


# -- running values ----------------------------------------------------------------------------------------
def test_mean_over_batches_with_and_without_weights():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    assert m.result() == pytest.approx(2.0)
    m.update_state([[1.0, 3.0], [5.0, 7.0]])  # one value per sample: the row means 2 and 6
    assert m.result() == pytest.approx(14 / 5)
    m.update_state([10.0], sample_weight=[0.5])
    assert m.result() == pytest.approx(19 / 5.5)
    m.update_state(4.0)  # a scalar counts once
    assert m.result() == pytest.approx(23 / 6.5)
    m.reset_state()
    assert m.result() == 0.0


def test_weights_of_the_values_rank_are_averaged_per_sample():
    m = metrics.Mean()
    m.update_state([[1.0, 3.0]], sample_weight=[[1.0, 3.0]])  # Σ v·w / K = 5 over Σ w / K = 2
    assert m.result() == pytest.approx(2.5)


def test_sum_over_batches():
    s = metrics.Sum()
    s.update_state([1.0, 2.0, 3.0])
    s.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[1.0, 0.5])  # rows sum to 4 and 12
    assert s.result() == pytest.approx(6 + 4 + 6)


def test_binary_accuracy_thresholds_predictions_only():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [0], [1], [0]], [[0.9], [0.6], [0.5], [0.1]])  # 0.5 is not above 0.5
    assert m.result() == pytest.approx(0.5)
    m.update_state([[1], [1]], [[0.7], [0.2]], sample_weight=[3.0, 1.0])
    assert m.result() == pytest.approx((2 + 3) / (4 + 4))
    soft = metrics.BinaryAccuracy()
    soft.update_state([[0.9]], [[0.8]])  # Keras 3 compares with y_true as it is: 0.9 ≠ 1
    assert soft.result() == 0.0
    high = metrics.BinaryAccuracy(threshold=0.7)
    high.update_state([[1, 0]], [[0.75, 0.65]])
    assert high.result() == 1.0


def test_categorical_accuracy_breaks_ties_by_the_first_index():
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 1, 0], [1, 0, 0], [0, 0, 1]], [[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.5, 0.4, 0.1]])
    assert m.result() == pytest.approx(2 / 3)


def test_sparse_categorical_accuracy_takes_n_and_n_1_labels():
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    for labels in ([1, 2], [[1], [2]]):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(labels, p, sample_weight=[1.0, 3.0])
        assert m.result() == pytest.approx(0.25)


def test_top_k_counts_ties_at_the_boundary_as_keras():
    p = np.array([[0.3, 0.3, 0.3, 0.1], [0.1, 0.5, 0.4, 0.0]])
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], p)  # label 2 ties for first place: a hit
    assert m.result() == 1.0
    m = metrics.TopKCategoricalAccuracy(k=2)
    m.update_state(np.eye(4)[[2, 0]], p)  # class 0 of row 2 has two classes above it
    assert m.result() == pytest.approx(0.5)
    nan = metrics.SparseTopKCategoricalAccuracy(k=3)
    nan.update_state([0], [[np.nan, 0.1, 0.2, 0.3]])
    assert nan.result() == 0.0


def test_sparse_top_k_from_sorted_ids():
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    m.update_state([3, 1], [[3, 0, 1], [0, 2, 1]])
    assert m.result() == pytest.approx(0.5)


def test_regression_metrics_over_batches():
    mse, rmse, mae = metrics.MeanSquaredError(), metrics.RootMeanSquaredError(), metrics.MeanAbsoluteError()
    batches = [([[0.0, 0.0]], [[1.0, 3.0]], None), ([[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 3.0]], [1.0, 2.0])]
    for y, p, w in batches:
        for m in (mse, rmse, mae):
            m.update_state(y, p, sample_weight=w)
    assert mse.result() == pytest.approx((5 + 0 + 2 * 2) / 4)
    assert rmse.result() == pytest.approx(math.sqrt((5 + 0 + 2 * 2) / 4))
    assert mae.result() == pytest.approx((2 + 0 + 2 * 1) / 4)


def test_cosine_similarity_metric_is_the_positive_cosine():
    m = metrics.CosineSimilarity()
    m.update_state([[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0], [0.0, 5.0]])
    assert m.result() == pytest.approx((1 / math.sqrt(2) + 1) / 2)


def test_crossentropy_metric_averages_the_loss_function(rng):
    labels, p = rng.integers(0, 4, 6), rng.dirichlet(np.ones(4), 6)
    m = metrics.SparseCategoricalCrossentropy()
    m.update_state(labels[:3], p[:3])
    m.update_state(labels[3:], p[3:])
    assert m.result() == pytest.approx(float(np.mean(losses.sparse_categorical_crossentropy(labels, p))))


def test_a_bad_batch_leaves_the_state_alone():
    m = metrics.MeanSquaredError()
    m.update_state([[1.0]], [[3.0]])
    with pytest.raises(ValueError, match="'sample_weight'"):
        m.update_state([[1.0], [2.0]], [[1.0], [2.0]], sample_weight=[1.0, 2.0, 3.0])
    assert m.result() == pytest.approx(4.0) and m.count == 1


# -- names and resolution ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("y_true_shape", "y_pred_shape", "cls"),
    [
        ((8,), (8, 10), metrics.SparseCategoricalAccuracy),
        ((8, 1), (8, 10), metrics.SparseCategoricalAccuracy),
        ((8, 10), (8, 10), metrics.CategoricalAccuracy),
        ((8, 1), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 1), metrics.BinaryAccuracy),
    ],
)
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_follows_the_shapes_as_keras_compile(y_true_shape, y_pred_shape, cls, name):
    metric = metrics.get(name, y_true_shape, y_pred_shape)
    assert type(metric) is cls and metric.name == name


def test_names_log_as_written_and_objects_by_their_own_name():
    assert metrics.get("AUC").name == "AUC" and type(metrics.get("AUC")) is metrics.AUC
    assert metrics.get("mse").name == "mse" and type(metrics.get("mse")) is metrics.MeanSquaredError
    assert type(metrics.get("accuracy")) is metrics.Accuracy  # no shapes: keras.metrics.get's answer
    assert metrics.AUC().name == "auc_2"  # the two 'AUC' strings above took auc and auc_1, as in Keras
    assert metrics.get(metrics.Precision).name == "precision"
    assert metrics.Precision().name == "precision_1"
    assert metrics.MeanSquaredError().name == metrics.MeanSquaredError().name == "mean_squared_error"
    auc = metrics.AUC(name="val")
    assert metrics.get(auc) is auc


def test_functions_are_wrapped_in_a_mean_named_after_them():
    def myMetric(y_true, y_pred):  # noqa: N802 (Keras snake-cases the name)
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).mean(axis=-1)

    assert metrics.get(metrics.sparse_categorical_accuracy).name == "sparse_categorical_accuracy"
    mine = metrics.get(myMetric)
    assert isinstance(mine, metrics.MeanMetricWrapper) and mine.name == "my_metric"
    mine.update_state([[0.0, 2.0]], [[1.0, 1.0]])
    assert mine.result() == pytest.approx(1.0)
    assert metrics.get(lambda t, p: t).name == "lambda"


def test_a_loss_object_as_a_metric_averages_its_batch_values_as_keras():
    metric = metrics.get(losses.MeanSquaredError())
    assert metric.name == "mean_squared_error"
    metric.update_state([[0.0], [0.0]], [[1.0], [3.0]])  # batch loss 5
    metric.update_state([[0.0]], [[1.0]])  # batch loss 1: each batch counts once
    assert metric.result() == pytest.approx(3.0)


def test_the_trainer_on_main_still_gets_name_and_per_sample_values():
    name, fn = metrics.get("accuracy", "sparse_categorical_crossentropy")
    assert name == "accuracy"
    np.testing.assert_array_equal(fn(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]])), [1.0, 0.0])
    name, fn = metrics.get("acc", "huber_loss")  # by the shapes: binary accuracy for (N, 1) outputs
    np.testing.assert_array_equal(fn(np.array([1.0, 0.0]), np.array([[0.9], [0.7]])), [1.0, 0.0])
    name, fn = metrics.get("binary_accuracy", "binary_crossentropy")
    np.testing.assert_array_equal(fn(np.array([[1, 0], [0, 0]]), np.array([[0.9, 0.9], [0.1, 0.2]])), [0.5, 1.0])
    with pytest.raises(ValueError, match="'metrics'.*per sample"):
        metrics.get("AUC", "mse")


@pytest.mark.parametrize(
    ("identifier", "error"), [(None, TypeError), (3, TypeError), ("f1", ValueError), ("acc", ValueError)]
)
def test_unknown_identifiers_are_refused(identifier, error):
    with pytest.raises(error, match="'metrics'"):
        metrics.get(identifier)


# -- configs ------------------------------------------------------------------------------------------------
CONFIGURED = [
    metrics.BinaryAccuracy(threshold=0.7, name="ba"),
    metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
    metrics.Precision(thresholds=[0.2, 0.4], class_id=1),
    metrics.Recall(top_k=2),
    metrics.TruePositives(thresholds=0.3),
    metrics.AUC(num_thresholds=11, curve="PR", summation_method="minoring", multi_label=True, num_labels=3),
    metrics.AUC(thresholds=[0.1, 0.5], label_weights=[1.0, 2.0], from_logits=True),
    metrics.MeanMetricWrapper(metrics.binary_accuracy, name="bin", threshold=0.3),
    metrics.CategoricalCrossentropy(label_smoothing=0.1, from_logits=True),
    metrics.Mean(dtype="float64"),
    *(cls() for cls in (metrics.RootMeanSquaredError, metrics.LogCoshError, metrics.Hinge, metrics.Sum)),
]


@pytest.mark.parametrize("metric", CONFIGURED, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


def test_a_wrapper_config_names_its_function():
    config = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="bin", threshold=0.3).get_config()
    assert config == {"name": "bin", "dtype": "float32", "fn": "binary_accuracy", "threshold": 0.3}


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: metrics.BinaryAccuracy(threshold="a"), TypeError, "'threshold'"),
        (lambda: metrics.TopKCategoricalAccuracy(k=0), ValueError, "'k'"),
        (lambda: metrics.Mean(dtype="int32"), ValueError, "'dtype'"),
        (lambda: metrics.Mean(name=5), TypeError, "'name'"),
        (lambda: metrics.MeanMetricWrapper(3), TypeError, "'fn'"),
        (lambda: metrics.MeanMetricWrapper.from_config({"fn": "os.system"}), ValueError, "'fn'"),
        (lambda: metrics.SparseCategoricalCrossentropy(ignore_class=0), ValueError, "'ignore_class'"),
    ],
)
def test_bad_arguments_raise_house_style_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
