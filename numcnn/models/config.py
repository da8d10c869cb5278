"""A model's architecture as a JSON-able config, and the model rebuilt from one: ``model_config``,
``model_from_config``, ``to_json``/``model_from_json`` and ``clone_model``.

The schema is Keras 3's: ``{"class_name": "Sequential" | "Functional", "config": {...}}``. A Sequential lists its
layers; a functional model lists each layer with its ``inbound_nodes`` (per call, the tensors it read, as
``keras_history = [layer name, call index, output index]``) and names its ``input_layers`` and
``output_layers``. Class names resolve only through numcnn's fixed tables, so a config can name no code.
"""

from __future__ import annotations

import json

from numcnn import layers as layers_module
from numcnn._checks import invalid
from numcnn.saving import custom_objects as user_classes

_MAX_DEPTH = 32  # models nested in models, in a config read from a file


def _tensor_ref(tensor, node_index: dict) -> dict:
    node = tensor.node
    history = [node.layer.name, node_index.get(id(node), 0), tensor.index]
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": history},
    }


_OPERATION = "__operation__"  # an op that numcnn.ops recorded on tensors: its config names the op


def layer_config(layer) -> dict:
    """``{"class_name", "config"}`` of a layer, a nested model, or a recorded operation."""
    from numcnn.models.model import Model

    if isinstance(layer, Model):
        return model_config(layer)
    if getattr(layer, "is_operation", False):
        return {"class_name": _OPERATION, "config": layer.get_config()}
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _functional_config(model) -> dict:
    node_index, calls = {}, {}
    input_nodes = [t.node for t in model.inputs]
    for node in [*input_nodes, *model._nodes]:
        node_index[id(node)] = calls.get(id(node.layer), 0)
        calls[id(node.layer)] = node_index[id(node)] + 1
    entries = []
    for layer in model.operations:  # with the operations numcnn.ops recorded, which model.layers leaves out
        nodes = [n for n in [*input_nodes, *model._nodes] if n.layer is layer and not n.is_input]
        inbound = []
        for node in nodes:
            refs = [_tensor_ref(t, node_index) for t in node.inputs]
            kwargs = {} if node.training is None else {"training": node.training}
            inbound.append({"args": [refs] if node.as_list else refs, "kwargs": kwargs})
        entries.append({**layer_config(layer), "name": layer.name, "inbound_nodes": inbound})

    def refs(structure):
        if isinstance(structure, dict):
            return {k: refs(v) for k, v in structure.items()}
        if isinstance(structure, (list, tuple)):
            return [refs(v) for v in structure]
        return [structure.node.layer.name, node_index.get(id(structure.node), 0), structure.index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": entries,
        "input_layers": refs(model._inputs_struct),
        "output_layers": refs(model._outputs_struct),
    }


def model_config(model) -> dict:
    """``{"class_name": "Sequential" | "Functional", "config": {...}}`` of a model."""
    from numcnn.models.functional import Functional
    from numcnn.models.sequential import Sequential

    if isinstance(model, Sequential):
        return {"class_name": "Sequential", "config": model.get_config()}
    if isinstance(model, Functional):
        return {"class_name": "Functional", "config": _functional_config(model)}
    raise ValueError(
        f"The model '{model.name}' is a subclass of Model ({type(model).__name__}) whose architecture is Python "
        "code, not a config: save its weights with save_weights() and rebuild it in code"
    )


def _spec(spec, what="layer") -> dict:
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(
            f"Invalid {what} config: expected {{'class_name': str, 'config': dict}}. Received: {spec!r:.200}"
        )
    if not isinstance(spec.get("config", {}), dict):
        raise ValueError(f"Invalid {what} config: expected a dict under 'config'. Received: {spec!r:.200}")
    return spec


