"""Keras 3 ``compile_config`` (and Keras 2's ``training_config``) ↔ numcnn's optimizer, loss and metrics.

``compile_from_keras(config)`` returns the keyword arguments for numcnn's ``model.compile(**kwargs)``:
``{"optimizer": Optimizer | None, "loss": Loss, "metrics": [names]}``. ``compile_to_keras(optimizer, loss,
metrics)`` writes the ``compile_config`` Keras 3.15 writes. The per-object functions (``optimizer_from_keras``
…) are public too. Classes and arguments follow the rules of :mod:`numcnn.saving._keras_table`: a Keras
optimizer numcnn lacks (``Lion``…) or an argument numcnn does not model at a non-default value
(``use_ema=True``, ``loss_weights``) is refused by name.

Keras 2 (tf.keras ≥ 2.11) names its built-in optimizers ``'Custom>Adam'`` in ``training_config``; that
prefix is accepted there only, and the name still resolves through the table below.
"""

from __future__ import annotations

from numcnn import losses as numcnn_losses
from numcnn._checks import invalid
from numcnn.saving._keras_table import Entry, _find, _parameters, arguments, lookup, to_keras_spec

# -- schedules and optimizers ------------------------------------------------------------------------------

_SCHEDULES = {
    name: Entry(name, "keras.optimizers.schedules", _find("numcnn.schedules", name), ())
    for name in (
        "ExponentialDecay",
        "PiecewiseConstantDecay",
        "InverseTimeDecay",
        "PolynomialDecay",
        "CosineDecay",
        "CosineDecayRestarts",
    )
}


def schedule_from_keras(spec, where: str = ""):
    """A numcnn learning-rate schedule from Keras' nested form."""
    entry, config = lookup(_SCHEDULES, spec, "schedule", where)
    return entry.numcnn()(**arguments(entry, config, f"{entry.keras}{where}", {}))


def schedule_to_keras(schedule) -> dict:
    entry = _SCHEDULES[type(schedule).__name__]
    spec = to_keras_spec(entry, {}, {})
    spec["config"] = dict(schedule.get_config())
    return spec


_BASE = ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue")
_KERAS_ONLY = {
    "use_ema": (False,),
    "ema_momentum": (0.99,),
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
}
_ORDER = (*_BASE, *_KERAS_ONLY)
# Keras 2's optimizer configs add these; they change nothing numcnn computes at these values.
_KERAS2_ONLY = {"jit_compile": (True, False), "is_legacy_optimizer": (False,), "decay": (0.0,)}


def _optimizer(name: str, *hyper: str) -> Entry:
    nested = {"learning_rate": "learning_rate"}
    return Entry(name, "keras.optimizers", _find("numcnn.optimizers", name), (*_ORDER, *hyper), _KERAS_ONLY, nested)


OPTIMIZERS = {
    e.keras: e
    for e in (
        _optimizer("SGD", "momentum", "nesterov"),
        _optimizer("RMSprop", "rho", "momentum", "epsilon", "centered"),
        _optimizer("Adagrad", "initial_accumulator_value", "epsilon"),
        _optimizer("Adam", "beta_1", "beta_2", "epsilon", "amsgrad"),
        _optimizer("AdamW", "beta_1", "beta_2", "epsilon", "amsgrad"),
        _optimizer("Adadelta", "rho", "epsilon"),
        _optimizer("Nadam", "beta_1", "beta_2", "epsilon"),
        _optimizer("Adamax", "beta_1", "beta_2", "epsilon"),
        _optimizer("Lion", "beta_1", "beta_2"),
        _optimizer(
            "Ftrl",
            "learning_rate_power",
            "initial_accumulator_value",
            "l1_regularization_strength",
            "l2_regularization_strength",
            "l2_shrinkage_regularization_strength",
            "beta",
        ),
    )
}


def _learning_rate(value, where: str):
    return schedule_from_keras(value, where) if isinstance(value, dict) else value


