"""numcnn models → what Keras 3 writes for them: the ``config.json`` object and the weights' layout.

:func:`model_to_keras` gives Keras 3.15's config of a Sequential or functional model (nested models too):
each layer's spec (:func:`~numcnn.saving.keras_config.layer_to_keras`), a functional model's calls as
``inbound_nodes`` in Keras 3's form, and the ``compile_config``. :func:`weights_to_keras` gives the
:class:`~numcnn.saving.keras_weights.KerasWeights` of the model: each layer's weights under Keras' path for
it, and the optimizer's variables in Keras' order, so that Keras resumes training where numcnn stopped.
Layer names are numcnn's (Keras accepts any name without ``/``, unique in its model). A subclassed model,
whose architecture is Python code, is refused: save its weights instead.
"""

from __future__ import annotations

import warnings

import numpy as np

from numcnn._checks import invalid
from numcnn.saving.keras_compile import compile_to_keras
from numcnn.saving.keras_config import layer_to_keras
from numcnn.saving.keras_objects import dtype_to_keras
from numcnn.saving.keras_weights import KerasWeights, keras_layer_paths


def _kind(model) -> str:
    from numcnn.models.functional import Functional
    from numcnn.models.sequential import Sequential

    if isinstance(model, Sequential):
        return "Sequential"
    if isinstance(model, Functional):
        return "Functional"
    raise ValueError(
        f"The model '{model.name}' is a subclass of Model ({type(model).__name__}) whose architecture is Python "
        "code, not a config: save its weights with save_weights('….weights.h5') and rebuild it in code"
    )


def _check_names(model, layers) -> None:
    seen = set()
    for layer in [model, *layers]:
        if "/" in layer.name:
            raise invalid("name", f"a layer name without '/' (Keras refuses them) in model '{model.name}'", layer.name)
        if layer is not model and layer.name in seen:
            raise invalid(
                "name", f"layer names unique in model '{model.name}' (Keras refers to layers by name)", layer.name
            )
        seen.add(layer.name)


def _layer_spec(layer) -> dict:
    from numcnn.models.model import Model

    return model_to_keras(layer, compile_config=False) if isinstance(layer, Model) else layer_to_keras(layer)


def model_to_keras(model, compile_config: bool = True) -> dict:
    """The ``config.json`` object Keras 3.15 writes for ``model`` (with its ``compile_config``, ``{}`` when
    uncompiled or when ``compile_config`` is False, as Keras writes for a nested model)."""
    kind = _kind(model)
    model._require_built("save")
    recorded = [layer.name for layer in getattr(model, "operations", ()) if getattr(layer, "is_operation", False)]
    if recorded:
        raise ValueError(
            f"The model '{model.name}' holds numcnn.ops calls recorded on its tensors ({', '.join(recorded[:4])}), "
            "which numcnn does not write for Keras yet: use layers for them (Add, Multiply, Activation, …) or save "
            "to .npz"
        )
    if kind == "Sequential":
        _check_names(model, model.layers)
        first = model._input_layer
        shape = [first.batch_size, *first.shape]
        config = {
            "name": model.name,
            "trainable": model.trainable,
            "dtype": dtype_to_keras(model.dtype.name),
            "layers": [layer_to_keras(first), *(_layer_spec(layer) for layer in model.layers)],
            "build_input_shape": shape,
        }
        spec = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
        spec["build_config"] = {"input_shape": shape}
    else:
        _check_names(model, model.layers)
        spec = {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": _functional_config(model),
            "registered_name": "Functional",
            "build_config": {"input_shape": None},
        }
    spec["compile_config"] = _compile_config(model) if compile_config else {}
    return spec


def _functional_config(model) -> dict:
    from numcnn.models.functional import Functional
    from numcnn.models.model import Model

    input_nodes = [t.node for t in model.inputs]
    nodes = sorted([*input_nodes, *model._nodes], key=lambda n: n.serial)  # Keras numbers calls in creation order
    index, count = {}, {}
    for node in nodes:
        index[id(node)] = count.get(id(node.layer), 0)
        count[id(node.layer)] = index[id(node)] + 1

    def tensor(t) -> dict:
        history = [t.node.layer.name, index[id(t.node)], t.index]
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history},
        }

    def ref(t) -> list:
        # Keras counts a nested Functional's calls from 1 here (its node 0 is its own graph)
        return [t.node.layer.name, index[id(t.node)] + isinstance(t.node.layer, Functional), t.index]

    def refs(structure):
        if isinstance(structure, dict):
            return {key: ref(t) for key, t in structure.items()}
        return ref(structure) if not isinstance(structure, (list, tuple)) else [ref(t) for t in structure]

    layers = []
    for layer in model.layers:
        calls = []
        for node in (n for n in nodes if n.layer is layer and not n.is_input):
            args = [[tensor(t) for t in node.inputs]] if node.as_list else [tensor(t) for t in node.inputs]
            kwargs = {"mask": None} if isinstance(layer, Model) else {}  # as Keras writes a nested model's call
            if node.training is not None:
                kwargs["training"] = node.training
            calls.append({"args": args, "kwargs": kwargs})
        layers.append({**_layer_spec(layer), "name": layer.name, "inbound_nodes": calls})
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": refs(model._inputs_struct),
        "output_layers": refs(model._outputs_struct),
    }


def compile_settings(model) -> dict | None:
    """What ``model.compile`` was given (the optimizer object; losses, metrics and loss weights as given, one
    each or, for several outputs, a list in the outputs' order), or ``None`` when it is not compiled."""
    if not getattr(model, "compiled", False):
        return None
    compiled = model._compiled
    several = len(compiled.output_names) > 1

    def per_output(specs):
        return specs if several else specs[0]

    weights = compiled.loss_weights if any(w != 1.0 for w in compiled.loss_weights) else None
    return {
        "optimizer": model.optimizer,
        "loss": per_output(compiled.loss_specs),
        "metrics": per_output(compiled.metric_specs) if any(compiled.metric_specs) else None,
        "loss_weights": weights,
        "weighted_metrics": per_output(compiled.weighted_specs) if any(compiled.weighted_specs) else None,
    }


def _compile_config(model) -> dict:
    settings = compile_settings(model)
    return {} if settings is None else compile_to_keras(**settings)


def trainable_keys(model) -> list[str]:
    """The model's trainable parameter keys in Keras' ``trainable_variables`` order (the optimizer's order)."""
    return list(model.trainable_params()[0])


def planned_from_model(model):
    """``(Planned container, [(planned layer, layer)])`` of a built numcnn model: Keras' weights-file path of
    every layer and the weights each holds (as :func:`~numcnn.saving.keras_build.plan_model` gives for a
    config), and the layers holding weights themselves, in weight order. A layer met twice (shared between
    a model and a model inside it) has Keras' first path only, as Keras saves an object once. Subclassed
    models too: their weights have paths, only their architecture is code."""
    from numcnn.models.functional import Functional
    from numcnn.models.model import Model
    from numcnn.saving.keras_build import Planned

    seen: set[int] = set()
    pairs = []

    def visit(container, prefix: str, trainable: bool) -> Planned:
        # a subclassed model's weights are saved as Keras saves them: its layers, no InputLayer
        kind = "Functional" if isinstance(container, Functional) else "Sequential"
        root = Planned(container.name, kind, prefix.rpartition("/")[0], children=[], trainable=trainable)
        owned = [layer for layer in container.layers if kind == "Functional" or type(layer).__name__ != "InputLayer"]
        for layer, path in zip(owned, keras_layer_paths([type(layer).__name__ for layer in owned], prefix)):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if isinstance(layer, Model):
                root.children.append(visit(layer, f"{path}/layers", trainable and layer.trainable))
                continue
            weights = [(name, value.shape, True) for name, value in layer.params.items()]
            weights += [(name, value.shape, False) for name, value in layer.state.items()]
            child = Planned(layer.name, type(layer).__name__, path, weights, trainable=trainable and layer.trainable)
            root.children.append(child)
            pairs.append((child, layer))
        return root

    return visit(model, "layers", model.trainable), pairs


def weights_to_keras(model, optimizer: bool = True) -> KerasWeights:
    """Every layer's weights under Keras' path for it, and (``optimizer``) the optimizer's variables in
    Keras' order (``iteration``, ``learning_rate``, the slots), as numcnn holds them (float32, int64)."""
    planned, pairs = planned_from_model(model)
    out = KerasWeights(layers={}, names={"": model.name})

    def visit(container) -> None:
        for child in container.children:
            out.names[child.path] = child.name
            out.layers[child.path] = []
            if child.children is not None:
                visit(child)

    visit(planned)
    for child, layer in pairs:
        out.layers[child.path] = [np.array(w) for w in layer.weights]
    if optimizer and getattr(model, "optimizer", None) is not None:
        variables = optimizer_variables(model)
        out.optimizer = [array for _, array in variables]
        out.names["optimizer"] = model.optimizer.name
    return out


def optimizer_variables(model, stacklevel: int = 5) -> list[tuple[str, np.ndarray]]:
    """The compiled model's optimizer variables in Keras' order, named as Keras names them (``iteration``,
    ``learning_rate``, ``dense_kernel_momentum``, …; see ``Optimizer.variables_in_keras_order``).
    ``stacklevel``: where a warning points, the user's ``save`` call from the writer calling this."""
    try:
        return model.optimizer.variables_in_keras_order(trainable_keys(model))
    except ValueError as err:  # a layer made trainable after training: no state for its weights
        warnings.warn(
            f"The optimizer's state does not cover the model's trainable weights ({err}); only its step count "
            "and learning rate are saved, as Keras saves an optimizer that has not been built",
            UserWarning,
            stacklevel=stacklevel,
        )
        return model.optimizer.variables_in_keras_order([])


def legacy_model_config(spec: dict) -> dict:
    """The ``model_config`` Keras 3's legacy ``.h5`` writer records, from :func:`model_to_keras`'s spec.

    Keras writes it with its legacy serializer: each layer and model is ``{"class_name", "config"}`` (a
    Functional's layers keep their ``name`` and ``inbound_nodes``, in Keras 3's dict form), without
    ``module``, ``registered_name``, ``build_config`` or ``compile_config``; the objects nested in a layer's
    config (initializers, the dtype policy) keep Keras 3's full form."""

    def legacy(item: dict) -> dict:
        config = item["config"]
        if item["class_name"] in ("Sequential", "Functional"):
            config = {**config, "layers": [legacy(layer) for layer in config["layers"]]}
        out = {"class_name": item["class_name"], "config": config}
        out.update((key, item[key]) for key in ("name", "inbound_nodes") if key in item)
        return out

    return legacy(spec)
