"""``plot_model`` and ``model_to_dot``: a model's graph of layers as a Graphviz drawing, as Keras draws it.

They need pydot (``pip install 'numcnn[plot]'``) and, to render an image, Graphviz's ``dot`` program
(``apt install graphviz``, ``brew install graphviz``); without either the error says what to install.
"""

from __future__ import annotations

import os
import shutil

from numcnn._checks import file_path, flag, format_shape, invalid, one_of, positive_int

_PYDOT = "plot_model needs pydot: pip install 'numcnn[plot]' (and Graphviz's dot program to render images)"


def _pydot():
    try:
        import pydot
    except ImportError as err:
        raise ImportError(_PYDOT) from err
    return pydot


def _shape_text(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "?" if shape is None else format_shape(shape)


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable) -> str:
    name = f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__
    rows = [name]
    if show_layer_activations and hasattr(layer, "activation"):
        rows.append(f"activation: {layer.activation.name}")
    if show_dtype:
        rows.append(f"dtype: {getattr(layer, 'dtype', '?')}")
    if show_shapes:
        rows.append(f"output: {_shape_text(layer.output_shape)}")
    if show_trainable:
        rows.append(f"trainable: {layer.trainable}")
    return "\\n".join(rows)


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    **kwargs,
):
    """A ``pydot.Dot`` graph of the model: a node per layer, an edge per tensor passed between two layers."""
    from numcnn.models.model import Model

    if not isinstance(model, Model):
        raise invalid("model", "a numcnn model", type(model).__name__, TypeError)
    if kwargs:
        raise TypeError(f"model_to_dot() got unexpected keyword argument(s): {sorted(kwargs)}")
    if not model.built:
        raise ValueError("plot_model needs a built model: call it on data or build() it first")
    flags = [flag(n, v) for n, v in (("show_shapes", show_shapes), ("show_dtype", show_dtype),
             ("show_layer_names", show_layer_names), ("expand_nested", expand_nested),
             ("show_layer_activations", show_layer_activations), ("show_trainable", show_trainable))]  # fmt: skip
    rankdir = one_of("rankdir", rankdir, ("tb", "lr", "bt", "rl")).upper()
    dpi = positive_int("dpi", dpi)
    pydot = _pydot()
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    dot.set_node_defaults(shape="record")
    label_flags = (flags[0], flags[1], flags[2], flags[4], flags[5])
    layers = model.operations
    for layer in layers:
        dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, *label_flags)))
    for node in getattr(model, "_nodes", []):
        for tensor in node.inputs:
            source = tensor.node.layer
            dot.add_edge(pydot.Edge(str(id(source)), str(id(node.layer))))
    return dot


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    **kwargs,
):
    """Draw the model to ``to_file`` (the suffix picks the format: ``.png``, ``.svg``, ``.pdf``, ``.dot``)."""
    to_file = file_path("to_file", to_file)
    dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
                       show_layer_activations, show_trainable, **kwargs)  # fmt: skip
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension == "dot":
        from numcnn._files import atomic_write

        atomic_write(to_file, dot.to_string().encode())
        return None
    if shutil.which("dot") is None:
        raise ImportError(f"plot_model needs Graphviz's dot program to write .{extension} files: install Graphviz")
    dot.write(to_file, format=extension)
    return None
