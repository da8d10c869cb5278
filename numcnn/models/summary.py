"""``model.summary()``: Keras' plain-text table of a model's layers.

A Sequential model prints the notebook's table (layer and type, output shape, parameter count); a functional
model adds Keras' "Connected to" column, each input written ``layer_name[node_index][tensor_index]``.
"""

from __future__ import annotations

from numcnn._checks import flag, format_shape, invalid, positive_int


def _row(fields, stops) -> str:
    line = ""
    for field, stop in zip(fields, stops):
        line = (line + str(field))[: stop - 1].ljust(stop)
    return line.rstrip()


def _connections(model) -> dict[int, list[str]]:
    """For each layer (by id), the tensors its calls in this model read, as ``name[node][tensor]``."""
    calls: dict[int, int] = {}
    names: dict[int, list[str]] = {}
    node_index: dict[int, int] = {}
    for node in getattr(model, "_nodes", []):
        node_index[id(node)] = calls.get(id(node.layer), 0)
        calls[id(node.layer)] = node_index[id(node)] + 1
    for node in getattr(model, "_nodes", []):
        sources = []
        for t in node.inputs:
            source = t.node
            index = node_index.get(id(source), 0)
            sources.append(f"{source.layer.name}[{index}][{t.index}]")
        names.setdefault(id(node.layer), []).extend(sources)
    return names


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False) -> None:
    from numcnn.models.sequential import Sequential

    print_fn = print if print_fn is None else print_fn
    if not callable(print_fn):
        raise invalid("print_fn", "a function such as print", print_fn, TypeError)
    flag("show_trainable", show_trainable)
    sequential = isinstance(model, Sequential)
    line_length = positive_int("line_length", (65 if sequential else 98) if line_length is None else line_length)
    fractions = positions or ((0.45, 0.85, 1.0) if sequential else (0.33, 0.55, 0.67, 1.0))
    stops = [int(line_length * f) if f <= 1 else int(f) for f in fractions]
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if sequential else ["Connected to"])
    connected = {} if sequential else _connections(model)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(headers, stops))
    print_fn("=" * line_length)
    layers = model.layers if sequential else model.operations  # a functional model's ops too
    for i, layer in enumerate(layers):
        shape = layer.output_shape
        shown = format_shape(shape) if isinstance(shape, tuple) else str([format_shape(s) for s in shape or []])
        fields = [f"{layer.name} ({type(layer).__name__})", shown, f"{layer.count_params()}"]
        if not sequential:
            fields.append(", ".join(connected.get(id(layer), [])) or "[]")
        print_fn(_row(fields, stops))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    leaves = model.leaf_layers()
    trainable = sum(p.size for layer in leaves if layer.trainable for p in layer.params.values())
    total = model.count_params()
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)