def optimizer_from_keras(spec, where: str = "", legacy: bool = False):
    """A numcnn optimizer from Keras' nested form; ``legacy`` accepts Keras 2's ``'Custom>Adam'`` spelling."""
    if legacy and isinstance(spec, dict) and str(spec.get("class_name", "")).startswith("Custom>"):
        spec = {**spec, "class_name": spec["class_name"][len("Custom>") :]}
    entry, config = lookup(OPTIMIZERS, spec, "optimizer", where)
    if legacy:
        entry = Entry(
            entry.keras, entry.module, entry.numcnn, entry.order, {**_KERAS_ONLY, **_KERAS2_ONLY}, entry.nested
        )
    kwargs = arguments(entry, config, f"{entry.keras}{where}", {"learning_rate": _learning_rate})
    return entry.numcnn()(**kwargs)


def optimizer_to_keras(optimizer) -> dict:
    entry = OPTIMIZERS.get(type(optimizer).__name__)
    if entry is None or entry.numcnn() is not type(optimizer):
        raise invalid("optimizer", f"an optimizer Keras has ({', '.join(OPTIMIZERS)})", type(optimizer).__name__)
    convert = {"learning_rate": lambda lr: lr if isinstance(lr, (int, float)) else schedule_to_keras(lr)}
    config = dict(optimizer.get_config())
    config["learning_rate"] = optimizer.learning_rate
    return to_keras_spec(entry, config, convert)


# -- losses and metrics ------------------------------------------------------------------------------------


def _loss(name: str, snake: str, *args: str, keras_only=None) -> Entry:
    only = {"name": (snake,), "reduction": ("sum_over_batch_size",), **(keras_only or {})}
    return Entry(name, "keras.losses", _find("numcnn.losses", name), ("name", "reduction", *args), only)


_CROSSENTROPY = {"from_logits": (False,), "label_smoothing": (0.0,), "axis": (-1,)}
LOSSES = {
    e.keras: e
    for e in (
        _loss("CategoricalCrossentropy", "categorical_crossentropy", *_CROSSENTROPY, keras_only=_CROSSENTROPY),
        _loss(
            "SparseCategoricalCrossentropy",
            "sparse_categorical_crossentropy",
            "from_logits",
            "ignore_class",
            keras_only={"from_logits": (False,), "ignore_class": (None,)},
        ),
        _loss("BinaryCrossentropy", "binary_crossentropy", *_CROSSENTROPY, keras_only=_CROSSENTROPY),
        _loss("MeanSquaredError", "mean_squared_error"),
    )
}


def loss_from_keras(spec, where: str = ""):
    """A numcnn loss from a Keras loss name (``'categorical_crossentropy'``) or nested form."""
    if isinstance(spec, str):
        try:
            return numcnn_losses.get(spec)
        except (ValueError, TypeError):
            raise invalid("loss", f"a loss numcnn has{where}", spec) from None
    entry, config = lookup(LOSSES, spec, "loss", where)
    # A loss argument numcnn's class takes (from_logits, once it has it) is passed on: they are all scalars.
    takes = _parameters(entry.numcnn())
    only = {k: v for k, v in entry.keras_only.items() if k not in takes}
    entry = Entry(entry.keras, entry.module, entry.numcnn, entry.order, only)
    return entry.numcnn()(**arguments(entry, config, f"{entry.keras}{where}", {}))


def loss_to_keras(loss):
    """Keras' spelling of a numcnn loss: its name when it has no arguments (as Keras writes
    ``compile(loss='categorical_crossentropy')``), else the nested form."""
    config = dict(loss.get_config())
    if set(config) <= {"name"}:
        return loss.name
    entry = LOSSES[type(loss).__name__]
    return to_keras_spec(entry, config, {})


