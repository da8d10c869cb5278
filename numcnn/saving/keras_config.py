"""Keras 3 layer configs ↔ numcnn layers.

``layer_from_keras(spec)`` builds the numcnn layer a Keras layer spec describes (unbuilt: the caller compares
the file's weight shapes before allocating any) and ``layer_to_keras(layer)`` writes the spec Keras 3.15
writes, with Keras' defaults for what numcnn does not model. The rules for classes and arguments are in
:mod:`numcnn.saving._keras_table`, the nested objects (initializers, regularizers, …) in
:mod:`numcnn.saving.keras_objects`.

Adding a layer is one line in ``LAYERS``: ``_layer("Name")``, plus ``build_config=True`` when Keras records
one for it (a layer whose ``build`` Keras overrides) and ``keras_only`` for Keras arguments numcnn's class does
not take. Entries for classes numcnn does not have yet refuse them by name until the class exists.
"""

from __future__ import annotations

from numcnn import layers as numcnn_layers
from numcnn._checks import invalid
from numcnn.saving._keras_table import Entry, find, lookup, to_keras_spec
from numcnn.saving._keras_table import arguments as _arguments
from numcnn.saving.keras_objects import CONVERTERS, TO_KERAS


def _off(*names) -> dict:
    """Arguments accepted only when absent in Keras' sense (``None``): regularizers, constraints, …"""
    return {name: (None,) for name in names}


def _layer(keras: str, build_config: bool = False, keras_only=None, fill=None, nested=None, drop=()) -> Entry:
    return Entry(
        keras,
        "keras.layers",
        find("numcnn.layers", keras),
        keras_only=keras_only or {},
        nested=nested or {},
        build_config=build_config,
        fill=fill or {},
        infer=True,
        drop=("input_shape", *drop),
        accept={"lora_rank": (None,), "lora_alpha": (None,)},
    )


# Keras' SpatialDropout configs hold the dtype as a plain name and no "trainable"
_PLAIN = {"nested": {"dtype": None}, "drop": ("trainable",)}


_REG = _off("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint")
_CONV = {**_REG, "activity_regularizer": (None,)}
_DEPTHWISE = _off("depthwise_regularizer", "bias_regularizer", "activity_regularizer")
_DEPTHWISE |= _off("depthwise_constraint", "bias_constraint")
_NORM = _off("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")
_RANDOM = {"fill_value": (0.0,), "interpolation": ("bilinear",)}

