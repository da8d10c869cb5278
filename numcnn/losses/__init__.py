"""Losses by name, class or function, as Keras 3 names them (``keras.losses``).

``compile(loss=...)`` takes a name (``'categorical_crossentropy'``, ``'mse'``, ``'huber'``, ``'kld'``, …), a
class, an instance (``SparseCategoricalCrossentropy(from_logits=True)``), a ``{'class_name', 'config'}`` dict,
or one of this module's functions (``numcnn.losses.categorical_crossentropy``), which resolves to its class
with the function's defaults. A function numcnn does not know has no backward pass and is refused: subclass
``Loss`` instead (see ``numcnn.losses.loss`` for the interface). The functions return Keras' per-position
values: ``(N, K) -> (N,)``.

``'crossentropy'``/``'ce'`` pick binary, sparse or categorical crossentropy from the target and output
shapes, as Keras 3's ``compile`` does; ``get`` needs those shapes for them.
"""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn._registry import Registry, serialize
from numcnn.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from numcnn.losses.hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from numcnn.losses.loss import Loss, target_kind
from numcnn.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from numcnn.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

_REGISTRY = Registry("loss", Loss)
# Keras 3's names: each class, its function's name and the short aliases; hidden ones are Keras 2's
# spellings and the classes' default names, so that a saved ``loss.name`` resolves again.
for _cls, _names, _hidden in (
    (CategoricalCrossentropy, ("categorical_crossentropy",), ()),
    (SparseCategoricalCrossentropy, ("sparse_categorical_crossentropy",), ()),
    (BinaryCrossentropy, ("binary_crossentropy", "bce"), ()),
    (BinaryFocalCrossentropy, ("binary_focal_crossentropy",), ()),
    (CategoricalFocalCrossentropy, ("categorical_focal_crossentropy",), ()),
    (MeanSquaredError, ("mean_squared_error", "mse"), ()),
    (MeanAbsoluteError, ("mean_absolute_error", "mae"), ()),
    (MeanAbsolutePercentageError, ("mean_absolute_percentage_error", "mape"), ()),
    (MeanSquaredLogarithmicError, ("mean_squared_logarithmic_error", "msle"), ()),
    (Huber, ("huber",), ("huber_loss",)),
    (LogCosh, ("log_cosh",), ("logcosh",)),
    (KLDivergence, ("kl_divergence", "kld"), ("kullback_leibler_divergence",)),
    (Poisson, ("poisson",), ()),
    (CosineSimilarity, ("cosine_similarity",), ()),
    (Hinge, ("hinge",), ()),
    (SquaredHinge, ("squared_hinge",), ()),
    (CategoricalHinge, ("categorical_hinge",), ()),
):
    _REGISTRY.register(_cls, *_names)
    _REGISTRY.register(_cls, *_hidden, shown=False)

_BY_KIND = {
    "binary": BinaryCrossentropy,
    "sparse": SparseCategoricalCrossentropy,
    "categorical": CategoricalCrossentropy,
}


def get(identifier, y_true_shape=None, y_pred_shape=None) -> Loss:
    """Resolve a loss name, class, instance, config dict or loss function into a ``Loss``.

    ``'crossentropy'``/``'ce'`` need ``y_true_shape`` and ``y_pred_shape`` (e.g. ``(N,)`` and ``(N, 10)``).
    """
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true_shape is None or y_pred_shape is None:
            raise invalid("loss", "a loss name; 'crossentropy' is resolved from the target shapes in fit", identifier)
        return _BY_KIND[target_kind(y_true_shape, y_pred_shape)]()
    if callable(identifier) and not isinstance(identifier, (type, Loss)):
        return _from_function(identifier)
    return _REGISTRY.get(identifier)


def _from_function(fn) -> Loss:
    name = getattr(fn, "__name__", None)
    if name in _REGISTRY:
        cls = _REGISTRY.lookup(name)
        if getattr(cls, "function", None) is fn:
            return cls(name=name)
    raise invalid(
        "loss",
        "a loss name, a numcnn.losses.Loss or one of numcnn.losses' functions; a function of your own has no "
        "backward pass, so subclass numcnn.losses.Loss and write call() and call_backward()",
        fn,
        TypeError,
    )


deserialize = _REGISTRY.get  # a ``serialize`` dict or, as Keras' ``deserialize`` takes, a name


__all__ = [
    "Loss",
    "get",
    "serialize",
    "deserialize",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]
