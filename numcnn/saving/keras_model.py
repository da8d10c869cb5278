"""The model level of a Keras ``config.json`` (or a legacy ``model_config``): Sequential or Functional.

:func:`model_spec` checks the outer object and returns a :class:`ModelSpec`: the layer specs (for
:func:`numcnn.saving.keras_config.layer_from_keras`), and for a Functional model its graph as plain
tuples, for the graph engine to wire. It builds nothing.

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
"kwargs": {}}`` with ``<tensor> = {"class_name": "__keras_tensor__", "config": {"shape", "dtype",
"keras_history": [layer name, node index, tensor index]}}``. ``input_layers``/``output_layers`` are one
such triple for a single input/output, else a list of them. Keras 2 writes the same without ``module``
(class ``Functional`` or ``Model``), with nodes as ``[[name, node, tensor, {kwargs}], …]`` and
``input_layers`` always a list of triples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from numcnn._checks import invalid, is_int

TensorRef = tuple[str, int, int]  # (layer name, node index, tensor index): Keras' keras_history


@dataclass
class ModelSpec:
    """``kind`` (``'Sequential'`` or ``'Functional'``), ``name``, ``layers`` (the layer specs in the file's
    order), ``inputs``/``outputs`` (Functional: the model's input and output tensors), ``nodes`` (Functional:
    layer name → one list of input tensors per call of the layer), ``build_shape`` (Sequential: the input
    shape with batch axis, or ``None``) and ``compile_config`` (``None`` when absent)."""

    kind: str
    name: str | None
    layers: list[dict]
    inputs: list[TensorRef] = field(default_factory=list)
    outputs: list[TensorRef] = field(default_factory=list)
    nodes: dict[str, list[list[TensorRef]]] = field(default_factory=dict)
    build_shape: tuple | None = None
    compile_config: dict | None = None


_KINDS = {"Sequential": "keras", "Functional": "keras.src.models.functional", "Model": "keras.src.models.functional"}


def model_spec(config: dict) -> ModelSpec:
    """Check a Keras model config and return its :class:`ModelSpec`; ``ValueError`` naming the problem."""
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
    compile_config = config.get("compile_config")
    if compile_config is not None and not isinstance(compile_config, dict):
        raise invalid("compile_config", "a dict", type(compile_config).__name__, TypeError)
    if kind == "Sequential":
        shape = inner.get("build_input_shape") or (config.get("build_config") or {}).get("input_shape")
        if shape is not None and not (isinstance(shape, list) and all(d is None or is_int(d) for d in shape)):
            raise invalid("build_input_shape", "a list [None, sizes…]", shape)
        return ModelSpec(
            "Sequential",
            name,
            inner["layers"],
            build_shape=None if shape is None else tuple(shape),
            compile_config=compile_config,
        )
    nodes = {}
    for spec in inner["layers"]:
        layer = spec.get("name", (spec.get("config") or {}).get("name"))
        if not isinstance(layer, str) or layer in nodes:
            raise invalid("layer name", "a name unique in the model", layer)
        calls = spec.get("inbound_nodes", [])
        if not isinstance(calls, list):
            raise invalid("inbound_nodes", f"a list for layer {layer!r}", calls, TypeError)
        nodes[layer] = [_node(call, layer) for call in calls]
    spec = ModelSpec("Functional", name, inner["layers"], nodes=nodes, compile_config=compile_config)
    spec.inputs = _refs(inner.get("input_layers"), "input_layers")
    spec.outputs = _refs(inner.get("output_layers"), "output_layers")
    for ref in (*spec.inputs, *spec.outputs, *(r for calls in nodes.values() for call in calls for r in call)):
        if ref[0] not in nodes:
            raise invalid("keras_history", f"a layer of the model ({', '.join(nodes)})", ref[0])
    return spec


def _ref(value, what: str) -> TensorRef:
    if (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and all(is_int(v) and v >= 0 for v in value[1:3])
    ):
        if len(value) == 4 and value[3] not in ({}, None):
            raise invalid(what, "a call without keyword arguments", value[3])
        return (value[0], int(value[1]), int(value[2]))
    raise invalid(what, "[layer name, node index, tensor index]", value)


def _refs(value, what: str) -> list[TensorRef]:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [_ref(value, what)]  # Keras 3 writes one triple when there is one tensor
    if not isinstance(value, list) or not value:
        raise invalid(what, "a triple or a list of [layer name, node index, tensor index]", value)
    return [_ref(v, what) for v in value]


def _node(call, layer: str) -> list[TensorRef]:
    """The input tensors of one call, flattened in order (Keras 3 dict form or Keras 2 list form)."""
    what = f"inbound_nodes of layer {layer!r}"
    if isinstance(call, list):  # Keras 2: [[name, node, tensor, kwargs], …]
        return [_ref(v, what) for v in call]
    if not isinstance(call, dict) or set(call) - {"args", "kwargs"}:
        raise invalid(what, "{'args': [...], 'kwargs': {...}}", call)
    kwargs = call.get("kwargs") or {}
    if not isinstance(kwargs, dict) or any(v is not None for v in kwargs.values()):
        raise invalid(what, "calls without keyword arguments (numcnn's layers take none)", kwargs)
    out: list[TensorRef] = []
    for arg in call.get("args") or []:
        for tensor in arg if isinstance(arg, list) else [arg]:
            if not isinstance(tensor, dict) or tensor.get("class_name") != "__keras_tensor__":
                raise invalid(what, "Keras tensors as arguments", tensor)
            out.append(_ref((tensor.get("config") or {}).get("keras_history"), what))
    return out