LAYERS = {
    e.keras: e
    for e in (
        Entry(
            "InputLayer",
            "keras.layers",
            find("numcnn.layers", "InputLayer"),
            ("batch_shape", "dtype", "sparse", "ragged", "name", "optional"),
            {"sparse": (False,), "ragged": (False,), "optional": (False,)},
        ),
        # the layers on main
        _layer("Conv2D", True, {"dilation_rate": ([1, 1], 1), "groups": (1,), **_CONV}),
        _layer("Dense", True, {**_REG, "quantization_config": (None,)}),
        _layer("MaxPooling2D"),
        _layer("AveragePooling2D"),
        _layer("GlobalAveragePooling2D"),
        _layer("GlobalMaxPooling2D"),
        _layer("Flatten", True),
        _layer(
            "BatchNormalization",
            True,
            {**_NORM, "synchronized": (False,), "renorm": (False,), "renorm_clipping": (None,)}
            | {"renorm_momentum": (0.99,)},
        ),
        _layer("Dropout", fill={"noise_shape": None}),
        _layer("Activation"),
        _layer("Reshape"),
        _layer("ZeroPadding2D", True),
        # merge layers
        *(_layer(name, True) for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")),
        _layer("Concatenate", True),
        # activation layers
        _layer("ReLU"),
        _layer("LeakyReLU"),
        _layer("PReLU", True, _off("alpha_regularizer", "alpha_constraint")),
        _layer("ELU"),
        _layer("Softmax"),
        # preprocessing and augmentation
        _layer("Rescaling", True),
        _layer(
            "Resizing",
            True,
            {"pad_to_aspect_ratio": (False,), "antialias": (False,), "fill_mode": ("constant",), "fill_value": (0.0,)},
        ),
        _layer("Normalization", True),
        _layer("RandomFlip", True),
        _layer("RandomTranslation", True, _RANDOM),
        _layer("RandomRotation", True, _RANDOM),
        _layer("RandomZoom", True, _RANDOM),
        _layer("RandomContrast", True, {"value_range": ([0, 255],)}),
        _layer("RandomBrightness", True),
        _layer("RandomGrayscale", True, drop=("seed",)),
        _layer("RandomCrop", True),
        _layer("CenterCrop", True),
        # convolutions and resampling
        _layer("Conv2DTranspose", True, {"output_padding": (None,), "dilation_rate": ([1, 1], 1), **_CONV}),
        _layer("UpSampling2D", True),
        _layer("DepthwiseConv2D", True, {"dilation_rate": ([1, 1], 1), **_DEPTHWISE}),
        _layer("SeparableConv2D", True, {"dilation_rate": ([1, 1], 1)}),
        _layer("Conv1D", True, {"dilation_rate": ([1], 1), "groups": (1,), **_CONV}),
        _layer("MaxPooling1D"),
        _layer("AveragePooling1D"),
        _layer("GlobalAveragePooling1D"),
        _layer("GlobalMaxPooling1D"),
        # regularization and shape
        _layer("SpatialDropout1D", **_PLAIN),
        _layer("SpatialDropout2D", **_PLAIN),
        _layer("GaussianNoise"),
        _layer("GaussianDropout"),
        _layer("LayerNormalization", True, {"rms_scaling": (False,), **_NORM}),
        _layer("Cropping2D", True),
        _layer("Permute", True),
        _layer("RepeatVector", True),
        _layer("ZeroPadding1D", True),
        _layer("Cropping1D", True),
        # Keras builds these three at construction, so their specs have no build_config
        _layer("Identity"),
        _layer("ActivityRegularization"),
        _layer("UnitNormalization"),
        _layer("UpSampling1D", True),
        _layer("GroupNormalization", True, _NORM),
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
    anyway = ("batch_input_shape", "activity_regularizer")
    return entry.numcnn()(**_arguments(entry, config, label, CONVERTERS, accepted_anyway=anyway))


def _input_layer(entry: Entry, config: dict, label: str):
    config = dict(config)
    shape = config.pop("batch_shape", None)
    legacy = config.pop("batch_input_shape", None)  # Keras 2's name
    shape = legacy if shape is None else shape
    if not isinstance(shape, list) or len(shape) < 2:
        raise invalid("batch_shape", f"a list [batch, *sizes] for {label}", shape)
    kwargs = _arguments(entry, config, label, CONVERTERS)
    return numcnn_layers.InputLayer(shape=tuple(shape[1:]), batch_size=shape[0], **kwargs)


def keras_build_shape(spec: dict):
    """The ``build_config`` input shape of a Keras layer spec (``(None, 28, 28, 1)``, a list of such for a
    merge layer), or ``None``."""
    build = spec.get("build_config")
    if build is None:
        return None
    shape = build.get("input_shape") if isinstance(build, dict) else None

    def sizes(s) -> bool:
        return isinstance(s, list) and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in s
        )

    if shape is None:
        return None
    if sizes(shape):
        return tuple(shape)
    if isinstance(shape, list) and shape and all(sizes(s) for s in shape):
        return [tuple(s) for s in shape]
    raise invalid("build_config", "{'input_shape': [None, sizes…]}", build)


def layer_to_keras(layer) -> dict:
    """The Keras 3.15 spec of a numcnn layer: ``{"module", "class_name", "config", "registered_name"}`` plus
    ``"build_config"`` where Keras records one (Conv2D, Dense, BatchNormalization, Flatten, …) and the
    layer is built."""
    entry = LAYERS.get(type(layer).__name__)
    if entry is None or entry.numcnn() is not type(layer):
        known = ", ".join(k for k, e in LAYERS.items() if e.numcnn() is not None)
        raise invalid("layer", f"a layer class Keras has ({known})", type(layer).__name__, TypeError)
    if entry.keras == "InputLayer":
        batch = [layer.batch_size, *layer.shape]
        config = {"batch_shape": batch, "dtype": layer.input_dtype, "name": layer.name}
        return to_keras_spec(entry, config, {})
    spec = to_keras_spec(entry, layer.get_config(), TO_KERAS)
    if entry.build_config and layer.built:
        shape = layer.input_shape
        spec["build_config"] = {"input_shape": [list(s) for s in shape] if layer.takes_list else list(shape)}
    return spec
