"""Keras 3 ``compile_config`` (and Keras 2's ``training_config``) ↔ numcnn's ``compile`` arguments: the
optimizer (with its learning-rate schedule), the losses, loss weights and metrics, per output.

``compile_from_keras(config)`` returns the keyword arguments for ``model.compile(**kwargs)``;
``compile_to_keras(optimizer, loss, metrics, loss_weights, weighted_metrics)`` writes the ``compile_config``
Keras 3.15 writes for them. Losses and metrics are :mod:`numcnn.saving.keras_objectives`; here are the
optimizers and schedules. Classes and arguments follow :mod:`numcnn.saving._keras_table`: a Keras optimizer
numcnn lacks (``Adafactor``…) or an argument numcnn does not model at a non-default value (``use_ema=True``)
is refused by name.

Keras 2 (tf.keras ≥ 2.11) names its built-in optimizers ``'Custom>Adam'`` in ``training_config``; that
prefix is accepted there only, and the name still resolves through the table below.
"""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.optimizers import schedules
from numcnn.saving._keras_table import Entry, find, lookup, to_keras_spec
from numcnn.saving._keras_table import arguments as _arguments
from numcnn.saving.keras_objectives import loss_from_keras, loss_to_keras, metric_from_keras, metric_to_keras

# -- schedules and optimizers ------------------------------------------------------------------------------

_SCHEDULES = {
    cls.__name__: Entry(cls.__name__, "keras.optimizers.schedules", find("numcnn.schedules", cls.__name__))
    for cls in schedules._REGISTRY.classes()
}


def schedule_from_keras(spec, where: str = ""):
    """A numcnn learning-rate schedule from Keras' nested form."""
    entry, config = lookup(_SCHEDULES, spec, "schedule", where)
    return entry.numcnn()(**_arguments(entry, config, f"{entry.keras}{where}", {}))


def schedule_to_keras(schedule) -> dict:
    entry = _SCHEDULES[type(schedule).__name__]
    return to_keras_spec(entry, dict(schedule.get_config()), {})


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
    return Entry(name, "keras.optimizers", find("numcnn.optimizers", name), (*_ORDER, *hyper), _KERAS_ONLY, nested)


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
    if legacy and "lr" in config and "learning_rate" not in config:  # Keras 2's older name
        config = {("learning_rate" if k == "lr" else k): v for k, v in config.items()}
    if legacy:
        entry = Entry(
            entry.keras, entry.module, entry.numcnn, entry.order, {**_KERAS_ONLY, **_KERAS2_ONLY}, entry.nested
        )
    kwargs = _arguments(entry, config, f"{entry.keras}{where}", {"learning_rate": _learning_rate})
    return entry.numcnn()(**kwargs)


def optimizer_to_keras(optimizer) -> dict:
    entry = OPTIMIZERS.get(type(optimizer).__name__)
    if entry is None or entry.numcnn() is not type(optimizer):
        raise invalid("optimizer", f"an optimizer Keras has ({', '.join(OPTIMIZERS)})", type(optimizer).__name__)
    convert = {"learning_rate": lambda lr: lr if isinstance(lr, (int, float)) else schedule_to_keras(lr)}
    config = dict(optimizer.get_config())
    config["learning_rate"] = optimizer._learning_rate  # the number or schedule, not its variable
    return to_keras_spec(entry, config, convert)


# -- compile configs ---------------------------------------------------------------------------------------

_COMPILE_IGNORED = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


def _per_output(value, convert, what: str):
    """``convert`` applied to one spec, or to each of a list or a dict (by output name) of them."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_per_output(v, convert, what) if isinstance(v, list) else convert(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        if not all(isinstance(k, str) for k in value):
            raise invalid(what, "output names as keys", sorted(map(str, value)), TypeError)
        return {k: _per_output(v, convert, what) if isinstance(v, list) else convert(v) for k, v in value.items()}
    return convert(value)


def _weights(value):
    def number(w):
        if isinstance(w, bool) or not isinstance(w, (int, float)):
            raise invalid("loss_weights", "numbers in the compile config", w, TypeError)
        return w

    return _per_output(value, number, "loss_weights")


def _keras2_loss(spec):
    """Keras 2's loss objects say ``reduction='auto'``, which is Keras 3's ``'sum_over_batch_size'``."""
    if isinstance(spec, dict) and isinstance(spec.get("config"), dict) and spec["config"].get("reduction") == "auto":
        return {**spec, "config": {**spec["config"], "reduction": "sum_over_batch_size"}}
    return spec


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
    where = " in the compile config"
    spec = config.get(optimizer_key)
    optimizer = None if spec is None else optimizer_from_keras(spec, where, legacy=legacy)
    if config.get("loss") is None:
        raise invalid("loss", "a loss in the compile config", None)
    metrics, weighted = config.get("metrics"), config.get("weighted_metrics")
    if legacy:  # Keras 2 writes one list per output even for one output
        metrics, weighted = (
            m[0] if isinstance(m, list) and len(m) == 1 and isinstance(m[0], list) else m for m in (metrics, weighted)
        )
    for key, value in (("metrics", metrics), ("weighted_metrics", weighted)):
        if value is not None and not isinstance(value, (list, dict)):
            raise invalid(key, "a list or a dict in the compile config", value, TypeError)
    return {
        "optimizer": optimizer,
        "loss": _per_output(config["loss"], lambda s: loss_from_keras(_keras2_loss(s) if legacy else s, where), "loss"),
        "loss_weights": _weights(config.get("loss_weights")),
        "metrics": _per_output(metrics, lambda s: metric_from_keras(s, where), "metrics") or None,
        "weighted_metrics": _per_output(weighted, lambda s: metric_from_keras(s, where), "weighted_metrics") or None,
    }


def compile_to_keras(optimizer, loss, metrics=None, loss_weights=None, weighted_metrics=None) -> dict:
    """The ``compile_config`` Keras 3.15 writes for ``compile(optimizer, loss, metrics, …)`` given numcnn's
    objects, names and functions (one each, or a list / dict per output)."""
    return {
        "optimizer": None if optimizer is None else optimizer_to_keras(optimizer),
        "loss": _per_output(loss, loss_to_keras, "loss"),
        "loss_weights": _weights(loss_weights),
        "metrics": _per_output(metrics, metric_to_keras, "metrics") or None,
        "weighted_metrics": _per_output(weighted_metrics, metric_to_keras, "weighted_metrics") or None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }
