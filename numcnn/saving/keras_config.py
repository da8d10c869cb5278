"""Keras 3 layer configs ↔ numcnn layers, with their initializers, activations and dtype policies.

``layer_from_keras(spec)`` builds the numcnn layer a Keras layer spec describes (unbuilt: the caller
compares the file's weight shapes before allocating any) and ``layer_to_keras(layer)`` writes the spec
Keras 3.15 writes, with Keras' defaults for what numcnn does not model. The rules for classes and
arguments are in :mod:`numcnn.saving._keras_table`; adding a layer is one entry in ``LAYERS``.
"""

from __future__ import annotations

from numcnn import activations, initializers
from numcnn import layers as numcnn_layers
from numcnn._checks import invalid
from numcnn.saving._keras_table import Entry, _find, arguments, lookup, to_keras_spec

# -- dtype policies, activations, initializers ------------------------------------------------------------


def dtype_from_keras(value, where: str = ""):
    """``'float32'`` from Keras' ``{"class_name": "DTypePolicy", "config": {"name": "float32"}}`` or a string."""
    if isinstance(value, dict):
        if (
            value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy")
            or value.get("module", "keras") != "keras"
        ):
            raise invalid("dtype", f"a Keras DTypePolicy{where}", value.get("class_name"))
        value = (value.get("config") or {}).get("name")
    if value is not None and not isinstance(value, str):
        raise invalid("dtype", f"a dtype name{where}", value, TypeError)
    if isinstance(value, str) and value.startswith("mixed_"):
        raise invalid("dtype", f"'float32' or 'float64'{where} (numcnn has no mixed precision)", value)
    return value


def dtype_to_keras(name) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(name)}, "registered_name": None}


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


_SEEDED = {"input_axes": (None,), "output_axes": (None,)}
_I = "numcnn.initializers"


def _init(keras: str, order: tuple[str, ...], keras_only=None) -> Entry:
    return Entry(keras, "keras.initializers", _find(_I, keras), order, keras_only or {})


INITIALIZERS = {
    e.keras: e
    for e in (
        *(
            _init(name, ("seed", "input_axes", "output_axes"), _SEEDED)
            for name in ("GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform")
        ),
        _init("Zeros", ()),
        _init("Ones", ()),
        _init("Constant", ("value",)),
        _init("RandomNormal", ("seed", "mean", "stddev")),
        _init("RandomUniform", ("seed", "minval", "maxval")),
        _init("TruncatedNormal", ("seed", "mean", "stddev")),
        _init("VarianceScaling", ("seed", "scale", "mode", "distribution", "input_axes", "output_axes"), _SEEDED),
        _init("Orthogonal", ("seed", "gain")),
        _init("Identity", ("gain",)),
    )
}


def initializer_from_keras(spec, where: str = ""):
    """A numcnn initializer from Keras' nested form (or a name such as ``'glorot_uniform'``)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"class_name": "".join(part.capitalize() for part in spec.split("_"))}
    entry, config = lookup(INITIALIZERS, spec, "initializer", where)
    return initializers.get(entry.numcnn()(**arguments(entry, config, f"{entry.keras}{where}", CONVERTERS)))


def initializer_to_keras(initializer) -> dict:
    initializer = initializers.get(initializer)
    entry = INITIALIZERS[type(initializer).__name__]
    return to_keras_spec(entry, initializer.get_config(), {})


CONVERTERS = {
    "initializer": initializer_from_keras,
    "activation": activation_from_keras,
    "dtype": dtype_from_keras,
}
TO_KERAS = {"initializer": initializer_to_keras, "activation": activation_to_keras, "dtype": dtype_to_keras}


# -- layers ---------------------------------------------------------------------------------------------

_L = "numcnn.layers"
_COMMON = ("name", "trainable", "dtype")
_ACTIVATED = {"dtype": "dtype", "activation": "activation"}
_KERNEL = {**_ACTIVATED, "kernel_initializer": "initializer", "bias_initializer": "initializer"}


def _off(*names) -> dict:
    """Regularizers, constraints and the like: accepted only when absent (``None``)."""
    return {name: (None,) for name in names}


def _layer(keras, order, keras_only=None, nested=None, build_config=False, fill=None) -> Entry:
    nested = {"dtype": "dtype", **(nested or {})}
    return Entry(
        keras, "keras.layers", _find(_L, keras), (*_COMMON, *order), keras_only or {}, nested, build_config, fill or {}
    )


_POOL = ("pool_size", "padding", "strides", "data_format")
_KERNEL_OFF = _off(
    "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"
)
LAYERS = {
    e.keras: e
    for e in (
        Entry(
            "InputLayer",
            "keras.layers",
            _find(_L, "InputLayer"),
            ("batch_shape", "dtype", "sparse", "ragged", "name", "optional"),
            {"sparse": (False,), "ragged": (False,), "optional": (False,)},
        ),
        _layer(
            "Conv2D",
            (
                "filters",
                "kernel_size",
                "strides",
                "padding",
                "data_format",
                "dilation_rate",
                "groups",
                "activation",
                "use_bias",
                "kernel_initializer",
                "bias_initializer",
                *_KERNEL_OFF,
            ),
            {"dilation_rate": ([1, 1], 1), "groups": (1,), **_KERNEL_OFF},
            _KERNEL,
            build_config=True,
        ),
        _layer(
            "Dense",
            (
                "units",
                "activation",
                "use_bias",
                "kernel_initializer",
                "bias_initializer",
                "kernel_regularizer",
                "bias_regularizer",
                "kernel_constraint",
                "bias_constraint",
                "quantization_config",
            ),
            {**_KERNEL_OFF, **_off("quantization_config", "lora_rank", "lora_alpha")},
            _KERNEL,
            build_config=True,
        ),
        _layer("MaxPooling2D", _POOL),
        _layer("AveragePooling2D", _POOL),
        _layer("GlobalAveragePooling2D", ("data_format", "keepdims")),
        _layer("GlobalMaxPooling2D", ("data_format", "keepdims")),
        _layer("Flatten", ("data_format",), build_config=True),
        _layer(
            "BatchNormalization",
            (
                "axis",
                "momentum",
                "epsilon",
                "center",
                "scale",
                "beta_initializer",
                "gamma_initializer",
                "moving_mean_initializer",
                "moving_variance_initializer",
                "beta_regularizer",
                "gamma_regularizer",
                "beta_constraint",
                "gamma_constraint",
                "synchronized",
                "renorm",
                "renorm_clipping",
                "renorm_momentum",
            ),
            {
                **_off(
                    "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "renorm_clipping"
                ),
                "synchronized": (False,),
                "renorm": (False,),
                "renorm_momentum": (0.99,),
            },
            {
                k: "initializer"
                for k in (
                    "beta_initializer",
                    "gamma_initializer",
                    "moving_mean_initializer",
                    "moving_variance_initializer",
                )
            },
            build_config=True,
        ),
        _layer("Dropout", ("rate", "seed", "noise_shape"), fill={"noise_shape": None}),
        _layer("Activation", ("activation",), nested={"activation": "activation"}),
        _layer("Reshape", ("target_shape",)),
        _layer("ZeroPadding2D", ("padding", "data_format"), build_config=True),
        _layer("Add", (), build_config=True),
    )
}
# Spec keys besides "config": Keras 3 adds name and inbound_nodes to a Functional's layers.
_SPEC_KEYS = {"module", "class_name", "config", "registered_name", "build_config", "name", "inbound_nodes"}


def layer_from_keras(spec: dict):
    """The numcnn layer (unbuilt) that a Keras 3 (or Keras 2 ``model_config``) layer spec describes.

    Raises ``ValueError``/``TypeError`` naming the layer and the class or argument numcnn lacks. Build it
    with :func:`keras_build_shape` once the caller has checked the file's weights against it.
    """
    name = (
        spec.get("config", {}).get("name") if isinstance(spec, dict) and isinstance(spec.get("config"), dict) else None
    )
    where = f" in layer {name!r}" if isinstance(name, str) else ""
    entry, config = lookup(LAYERS, spec, "layer", where)
    extra = sorted(set(spec) - _SPEC_KEYS)
    if extra:
        raise invalid("layer spec", f"only the keys {sorted(_SPEC_KEYS)}{where}", extra)
    label = f"layer {name!r} ({entry.keras})" if isinstance(name, str) else f"a {entry.keras} layer"
    if entry.keras == "InputLayer":
        return _input_layer(entry, config, label)
    # Keras 2 puts batch_input_shape on a Sequential's first layer; numcnn's layers take it too.
    return entry.numcnn()(**arguments(entry, config, label, CONVERTERS, accepted_anyway=("batch_input_shape",)))


def _input_layer(entry: Entry, config: dict, label: str):
    config = dict(config)
    shape = config.pop("batch_shape", None)
    legacy = config.pop("batch_input_shape", None)  # Keras 2's name
    shape = legacy if shape is None else shape
    if not isinstance(shape, list) or len(shape) < 2:
        raise invalid("batch_shape", f"a list [batch, *sizes] for {label}", shape)
    kwargs = arguments(entry, config, label, CONVERTERS)
    return numcnn_layers.InputLayer(shape=tuple(shape[1:]), batch_size=shape[0], **kwargs)


def keras_build_shape(spec: dict) -> tuple | None:
    """The ``build_config`` input shape of a Keras layer spec (``(None, 28, 28, 1)``), or ``None``."""
    build = spec.get("build_config")
    if build is None:
        return None
    shape = build.get("input_shape") if isinstance(build, dict) else None
    ok = isinstance(shape, list) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape
    )
    if not ok and not (isinstance(shape, list) and all(isinstance(s, list) for s in shape)):
        raise invalid("build_config", "{'input_shape': [None, sizes…]}", build)
    return tuple(tuple(s) for s in shape) if shape and isinstance(shape[0], list) else tuple(shape)


def layer_to_keras(layer) -> dict:
    """The Keras 3.15 spec of a numcnn layer: ``{"module", "class_name", "config", "registered_name"}`` plus
    ``"build_config"`` where Keras records one (Conv2D, Dense, BatchNormalization, Flatten, …) and the
    layer is built."""
    entry = LAYERS.get(type(layer).__name__)
    if entry is None or entry.numcnn() is not type(layer):
        raise invalid("layer", f"a layer class Keras has ({', '.join(LAYERS)})", type(layer).__name__, TypeError)
    if entry.keras == "InputLayer":
        batch = [layer.batch_size, *layer.shape]
        config = {"batch_shape": batch, "dtype": layer.dtype.name, "name": layer.name}
        return to_keras_spec(entry, config, TO_KERAS)
    spec = to_keras_spec(entry, layer.get_config(), TO_KERAS)
    if entry.build_config and layer.built:
        spec["build_config"] = {"input_shape": list(layer.input_shape)}
    return spec
