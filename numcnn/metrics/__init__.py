"""Metrics by name, class, instance, function or config, as Keras 3's ``compile(metrics=[...])`` takes them.

``get(identifier, y_true_shape=None, y_pred_shape=None)`` returns a ``Metric`` (``numcnn.metrics.metric``
describes the interface), whose ``name`` is the key Keras 3 logs it under:

- a name: ``'accuracy'``/``'acc'`` become binary, sparse categorical or categorical accuracy from the
  shapes, as Keras 3's ``compile`` decides (binary when y_pred's last axis is 1; sparse when y_true has fewer
  axes, or a last axis of 1 against a wider y_pred; else categorical); without shapes ``'accuracy'`` is
  ``Accuracy`` (as ``keras.metrics.get``). Any other name (``'mse'``, ``'AUC'``, ``'precision'``,
  ``'top_k_categorical_accuracy'``, …) is its class with defaults. The log key is the name as written:
  ``metrics=['AUC']`` logs ``AUC``, ``metrics=['acc']`` logs ``acc``;
- a ``Metric`` instance is used as it is (its own name: ``AUC()`` logs ``auc``, a second one ``auc_1``);
  a class is instantiated with its defaults;
- a function ``fn(y_true, y_pred)`` returning per-sample values (``numcnn.metrics.sparse_categorical_accuracy``,
  a loss function, your own) is averaged by a ``MeanMetricWrapper`` named after it in snake case;
- ``{'class_name': ..., 'config': {...}}`` is rebuilt from its config.

When two metrics of one model end up with the same name, Keras logs the second as ``<name>_1``: that is the
trainer's business, not the metrics'.
"""

from __future__ import annotations

import numpy as np

from numcnn import losses as _losses
from numcnn._checks import invalid
from numcnn._naming import snake_case
from numcnn._registry import Registry, serialize
from numcnn.losses.loss import target_kind
from numcnn.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from numcnn.metrics.auc import AUC
from numcnn.metrics.confusion import FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives
from numcnn.metrics.f_score import F1Score, FBetaScore
from numcnn.metrics.metric import Metric
from numcnn.metrics.r2_score import R2Score
from numcnn.metrics.reduction import Mean, MeanMetricWrapper, Sum, samplewise
from numcnn.metrics.regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    cosine_similarity,
)

# Keras 3's metric functions include the loss functions (keras.metrics.mean_squared_error is the loss').
binary_crossentropy = _losses.binary_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
categorical_focal_crossentropy = _losses.categorical_focal_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
categorical_hinge = _losses.categorical_hinge
hinge = _losses.hinge
squared_hinge = _losses.squared_hinge
huber = _losses.huber
kl_divergence = _losses.kl_divergence
log_cosh = _losses.log_cosh
mean_absolute_error = _losses.mean_absolute_error
mean_absolute_percentage_error = _losses.mean_absolute_percentage_error
mean_squared_error = _losses.mean_squared_error
mean_squared_logarithmic_error = _losses.mean_squared_logarithmic_error
poisson = _losses.poisson

_REGISTRY = Registry("metrics", Metric)
for _cls in (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    FBetaScore,
    F1Score,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    R2Score,
    LogCoshError,
    CosineSimilarity,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Mean,
    Sum,
):
    _REGISTRY.register(_cls, snake_case(_cls.__name__))
_REGISTRY.register(MeanMetricWrapper, "mean_metric_wrapper", shown=False)  # only a config can build one
for _alias, _cls in (
    ("bce", BinaryCrossentropy),
    ("mse", MeanSquaredError),
    ("mae", MeanAbsoluteError),
    ("mape", MeanAbsolutePercentageError),
    ("msle", MeanSquaredLogarithmicError),
):
    _REGISTRY.register(_cls, _alias)

# The functions a MeanMetricWrapper's config may name (a fixed table: nothing read from a file runs code).
_FUNCTIONS = Registry("fn", object)
for _fn in (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    cosine_similarity,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    categorical_hinge,
    hinge,
    squared_hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
):
    _FUNCTIONS.register(_fn, _fn.__name__)

_ACCURACY = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy, "categorical": CategoricalAccuracy}


def function_named(name):
    """The metric function registered as ``name`` (what a ``MeanMetricWrapper`` config stores)."""
    return _FUNCTIONS.lookup(name)


def get(identifier, y_true_shape=None, y_pred_shape=None) -> Metric:
    """Resolve one entry of ``compile(metrics=[...])`` into a ``Metric`` named as Keras 3 logs it."""
    if isinstance(y_true_shape, str):
        return _legacy_get(identifier, y_true_shape)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc") and y_true_shape is not None and y_pred_shape is not None:
            return _ACCURACY[target_kind(y_true_shape, y_pred_shape)](name=identifier)
        metric = _REGISTRY.get(identifier)
        metric.name = identifier
        return metric
    if callable(identifier) and not isinstance(identifier, (type, Metric)):
        metric = MeanMetricWrapper(identifier)
        metric.name = _object_name(identifier)
        return metric
    if identifier is None or isinstance(identifier, (Metric, type, dict)):
        return _REGISTRY.get(identifier)
    raise invalid(
        "metrics",
        "a list of metric names, Metric objects or functions fn(y_true, y_pred)",
        identifier,
        TypeError,
    )


def _object_name(obj) -> str:
    """Keras' ``get_object_name``: the object's ``name``, else its ``__name__`` or class name in snake case."""
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    return snake_case(getattr(obj, "__name__", None) or type(obj).__name__)


def _legacy_get(identifier, loss_name: str):
    """What the trainer on main calls, ``get(m, loss_name) -> (name, per-sample fn)``, until it takes
    ``Metric`` objects. 'accuracy' is resolved from each batch's shapes, as Keras 3 does (``loss_name`` is
    no longer needed). Only metrics averaged per sample fit that form."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):

        def accuracy_values(y_true, y_pred):
            kind = target_kind(np.shape(y_true), np.shape(y_pred))
            return _ACCURACY[kind]()._fn(y_true, y_pred)

        metric = MeanMetricWrapper(accuracy_values, name=identifier)
    else:
        metric = get(identifier)
    if type(metric).update_state is not MeanMetricWrapper.update_state:
        raise invalid("metrics", "a metric averaged per sample (this trainer has no stateful metrics yet)", identifier)

    def per_sample(y_true, y_pred):
        values = metric._fn(y_true, y_pred, **metric._fn_kwargs)
        return samplewise(values, None, np.mean, np.float64)[0]

    return metric.name, per_sample


deserialize = _REGISTRY.get  # a ``serialize`` dict or, as Keras' ``deserialize`` takes, a name


__all__ = [
    "Metric",
    "get",
    "serialize",
    "deserialize",
    "function_named",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "AUC",
    "Precision",
    "Recall",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "FBetaScore",
    "F1Score",
    "R2Score",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "LogCoshError",
    "CosineSimilarity",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
]