def layer_from_spec(spec, depth: int = 0):
    """A layer (or nested model, or recorded op) rebuilt from its ``{"class_name", "config"}`` entry in a model
    config; ``depth`` counts the models around it, so a file cannot nest without bound."""
    if spec["class_name"] in ("Sequential", "Functional", "Model"):
        return model_from_config(spec, depth + 1)
    if spec["class_name"] == _OPERATION:
        from numcnn.ops._trace import OPS, layer_class

        config = dict(spec.get("config", {}))
        return layer_class(OPS.lookup(config.get("op"))).from_config(config)
    custom = user_classes.find(spec["class_name"])
    if custom is not None:
        return _custom_layer(custom, spec)
    if spec["class_name"] not in layers_module._REGISTRY:
        raise ValueError(
            f"Unknown layer class_name={spec['class_name']!r} in the model config: numcnn rebuilds its own layers and "
            "the classes handed to it (load_model(..., custom_objects={'Name': Name}), custom_object_scope, or "
            "@register_keras_serializable)"
        )
    return layers_module.deserialize({"class_name": spec["class_name"], "config": spec.get("config", {})})


def _custom_layer(cls: type, spec: dict):
    """The user's class ``cls`` rebuilt with its ``from_config`` from the spec's config."""
    from numcnn.layers.base import Layer

    if not (issubclass(cls, Layer) and callable(getattr(cls, "from_config", None))):
        raise invalid("custom_objects", "Layer subclasses for the layers of a model", cls.__name__, TypeError)
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"Invalid model config: the config of {spec['class_name']!r} must be a dict")
    try:
        return cls.from_config(dict(config))
    except TypeError as err:  # its __init__ does not take what its get_config wrote
        raise ValueError(f"Cannot rebuild the custom layer {spec['class_name']!r} from its config: {err}") from None


def _sequential_from_config(config: dict, depth: int):
    from numcnn.models.sequential import Sequential

    if not isinstance(config.get("layers"), list):
        raise ValueError(f"Invalid model config: expected a dict with a 'layers' list. Received: {config!r:.200}")
    input_shape = config.get("input_shape")
    if input_shape is not None and not isinstance(input_shape, list):
        raise ValueError(
            f"Invalid model config: expected 'input_shape' a list of sizes. Received: {input_shape!r:.200}"
        )
    specs = [_spec(s) for s in config["layers"]]
    model = Sequential(name=config.get("name"))
    if input_shape is not None:
        model.add(layers_module.Input(shape=tuple(input_shape)))
    for spec in specs:
        model.add(layer_from_spec(spec, depth))
    return model


def _functional_from_config(config: dict, depth: int):
    from numcnn.models.functional import Functional

    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError(f"Invalid model config: expected a 'layers' list. Received: {config!r:.200}")
    made, outputs = {}, {}  # layer name -> layer; (name, call index) -> output tensors
    pending = []
    for entry in entries:
        _spec(entry)
        name = entry.get("name") or entry.get("config", {}).get("name")
        if not isinstance(name, str) or name in made:
            raise ValueError(f"Invalid model config: layer names must be unique strings. Received: {name!r}")
        layer = layer_from_spec(entry, depth)
        made[name] = layer
        if isinstance(layer, layers_module.InputLayer):
            outputs[(name, 0)] = [layer.output]
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ValueError(f"Invalid model config: 'inbound_nodes' of '{name}' must be a list")
        pending += [(name, i, node) for i, node in enumerate(nodes)]

    def tensor(ref):
        if isinstance(ref, dict) and ref.get("class_name") == "__keras_tensor__":
            ref = ref.get("config", {}).get("keras_history")
        if not (isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str)):
            raise ValueError(
                f"Invalid model config: a tensor reference must be [layer, call, output]. Received: {ref!r:.100}"
            )
        made_outputs = outputs.get((ref[0], ref[1]))
        return None if made_outputs is None or not 0 <= ref[2] < len(made_outputs) else made_outputs[ref[2]]

    while pending:  # a call can be made once every tensor it reads exists
        progress = []
        for name, i, node in pending:
            if not isinstance(node, dict) or not isinstance(node.get("args"), list):
                raise ValueError(f"Invalid model config: inbound node {i} of '{name}' must be {{'args', 'kwargs'}}")
            args = node["args"]
            as_list = (
                len(args) == 1 and isinstance(args[0], list) and not (len(args[0]) == 3 and isinstance(args[0][0], str))
            )
            refs = args[0] if as_list else args
            tensors = [tensor(r) for r in refs]
            if any(t is None for t in tensors):
                continue
            kwargs = node.get("kwargs") or {}
            unknown = sorted(set(kwargs) - {"training", "mask"})
            if unknown:
                raise ValueError(f"Invalid model config: call {i} of '{name}' has unsupported arguments {unknown}")
            result = made[name](tensors if as_list else tensors[0], training=kwargs.get("training"))
            outputs[(name, i)] = result if isinstance(result, list) else [result]
            progress.append((name, i, node))
        if not progress:
            names = sorted({name for name, _, _ in pending})
            raise ValueError(f"Invalid model config: the calls of {names} read tensors that no layer makes")
        pending = [p for p in pending if p not in progress]

    def resolve(structure):
        if isinstance(structure, dict):
            return {k: resolve(v) for k, v in structure.items()}
        if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
            found = tensor(structure)
            if found is None:
                raise ValueError(f"Invalid model config: no tensor {structure!r}")
            return found
        if isinstance(structure, list):
            return [resolve(v) for v in structure]
        raise ValueError(f"Invalid model config: bad input/output reference {structure!r:.100}")

    inputs, outs = resolve(config.get("input_layers")), resolve(config.get("output_layers"))
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outs, list) and len(outs) == 1:
        outs = outs[0]
    model = Functional(inputs, outs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model


def model_from_config(config, depth: int = 0, custom_objects=None):
    """Rebuild a model (fresh weights) from ``model_config`` output; also reads the plain Sequential config
    of numcnn's first file format."""
    if custom_objects:  # the public entry: the classes are found while this model is rebuilt
        with user_classes.CustomObjectScope(custom_objects):
            return model_from_config(config, depth)
    if depth > _MAX_DEPTH:
        raise ValueError(f"Invalid model config: models nested more than {_MAX_DEPTH} deep")
    if not isinstance(config, dict):
        raise ValueError(f"Invalid model config: expected a dict. Received: {config!r:.200}")
    if "class_name" not in config:  # numcnn's first format: a Sequential's get_config()
        return _sequential_from_config(config, depth)
    inner = config.get("config")
    if not isinstance(inner, dict):
        raise ValueError(f"Invalid model config: expected a dict under 'config'. Received: {inner!r:.200}")
    if config["class_name"] == "Sequential":
        return _sequential_from_config(inner, depth)
    if config["class_name"] in ("Functional", "Model"):
        return _functional_from_config(inner, depth)
    raise ValueError(f"Invalid model config: unknown model class {config['class_name']!r} (Sequential or Functional)")


def to_json(model, **kwargs) -> str:
    """The architecture as a JSON string (``json.dumps`` keyword arguments pass through)."""
    return json.dumps(model_config(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model rebuilt from ``to_json`` output (fresh weights)."""
    if not isinstance(json_string, (str, bytes)):
        raise invalid("json_string", "a JSON string", type(json_string).__name__, TypeError)
    try:
        config = json.loads(json_string)
    except (ValueError, RecursionError) as err:
        raise ValueError(
            f"Invalid value for argument 'json_string': expected JSON. Received: an error ({err})"
        ) from None
    return model_from_config(config, custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with fresh weights, as Keras' ``clone_model`` (layers rebuilt from
    their configs; ``clone_function`` maps each layer to its clone)."""
    if input_tensors is not None:
        raise invalid("input_tensors", "None (numcnn clones on fresh inputs)", input_tensors)
    if clone_function is None:
        return model_from_config(model_config(model))
    if not callable(clone_function):
        raise invalid("clone_function", "a function layer -> new layer", clone_function, TypeError)
    from numcnn.models.sequential import Sequential

    if isinstance(model, Sequential):
        clone = Sequential(name=model.name)
        if model._input_layer is not None:
            clone.add(layers_module.Input(shape=model._input_layer.shape))
        for layer in model.layers:
            clone.add(clone_function(layer))
        return clone
    raise invalid("clone_function", "None for a functional model", clone_function)
