"""Model configs (Keras' or numcnn's own) → numcnn models, planned before anything is allocated.

Loading a model file takes three steps, so that a file can never make numcnn allocate what it merely claims:

1. :func:`plan_model` walks the config (a :class:`~numcnn.saving.keras_model.ModelSpec`) with throwaway layers,
   building each for its input shapes with a recorder in place of ``add_weight`` that hands out zero-stride
   views of one number (no memory). That gives every layer's weights (names, shapes, order), every tensor's
   shape and Keras' weights-file path of every layer, and refuses impossible shapes, with nothing allocated;
2. the caller compares the planned shapes with the file's (HDF5 dataset shapes, ``.npy`` headers);
3. :func:`build_model` makes the model through numcnn's own classes (fixed tables only), and
   :func:`match_layers` pairs its layers with the plan, refusing a model laid out otherwise.

A container's layers are numbered as Keras numbers them in weights files (``layers/conv2d``,
``layers/conv2d_1``; a Sequential's InputLayer has no path, a Functional's do), nested models under their own
path (``layers/functional/layers/dense``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from numcnn._checks import check_allocation, format_shape, invalid
from numcnn.saving.keras_model import Call, ModelSpec, is_model_spec, model_spec
from numcnn.saving.keras_weights import keras_layer_paths

_INPUT = "InputLayer"


@dataclass
class Planned:
    """One layer (or nested model) of a container, as planned: ``name``, ``class_name``, ``path`` (its
    weights-file path), ``weights`` (a layer's ``(weight name, shape, trainable)`` in Keras' order: trainable
    ones first), ``children`` (a container's own layers, in Keras' order) and ``trainable`` (the layer's flag,
    False too inside a frozen model)."""

    name: str
    class_name: str
    path: str
    weights: list[tuple[str, tuple[int, ...], bool]] = field(default_factory=list)
    children: list[Planned] | None = None
    trainable: bool = True

    def leaves(self) -> list[Planned]:
        """The layers holding weights themselves, nested models opened, in weight order."""
        return [
            leaf
            for child in self.children or []
            for leaf in (child.leaves() if child.children is not None else [child])
        ]


def _dry_build(layer, input_shape) -> list[tuple[str, tuple[int, ...], bool]]:
    """Build a throwaway ``layer`` for ``input_shape`` without allocating its weights; return them in the
    layer's weight order (``params`` then ``state``, as ``layer.weights``), including any a build sets directly.

    A class of the user's (handed over as ``custom_objects``) is built for real: its build is their code, run
    on their say-so, and its weights may live outside ``params`` (a traced layer's ``add_weight``)."""
    if not type(layer).__module__.startswith("numcnn."):
        layer.ensure_built(input_shape)
        return [(w.name, tuple(w.shape), bool(w.trainable)) for w in layer.weights]

    def record(name, shape, initializer=None, trainable=True, regularizer=None, constraint=None):
        shape = tuple(int(d) for d in shape)
        check_allocation(
            f"Cannot create weight '{name}' of layer '{layer.name}' (its size arguments are too large for its input)",
            shape,
            8 + layer.dtype.itemsize,
        )
        if any(d < 0 for d in shape):
            raise invalid("input_shape", f"weights of non-negative sizes for layer '{layer.name}'", shape)
        # Writable, every element aliasing one number: a build may fill it, nothing is allocated.
        view = np.lib.stride_tricks.as_strided(np.zeros(1, layer.dtype), shape, (0,) * len(shape), writeable=True)
        (layer.params if trainable else layer.state)[name] = view
        return view

    layer.add_weight = record
    try:
        layer.ensure_built(input_shape)
    finally:
        del layer.add_weight
    return [(n, tuple(v.shape), True) for n, v in layer.params.items()] + [
        (n, tuple(v.shape), False) for n, v in layer.state.items()
    ]


def _name(layer_spec: dict):
    config = layer_spec.get("config")
    return layer_spec.get("name", config.get("name") if isinstance(config, dict) else None)


def _input_shape(layer) -> tuple:
    return (layer.batch_size, *layer.shape)


def _container_paths(spec: ModelSpec, prefix: str) -> list[str | None]:
    """Each layer spec's weights path (``None`` for a Sequential's InputLayer)."""
    owned = [s for s in spec.layers if spec.kind == "Functional" or s.get("class_name") != _INPUT]
    classes = ["Functional" if s.get("class_name") == "Model" else s.get("class_name") for s in owned]
    paths = iter(keras_layer_paths(classes, prefix=f"{prefix}layers"))
    return [next(paths) if spec.kind == "Functional" or s.get("class_name") != _INPUT else None for s in spec.layers]


def walk(spec: ModelSpec, run: Callable[[str, Call, list], list], produced: dict) -> None:
    """Make every call of a Functional's layers once the tensors it reads exist, as Keras does: layer after
    layer in the file's order, each layer's calls in order, round after round. ``run(layer name, call, inputs)``
    returns the call's outputs; ``produced`` maps ``(layer name, node index)`` to outputs (the caller puts the
    InputLayers' there) and receives every call's."""
    pending = {name: list(enumerate(calls)) for name, calls in spec.calls.items() if calls}
    while pending:
        progress = False
        for name in list(pending):
            queue = pending[name]
            while queue:
                index, call = queue[0]
                found = [produced.get((ref[0], ref[1])) for ref in call.inputs]
                if any(outs is None or ref[2] >= len(outs) for outs, ref in zip(found, call.inputs)):
                    break
                produced[(name, index)] = run(name, call, [outs[ref[2]] for outs, ref in zip(found, call.inputs)])
                queue.pop(0)
                progress = True
            if not queue:
                del pending[name]
        if not progress:
            raise ValueError(
                f"Invalid model config: the calls of {sorted(pending)} read tensors no layer makes (or loop)"
            )


def _outputs(spec: ModelSpec, produced: dict, refs) -> list:
    out = []
    for ref in refs:
        found = produced.get((ref[0], ref[1]))
        if found is None or ref[2] >= len(found):
            raise invalid("output_layers", "tensors the model's layers make", list(ref))
        out.append(found[ref[2]])
    return out


# -- 1. the plan ------------------------------------------------------------------------------------------


def plan_model(spec: ModelSpec, make_layer, prefix: str = "", input_shapes=None, name=None, spec_of=model_spec):
    """``(Planned container, output shapes)`` of a model spec, allocating nothing; ``make_layer(layer spec)``
    makes an unbuilt layer (:func:`~numcnn.saving.keras_config.layer_from_keras` for Keras files) and
    ``spec_of(config)`` the spec of a nested model. ``input_shapes``: the shapes a nested model is called on
    (``None`` at the top)."""
    root = Planned(name or spec.name or "", spec.kind, prefix.rstrip("/"), children=[])
    made, planned = [], []
    for layer_spec, path in zip(spec.layers, _container_paths(spec, prefix)):
        nested = is_model_spec(layer_spec)
        layer = None if nested else make_layer(layer_spec)
        entry = Planned(str(_name(layer_spec) if nested else layer.name), str(layer_spec.get("class_name")), path or "")
        entry.trainable = spec.trainable and (nested or layer.trainable)
        made.append(layer)
        planned.append(entry)
        if path is not None:
            root.children.append(entry)
    nested_outputs: dict[int, list] = {}

    def call_layer(i: int, inputs: list, as_list: bool) -> list:
        layer_spec, entry, layer = spec.layers[i], planned[i], made[i]
        if layer is None:  # a nested model: planned on its first call, its outputs reused after
            if i not in nested_outputs:
                inner = spec_of(layer_spec)
                if not entry.trainable:
                    inner.trainable = False
                sub, nested_outputs[i] = plan_model(inner, make_layer, f"{entry.path}/", inputs, entry.name, spec_of)
                entry.children, entry.trainable = sub.children, inner.trainable
            return nested_outputs[i]
        shapes = inputs if as_list else inputs[0]
        if layer.built:
            layer.check_input_shape(shapes)
            out = layer.compute_output_shape(shapes)
        else:
            entry.weights = _dry_build(layer, shapes)
            out = layer.output_shape
        return list(out) if isinstance(out, list) else [out]

    if spec.kind == "Sequential":
        outs = [_sequential_input(spec, made, input_shapes)]
        for i, layer_spec in enumerate(spec.layers):
            if layer_spec.get("class_name") != _INPUT:
                outs = call_layer(i, outs, False)
        return root, outs
    index = {_name(layer_spec): i for i, layer_spec in enumerate(spec.layers)}
    produced = {
        (_name(s), 0): [_input_shape(made[i])] for i, s in enumerate(spec.layers) if s.get("class_name") == _INPUT
    }
    walk(spec, lambda layer_name, call, inputs: call_layer(index[layer_name], inputs, call.as_list), produced)
    inputs = _outputs(spec, produced, spec.inputs)
    if input_shapes is not None:
        _check_call(spec, inputs, input_shapes)
    return root, _outputs(spec, produced, spec.outputs)


def _sequential_input(spec: ModelSpec, made: list, called_with):
    if any(s.get("class_name") == _INPUT for s in spec.layers[1:]):
        raise invalid("layers", f"an InputLayer only first in the Sequential model {spec.name!r}", _INPUT)
    first = spec.layers[0] if spec.layers else None
    if first is not None and first.get("class_name") == _INPUT:
        shape = _input_shape(made[0])
    elif spec.build_shape is not None:
        shape = spec.build_shape
    elif called_with is not None:
        shape = called_with[0]
    else:
        raise invalid("config", f"an input shape for the Sequential model {spec.name!r} (an InputLayer)", None)
    if called_with is not None:
        _check_call(spec, [shape], called_with)
    return tuple(shape)


def _check_call(spec: ModelSpec, inputs: list, shapes: list) -> None:
    if len(inputs) != len(shapes) or any(tuple(a[1:]) != tuple(b[1:]) for a, b in zip(inputs, shapes)):
        expected = ", ".join(format_shape(s) for s in inputs)
        received = ", ".join(format_shape(s) for s in shapes)
        raise invalid("inputs", f"tensors of shapes {expected} for the nested model {spec.name!r}", received)


# -- 3. the model ------------------------------------------------------------------------------------------


def build_model(spec: ModelSpec, make_layer):
    """The numcnn model a (planned and checked) spec describes, with freshly initialised weights."""
    from numcnn.models.functional import Functional
    from numcnn.models.sequential import Sequential

    made = [build_model(model_spec(s), make_layer) if is_model_spec(s) else make_layer(s) for s in spec.layers]
    if spec.kind == "Sequential":
        model = Sequential(name=spec.name, dtype=spec.dtype)
        for layer in made:
            model.add(layer)
        if not model.built and spec.build_shape is not None:
            model.build(spec.build_shape)
    else:
        by_name = {_name(s): layer for s, layer in zip(spec.layers, made)}
        produced = {(n, 0): [layer.output] for n, layer in by_name.items() if type(layer).__name__ == _INPUT}

        def run(layer_name, call, inputs):
            out = by_name[layer_name](inputs if call.as_list else inputs[0], training=call.training)
            return out if isinstance(out, list) else [out]

        walk(spec, run, produced)
        inputs, outputs = _outputs(spec, produced, spec.inputs), _outputs(spec, produced, spec.outputs)
        inputs = dict(zip(spec.input_keys, inputs)) if spec.input_keys else inputs if len(inputs) > 1 else inputs[0]
        outputs = dict(zip(spec.output_keys, outputs)) if spec.output_keys else outputs
        model = Functional(inputs, outputs[0] if spec.single_output else outputs, name=spec.name)
    if not spec.trainable:
        model.trainable = False
    return model


def match_layers(planned: Planned, model) -> list[tuple[Planned, object]]:
    """``(planned layer, the model's layer)`` for every leaf layer in weight order; ``ValueError`` when the
    model's layers (in numcnn's and Keras' order) are not the ones planned, in the planned order."""
    from numcnn.models.model import Model

    functional = planned.class_name in ("Functional", "Model")
    layers = [layer for layer in model.layers if functional or type(layer).__name__ != _INPUT]
    names = [layer.name for layer in layers]
    expected = [child.name for child in planned.children]
    if names != expected:
        raise ValueError(
            f"Invalid model config: the layers of model {planned.name!r} are listed as {expected}, but its graph "
            f"orders them {names} (numcnn, as Keras, numbers the weights by the graph's order)"
        )
    out, seen = [], set()
    for child, layer in zip(planned.children, layers):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out += match_layers(child, layer) if isinstance(layer, Model) else [(child, layer)]
    return out
