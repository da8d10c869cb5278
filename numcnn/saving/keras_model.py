"""The model level of a Keras ``config.json`` (or a legacy ``model_config``): Sequential or Functional.

:func:`model_spec` checks the outer object and returns a :class:`ModelSpec`: the layer specs (for
:func:`numcnn.saving.keras_config.layer_from_keras`, or a nested model's own config), and for a Functional
model its graph as plain tuples, for :mod:`numcnn.saving.keras_build` to wire. It builds nothing.

Keras 3 writes::

    {"module": "keras", "class_name": "Sequential", "registered_name": null,
     "config": {"name", "trainable", "dtype", "layers": [<InputLayer spec>, <layer spec>, …],
                "build_input_shape": [null, 28, 28, 1]},
     "build_config": {"input_shape": [null, 28, 28, 1]}, "compile_config": {…} or {}}

    {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
     "config": {"name", "trainable", "layers": [<spec + "name" + "inbound_nodes">, …],
                "input_layers": ["input_layer", 0, 0], "output_layers": ["dense", 0, 0]},
     "build_config": {"input_shape": null}, "compile_config": {…}}

where each ``inbound_nodes`` entry is one call of the layer, ``{"args": [<tensor> or [<tensor>, …]],
"kwargs": {}}`` (``{"training": true}`` for a call with a fixed mode, ``{"mask": null}`` for a nested model)
with ``<tensor> = {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [layer
name, node index, tensor index]}}``. ``input_layers``/``output_layers`` are one such triple for a single
input/output, else a list of them. A node index counts the layer's calls in this model from 0, except that
``input_layers``/``output_layers`` count a nested Functional's from 1 (Keras reserves 0 for the nested model's
own graph). Keras 2 writes the same without ``module`` (class ``Functional`` or ``Model``), with nodes as
``[[name, node, tensor, {kwargs}], …]`` and nested models' nodes counted from 1 everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from numcnn._checks import invalid, is_int

TensorRef = tuple[str, int, int]  # (layer name, node index, tensor index): Keras' keras_history
MODEL_CLASSES = ("Sequential", "Functional", "Model")


@dataclass(frozen=True)
class Call:
    """One call of a layer in a Functional graph: the tensors it reads (flattened, in order), whether it took
    them as a list (merge layers, several-input models) and its fixed ``training`` mode (``None``: the
    model's)."""

    inputs: list[TensorRef]
    as_list: bool
    training: bool | None = None


@dataclass
class ModelSpec:
    """``kind`` (``'Sequential'`` or ``'Functional'``), ``name``, ``trainable``, ``layers`` (the layer specs in
    the file's order; a nested model's spec is its whole config), ``inputs``/``outputs`` (Functional: the
    model's input and output tensors, node indices counted from 0), ``calls`` (Functional: layer name → its
    calls), ``build_shape`` (Sequential: the input shape with batch axis, or ``None``) and
    ``compile_config`` (``None`` when absent)."""

    kind: str
    name: str | None
    layers: list[dict]
    inputs: list[TensorRef] = field(default_factory=list)
    outputs: list[TensorRef] = field(default_factory=list)
    calls: dict[str, list[Call]] = field(default_factory=dict)
    build_shape: tuple | None = None
    compile_config: dict | None = None
    trainable: bool = True
    single_output: bool = True
    input_keys: list[str] | None = None
    output_keys: list[str] | None = None
    dtype: str | None = None


_KINDS = {"Sequential": "keras", "Functional": "keras.src.models.functional", "Model": "keras.src.models.functional"}


def _dict(value) -> dict:
    """``value`` if it is a dict, else an empty one (its keys are then reported missing, not crashed on)."""
    return value if isinstance(value, dict) else {}


def is_model_spec(spec) -> bool:
    """Whether a layer spec is a nested model's config."""
    return isinstance(spec, dict) and spec.get("class_name") in MODEL_CLASSES


def model_spec(config: dict, keras: bool = True) -> ModelSpec:
    """Check a Keras model config and return its :class:`ModelSpec`; ``ValueError`` naming the problem.

    ``keras=False`` reads numcnn's own configs (:mod:`numcnn.models.config`), which count every node from 0."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise invalid("config", "a Keras model config {'class_name': ..., 'config': {...}}", type(config).__name__)
    kind = config["class_name"]
    if kind not in _KINDS:
        raise invalid("model class_name", "'Sequential' or 'Functional' (numcnn loads no subclassed model)", kind)
    if config.get("registered_name") not in (None, kind) or config.get("module", _KINDS[kind]) not in _KINDS.values():
        raise invalid("model class", f"Keras' own {kind}", config.get("registered_name") or config.get("module"))
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise invalid("model config", "a dict with a 'layers' list", type(inner).__name__)
    for i, spec in enumerate(inner["layers"]):
        if not isinstance(spec, dict):
            raise invalid(f"layers[{i}]", "a layer spec dict", type(spec).__name__, TypeError)
    name = inner.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid("model name", "a string", name, TypeError)
    trainable = inner.get("trainable", True)
    if not isinstance(trainable, bool):
        raise invalid("trainable", "True or False", trainable, TypeError)
    compile_config = config.get("compile_config")
    if compile_config is not None and not isinstance(compile_config, dict):
        raise invalid("compile_config", "a dict", type(compile_config).__name__, TypeError)
    if kind == "Sequential":
        shape = inner.get("build_input_shape") or _dict(config.get("build_config")).get("input_shape")
        if shape is not None and not (isinstance(shape, list) and all(d is None or is_int(d) for d in shape)):
            raise invalid("build_input_shape", "a list [None, sizes…]", shape)
        from numcnn.saving.keras_objects import dtype_from_keras

        return ModelSpec(
            "Sequential",
            name,
            inner["layers"],
            build_shape=None if shape is None else tuple(shape),
            compile_config=compile_config,
            trainable=trainable,
            dtype=dtype_from_keras(inner.get("dtype"), f" of model {name!r}"),
        )
    classes, calls = {}, {}
    for spec in inner["layers"]:
        layer = spec.get("name", _dict(spec.get("config")).get("name"))
        if not isinstance(layer, str) or layer in classes:
            raise invalid("layer name", "a name unique in the model", layer)
        classes[layer] = spec.get("class_name")
    legacy = any(isinstance(call, list) for spec in inner["layers"] for call in spec.get("inbound_nodes") or [])
    for spec in inner["layers"]:
        layer = spec.get("name", _dict(spec.get("config")).get("name"))
        nodes = spec.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise invalid("inbound_nodes", f"a list for layer {layer!r}", nodes, TypeError)
        calls[layer] = [_call(node, layer, classes) for node in nodes]
    spec = ModelSpec("Functional", name, inner["layers"], calls=calls, compile_config=compile_config)
    spec.trainable = trainable
    shifted = () if not keras else MODEL_CLASSES if legacy else ("Functional", "Model")
    spec.inputs, spec.input_keys = _refs(inner.get("input_layers"), "input_layers", classes, shifted)
    spec.outputs, spec.output_keys = _refs(inner.get("output_layers"), "output_layers", classes, shifted)
    # Keras 2 writes a list even for one output, which Keras 3 then returns alone
    spec.single_output = _is_triple(inner.get("output_layers")) or (legacy and len(spec.outputs) == 1)
    for ref in (*spec.inputs, *spec.outputs, *(r for cs in calls.values() for c in cs for r in c.inputs)):
        if ref[0] not in classes:
            raise invalid("keras_history", f"a layer of the model ({', '.join(classes)})", ref[0])
    return spec


def _is_triple(value) -> bool:
    return isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str)


def _ref(value, what: str, classes: dict, shifted=()) -> TensorRef:
    if _is_triple(value) and all(is_int(v) and v >= 0 for v in value[1:3]):
        if len(value) == 4 and value[3] not in ({}, None):
            raise invalid(what, "a call without keyword arguments", value[3])
        node = int(value[1]) - (classes.get(value[0]) in shifted)
        if node < 0:
            raise invalid(what, f"a node index from 1 for the nested model {value[0]!r}", value)
        return (value[0], node, int(value[2]))
    raise invalid(what, "[layer name, node index, tensor index]", value)


def _refs(value, what: str, classes: dict, shifted) -> tuple[list[TensorRef], list[str] | None]:
    """The tensors of ``input_layers``/``output_layers`` in order, and the keys of a dict of them."""
    if _is_triple(value):
        return [_ref(value, what, classes, shifted)], None  # Keras 3 writes one triple for one tensor
    if isinstance(value, dict) and value and all(isinstance(k, str) and _is_triple(v) for k, v in value.items()):
        return [_ref(v, what, classes, shifted) for v in value.values()], list(value)
    if not isinstance(value, list) or not value or not all(_is_triple(v) for v in value):
        raise invalid(what, "a triple, a list or a dict of [layer name, node index, tensor index]", value)
    return [_ref(v, what, classes, shifted) for v in value], None


def _training(kwargs, what: str):
    if not isinstance(kwargs, dict):
        raise invalid(what, "a dict of call arguments", kwargs, TypeError)
    unknown = sorted(k for k, v in kwargs.items() if k not in ("training", "mask") or (k == "mask" and v is not None))
    if unknown:
        raise invalid(what, "calls with no arguments but training (numcnn's layers take no other)", unknown)
    training = kwargs.get("training")
    if training is not None and not isinstance(training, bool):
        raise invalid(what, "training=True, False or None", training, TypeError)
    return training


def _call(node, layer: str, classes: dict) -> Call:
    """One call of ``layer``: its input tensors in order (Keras 3 dict form or Keras 2 list form)."""
    what = f"inbound_nodes of layer {layer!r}"
    if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], …], nested models counted from 1
        refs = [_ref(v[:3] if _is_triple(v) else v, what, classes, MODEL_CLASSES) for v in node]
        kwargs = {} if not node or not _is_triple(node[0]) or len(node[0]) < 4 else node[0][3] or {}
        return Call(refs, len(refs) > 1, _training(kwargs, what))
    if not isinstance(node, dict) or set(node) - {"args", "kwargs"}:
        raise invalid(what, "{'args': [...], 'kwargs': {...}}", node)
    training = _training(node.get("kwargs") or {}, what)
    args = node.get("args") or []
    if not isinstance(args, list) or len(args) != 1:
        raise invalid(what, "one argument (a tensor or a list of tensors)", args)
    as_list = isinstance(args[0], list)
    refs = []
    for tensor in args[0] if as_list else args:
        if not isinstance(tensor, dict) or tensor.get("class_name") != "__keras_tensor__":
            raise invalid(what, "Keras tensors as arguments", tensor)
        refs.append(_ref(_dict(tensor.get("config")).get("keras_history"), what, classes))
    return Call(refs, as_list, training)