_METRIC_NAMES = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy")
# Keras metric class → numcnn's metric name (numcnn's metrics are named functions).
_METRIC_ENTRIES = {
    keras: Entry(keras, "keras.metrics", lambda name=name: name, ())
    for keras, name in (
        ("CategoricalAccuracy", "categorical_accuracy"),
        ("SparseCategoricalAccuracy", "sparse_categorical_accuracy"),
        ("BinaryAccuracy", "binary_accuracy"),
    )
}


def metric_from_keras(spec, where: str = "") -> str:
    """numcnn's metric name from a Keras metric name, nested metric, or Keras 2 ``MeanMetricWrapper``."""
    if isinstance(spec, str):
        if spec.lower() not in _METRIC_NAMES:
            raise invalid("metrics", f"one of {', '.join(map(repr, _METRIC_NAMES))}{where}", spec)
        return spec
    if isinstance(spec, dict) and spec.get("class_name") == "MeanMetricWrapper" and "module" not in spec:
        config = spec.get("config") or {}
        fn, name = config.get("fn"), config.get("name")
        if fn not in _METRIC_NAMES or set(config) - {"name", "dtype", "fn"}:
            raise invalid("metrics", f"a Keras 2 accuracy metric{where}", spec)
        return name if isinstance(name, str) and name.lower() in _METRIC_NAMES else fn
    entry, config = lookup(_METRIC_ENTRIES, spec, "metric", where)
    name = entry.numcnn()
    defaults = {"name": name, "dtype": "float32", **({"threshold": 0.5} if name == "binary_accuracy" else {})}
    for key, value in config.items():
        if key not in defaults or value != defaults[key]:
            raise invalid(key, f"{defaults.get(key)!r} for {entry.keras}{where} (numcnn has no other)", value)
    return name


# -- compile configs ---------------------------------------------------------------------------------------

_COMPILE_IGNORED = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


def compile_from_keras(config: dict | None) -> dict | None:
    """``model.compile`` keyword arguments from a Keras 3 ``compile_config`` or a Keras 2 ``training_config``;
    ``None`` for a model saved uncompiled (Keras 3 writes ``{}``, legacy files no attribute)."""
    if config is None or config == {}:
        return None
    if not isinstance(config, dict):
        raise invalid("compile_config", "a dict", type(config).__name__, TypeError)
    legacy = "optimizer_config" in config
    optimizer_key = "optimizer_config" if legacy else "optimizer"
    known = {optimizer_key, "loss", "metrics", "loss_weights", "weighted_metrics", *_COMPILE_IGNORED}
    unknown = sorted(set(config) - known)
    if unknown:
        raise invalid("compile_config", f"only the keys {sorted(known)}", unknown)
    for key in ("loss_weights", "weighted_metrics"):
        if config.get(key) is not None:
            raise invalid(key, "None (numcnn does not implement it)", config[key])
    spec = config.get(optimizer_key)
    optimizer = None if spec is None else optimizer_from_keras(spec, " in the compile config", legacy=legacy)
    if config.get("loss") is None:
        raise invalid("loss", "a loss in the compile config", None)
    loss = loss_from_keras(config["loss"], " in the compile config")
    metrics = config.get("metrics") or []
    if legacy and len(metrics) == 1 and isinstance(metrics[0], list):  # Keras 2: one list per output
        metrics = metrics[0]
    if not isinstance(metrics, list):
        raise invalid("metrics", "a list in the compile config", metrics, TypeError)
    return {"optimizer": optimizer, "loss": loss, "metrics": [metric_from_keras(m) for m in metrics]}


def compile_to_keras(optimizer, loss, metrics) -> dict:
    """The ``compile_config`` Keras 3.15 writes for ``compile(optimizer, loss, metrics)`` (numcnn objects;
    ``metrics`` a list of metric names)."""
    return {
        "optimizer": None if optimizer is None else optimizer_to_keras(optimizer),
        "loss": loss_to_keras(loss),
        "loss_weights": None,
        "metrics": [metric_from_keras(m) for m in metrics or []] or None,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }
