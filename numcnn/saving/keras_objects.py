"""The objects inside Keras layer configs ↔ numcnn's: dtype policies, activations, initializers, regularizers
and constraints, each family a table of :class:`~numcnn.saving._keras_table.Entry` (one line a class).

``*_from_keras(spec, where='')`` reads Keras' nested form (or a name, which Keras also accepts) and returns
numcnn's object; ``*_to_keras(obj)`` writes what Keras 3.15 writes. ``CONVERTERS``/``TO_KERAS`` give the
layer tables one converter per family.
"""

from __future__ import annotations

from numcnn import activations, constraints, initializers, regularizers
from numcnn._checks import invalid
from numcnn.saving._keras_table import Entry, find, lookup, to_keras_spec
from numcnn.saving._keras_table import arguments as _arguments

# -- dtype policies ----------------------------------------------------------------------------------------


def dtype_from_keras(value, where: str = ""):
    """``'float32'`` from Keras' ``{"class_name": "DTypePolicy", "config": {"name": "float32"}}`` or a string."""
    if isinstance(value, dict):
        if (
            value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy")
            or value.get("module", "keras") != "keras"
        ):
            raise invalid("dtype", f"a Keras DTypePolicy{where}", value.get("class_name"))
        config = value.get("config")
        value = config.get("name") if isinstance(config, dict) else None
    if value is not None and not isinstance(value, str):
        raise invalid("dtype", f"a dtype name{where}", value, TypeError)
    if isinstance(value, str) and value.startswith("mixed_"):
        raise invalid("dtype", f"'float32' or 'float64'{where} (numcnn has no mixed precision)", value)
    return value


def dtype_to_keras(name) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(name)}, "registered_name": None}


# -- activations -------------------------------------------------------------------------------------------


def activation_from_keras(value, where: str = "") -> str:
    """numcnn's activation name from Keras' ``'relu'`` or ``{"class_name": "function", "config": "relu"}``."""
    if isinstance(value, dict) and value.get("class_name") == "function" and value.get("module") == "builtins":
        value = value.get("config")
    if value is None:
        return "linear"
    if not isinstance(value, str):
        raise invalid("activation", f"an activation name{where}", value, TypeError)
    try:
        return activations.get(value).name
    except (ValueError, TypeError):
        raise invalid("activation", f"an activation numcnn has{where}", value) from None


def activation_to_keras(value) -> str:
    return value if isinstance(value, str) else value.name


# -- initializers, regularizers, constraints ----------------------------------------------------------------


def _family(module: str, source: str, *entries: tuple) -> dict[str, Entry]:
    """A table of ``(class_name, Keras' config keys in order, Keras-only arguments)`` rows."""
    table = {}
    for name, order, *keras_only in entries:
        table[name] = Entry(name, module, find(source, name), tuple(order), keras_only[0] if keras_only else {})
    return table


_AXES = {"input_axes": (None,), "output_axes": (None,)}  # Keras 3.15's fan axes; numcnn: Keras' default fans
_SCALING = ("seed", "input_axes", "output_axes")
INITIALIZERS = _family(
    "keras.initializers",
    "numcnn.initializers",
    *((name, _SCALING, _AXES) for name in ("GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform")),
    *((name, _SCALING, _AXES) for name in ("LecunNormal", "LecunUniform")),
    ("Zeros", ()),
    ("Ones", ()),
    ("Constant", ("value",)),
    ("RandomNormal", ("seed", "mean", "stddev")),
    ("RandomUniform", ("seed", "minval", "maxval")),
    ("TruncatedNormal", ("seed", "mean", "stddev")),
    ("VarianceScaling", ("seed", "scale", "mode", "distribution", "input_axes", "output_axes"), _AXES),
    ("Orthogonal", ("seed", "gain")),
    ("Identity", ("gain",)),
)
REGULARIZERS = _family(
    "keras.regularizers",
    "numcnn.regularizers",
    ("L1", ("l1",)),
    ("L2", ("l2",)),
    ("L1L2", ("l1", "l2")),
    ("OrthogonalRegularizer", ("factor", "mode")),
)
CONSTRAINTS = _family(
    "keras.constraints",
    "numcnn.constraints",
    ("MaxNorm", ("max_value", "axis")),
    ("NonNeg", ()),
    ("UnitNorm", ("axis",)),
    ("MinMaxNorm", ("min_value", "max_value", "rate", "axis")),
)
# Keras' string names of these (``kernel_regularizer='l2'``), read as Keras resolves them.
_NAMES = {
    "initializer": {"normal": "RandomNormal", "uniform": "RandomUniform", "zero": "Zeros", "one": "Ones"},
    "regularizer": {
        "l1": "L1",
        "l2": "L2",
        "l1l2": "L1L2",
        "l1_l2": "L1L2",
        "orthogonal_regularizer": "OrthogonalRegularizer",
    },
    "constraint": {"max_norm": "MaxNorm", "non_neg": "NonNeg", "unit_norm": "UnitNorm", "min_max_norm": "MinMaxNorm"},
}
_GET = {"initializer": initializers.get, "regularizer": regularizers.get, "constraint": constraints.get}
_TABLES = {"initializer": INITIALIZERS, "regularizer": REGULARIZERS, "constraint": CONSTRAINTS}


def _object_from_keras(family: str, spec, where: str):
    if spec is None:
        return None
    table = _TABLES[family]
    if isinstance(spec, str):
        camel = "".join(part.capitalize() for part in spec.split("_"))
        spec = {"class_name": _NAMES[family].get(spec, camel if camel in table else spec)}
    entry, config = lookup(table, spec, family, where)
    return _GET[family](entry.numcnn()(**_arguments(entry, config, f"{entry.keras}{where}", {})))


def _object_to_keras(family: str, obj) -> dict | None:
    if obj is None:
        return None
    obj = _GET[family](obj)
    entry = _TABLES[family].get(type(obj).__name__)
    if entry is None or entry.numcnn() is not type(obj):
        raise invalid(family, f"a {family} Keras has ({', '.join(_TABLES[family])})", type(obj).__name__, TypeError)
    return to_keras_spec(entry, obj.get_config(), {})


def initializer_from_keras(spec, where: str = ""):
    """A numcnn initializer from Keras' nested form or a name (``'glorot_uniform'``); ``None`` stays ``None``."""
    return _object_from_keras("initializer", spec, where)


def initializer_to_keras(initializer) -> dict | None:
    return _object_to_keras("initializer", initializer)


def regularizer_from_keras(spec, where: str = ""):
    """A numcnn regularizer from Keras' nested form or a name (``'l2'``); ``None`` stays ``None``."""
    return _object_from_keras("regularizer", spec, where)


def regularizer_to_keras(regularizer) -> dict | None:
    return _object_to_keras("regularizer", regularizer)


def constraint_from_keras(spec, where: str = ""):
    """A numcnn constraint from Keras' nested form or a name (``'max_norm'``); ``None`` stays ``None``."""
    return _object_from_keras("constraint", spec, where)


def constraint_to_keras(constraint) -> dict | None:
    return _object_to_keras("constraint", constraint)


CONVERTERS = {
    "initializer": initializer_from_keras,
    "regularizer": regularizer_from_keras,
    "constraint": constraint_from_keras,
    "activation": activation_from_keras,
    "dtype": dtype_from_keras,
}
TO_KERAS = {
    "initializer": initializer_to_keras,
    "regularizer": regularizer_to_keras,
    "constraint": constraint_to_keras,
    "activation": activation_to_keras,
    "dtype": dtype_to_keras,
}
