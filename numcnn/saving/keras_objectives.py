"""Keras losses and metrics in a ``compile_config`` ↔ numcnn's, in each of the four forms Keras writes:

- a string, as it was given to ``compile`` (``"categorical_crossentropy"``, ``"mse"``, ``"accuracy"``): kept
  a string, so that what depends on the targets' shapes (``"accuracy"``, ``"crossentropy"``) is still decided
  on the first batch;
- an object, ``{"module": "keras.losses", "class_name": "CategoricalCrossentropy", "config": {…}}``: numcnn's
  class of that name (its ``get_config`` keys are Keras');
- a function, ``{"module": "builtins", "class_name": "function", "config": "categorical_crossentropy"}``:
  numcnn's function of that name, from a fixed table;
- a ``MeanMetricWrapper`` of such a function with its keyword arguments (Keras 2 wrote ``"fn"`` as a string,
  without ``module``).

Anything else, or a class numcnn lacks (``Dice``, ``IoU``…), is refused by name.
"""

from __future__ import annotations

import inspect

from numcnn import losses as numcnn_losses
from numcnn import metrics as numcnn_metrics
from numcnn._checks import invalid
from numcnn._naming import snake_case
from numcnn.saving._keras_table import Entry, find, lookup, to_keras_spec
from numcnn.saving._keras_table import arguments as _arguments

# Every class numcnn registers is one Keras has, under the same name (the catalog test holds them to
# Keras' list), so the tables follow the registries.
LOSSES = {
    cls.__name__: Entry(cls.__name__, "keras.losses", find("numcnn.losses", cls.__name__))
    for cls in numcnn_losses._REGISTRY.classes()
}
METRICS = {
    cls.__name__: Entry(
        cls.__name__,
        "keras.metrics",
        find("numcnn.metrics", cls.__name__),
        nested={"fn": "function"} if cls is numcnn_metrics.MeanMetricWrapper else {},
    )
    for cls in numcnn_metrics._REGISTRY.classes()
}
_SHAPE_DEPENDENT = {"loss": ("crossentropy", "ce"), "metric": ("accuracy", "acc")}


def _is_function_spec(spec) -> bool:
    return isinstance(spec, dict) and spec.get("class_name") == "function" and spec.get("module") == "builtins"


def _function_from_keras(spec, what: str, where: str):
    """numcnn's loss or metric function named in Keras' function form (or Keras 2's plain name)."""
    name = spec.get("config") if isinstance(spec, dict) else spec
    if isinstance(spec, dict) and (
        not _is_function_spec(spec) or spec.get("registered_name") not in (None, "function")
    ):
        raise invalid(what, f"one of Keras' built-in functions{where}", spec)
    try:
        if what == "loss":
            cls = numcnn_losses._REGISTRY.lookup(name)
            fn = getattr(cls, "function", None)
            if fn is None or fn.__name__ != name:
                raise ValueError(name)
            return fn
        return numcnn_metrics.function_named(name)
    except (ValueError, TypeError, AttributeError):
        raise invalid(what, f"a {what} function numcnn has{where}", name) from None


def _function_to_keras(fn) -> dict:
    name = fn if isinstance(fn, str) else fn.__name__
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _string(value: str, what: str, where: str) -> str:
    """A loss or metric name numcnn resolves (checked now), kept as written."""
    if value.lower() in _SHAPE_DEPENDENT[what]:
        return value
    try:
        (numcnn_losses.get if what == "loss" else numcnn_metrics.get)(value)
    except (ValueError, TypeError):
        raise invalid(what, f"a {what} numcnn has{where}", value) from None
    return value


def _keras_string(value: str, what: str) -> str:
    """``value`` if Keras resolves it as written, else the canonical name of what numcnn resolved it to."""
    registry = numcnn_losses._REGISTRY if what == "loss" else numcnn_metrics._REGISTRY
    if value.lower() in _SHAPE_DEPENDENT[what] or value in registry.names():
        return value
    cls = registry.lookup(value)
    fn = getattr(cls, "function", None) if what == "loss" else None
    return fn.__name__ if fn is not None else snake_case(cls.__name__)


# -- losses -------------------------------------------------------------------------------------------------


def loss_from_keras(spec, where: str = ""):
    """What numcnn's ``compile(loss=...)`` takes for one Keras loss spec: a name, a Loss or a loss function."""
    if isinstance(spec, str):
        return _string(spec, "loss", where)
    if _is_function_spec(spec):
        return _function_from_keras(spec, "loss", where)
    entry, config = lookup(LOSSES, spec, "loss", where)
    return entry.numcnn()(**_arguments(entry, config, f"{entry.keras}{where}", {}))


def loss_to_keras(loss):
    """Keras' spelling of what numcnn's ``compile`` got: a name stays a name, a Loss becomes Keras' nested
    form, a loss function Keras' function form."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return _keras_string(loss, "loss")
    if callable(loss) and not isinstance(loss, (type, numcnn_losses.Loss)):
        numcnn_losses.get(loss)  # one of numcnn's functions, or refused
        return _function_to_keras(loss)
    loss = numcnn_losses.get(loss)
    entry = LOSSES.get(type(loss).__name__)
    if entry is None or entry.numcnn() is not type(loss):
        raise invalid("loss", f"a loss Keras has ({', '.join(LOSSES)})", type(loss).__name__, TypeError)
    return to_keras_spec(entry, loss.get_config(), {})


# -- metrics ------------------------------------------------------------------------------------------------

_KERAS2_ACCURACY = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy")


def metric_from_keras(spec, where: str = ""):
    """What numcnn's ``compile(metrics=[...])`` takes for one Keras metric spec: a name, a Metric or a
    metric function."""
    if isinstance(spec, str):
        return _string(spec, "metric", where)
    if _is_function_spec(spec):
        return _function_from_keras(spec, "metric", where)
    if isinstance(spec, dict) and spec.get("class_name") == "MeanMetricWrapper" and "module" not in spec:
        return _keras2_wrapper(spec, where)  # Keras 2's training_config
    entry, config = lookup(METRICS, spec, "metric", where)
    if entry.keras == "MeanMetricWrapper":
        return _wrapper(entry, config, where)
    return entry.numcnn()(**_arguments(entry, config, f"{entry.keras}{where}", {}))


def _wrapper(entry: Entry, config: dict, where: str):
    config = dict(config)
    fn = _function_from_keras(config.pop("fn", None), "metric", where)
    base = {k: config.pop(k) for k in ("name", "dtype") if k in config}
    takes = set(inspect.signature(fn).parameters) - {"y_true", "y_pred"}
    unknown = sorted(set(config) - takes)
    if unknown:
        raise invalid(unknown[0], f"an argument of {fn.__name__} in MeanMetricWrapper{where}", config[unknown[0]])
    return entry.numcnn()(fn, **base, **config)


def _keras2_wrapper(spec: dict, where: str) -> str:
    config = spec.get("config") or {}
    fn, name = config.get("fn"), config.get("name")
    if fn not in _KERAS2_ACCURACY or set(config) - {"name", "dtype", "fn"}:
        raise invalid("metrics", f"a Keras 2 accuracy metric{where}", spec)
    return name if isinstance(name, str) and name.lower() in _KERAS2_ACCURACY else fn


def metric_to_keras(metric):
    """Keras' spelling of one entry of numcnn's ``compile(metrics=[...])``."""
    if isinstance(metric, str):
        return _keras_string(metric, "metric")
    if callable(metric) and not isinstance(metric, (type, numcnn_metrics.Metric)):
        numcnn_metrics.function_named(metric.__name__)
        return _function_to_keras(metric)
    metric = numcnn_metrics.get(metric)
    entry = METRICS.get(type(metric).__name__)
    if entry is None or entry.numcnn() is not type(metric):
        raise invalid("metrics", f"a metric Keras has ({', '.join(METRICS)})", type(metric).__name__, TypeError)
    return to_keras_spec(entry, metric.get_config(), {"function": _function_to_keras})
