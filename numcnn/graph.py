"""The symbolic side of the functional API: ``KerasTensor`` placeholders and the ``Node`` that records each layer
call on them, from which a model's graph is read.

``numcnn.Input(shape=(28, 28, 1))`` returns a ``KerasTensor`` of shape ``(None, 28, 28, 1)``. Calling a layer on
KerasTensors computes nothing: it builds the layer for their shapes and records a ``Node`` (the layer, its input
tensors, its output tensors), and returns new KerasTensors that remember that node. ``numcnn.Model(inputs,
outputs)`` then walks the nodes back from its outputs to its inputs (:func:`topological_nodes`).

A layer called several times (a shared layer) records one node per call. This module knows nothing of layers
beyond their being callable objects with a ``name``.
"""

from __future__ import annotations

import itertools

from numcnn._checks import format_shape

_versions = itertools.count(1)
_serials = itertools.count()
_state = {"version": 0}


def changed() -> None:
    """Note that something a model's execution plan depends on changed (a layer's ``trainable``, a build)."""
    _state["version"] = next(_versions)


def version() -> int:
    """A number that changes whenever :func:`changed` is called: plans built under another number are stale."""
    return _state["version"]


class KerasTensor:
    """A symbolic tensor: a ``shape`` (batch axis ``None``) and a ``dtype``, produced by output ``index`` of
    ``node`` (None for an ``Input``'s own tensor, whose node is its InputLayer's)."""

    __array_priority__ = 100  # numpy defers to our operators: array + KerasTensor builds a node

    def __init__(self, shape, dtype, node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = str(dtype)
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}{name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value: it cannot be used as a Python bool (in an `if`, `while`, `and`, "
            "`or` or `not`) while a model is built. Use numcnn.ops functions or layers instead of Python control "
            "flow on tensors."
        )

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no length: use its .shape")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated while a model is built")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A symbolic KerasTensor has no value and cannot become a NumPy array. It stands for the inputs of a "
            "model being built: call a layer or a numcnn.ops function on it instead."
        )

    def numpy(self):
        raise TypeError("A symbolic KerasTensor has no value: .numpy() works on the arrays a model returns")

    def __int__(self):
        raise TypeError("A symbolic KerasTensor has no value: it cannot be converted to a Python int")

    def __float__(self):
        raise TypeError("A symbolic KerasTensor has no value: it cannot be converted to a Python float")

    # -- operators, as in Keras: each is the numcnn.ops function of that name, recording a node ---------------
    def reshape(self, newshape):
        return _ops().reshape(self, newshape)

    def squeeze(self, axis=None):
        return _ops().squeeze(self, axis)

    def __getitem__(self, key):
        return _ops().get_item(self, key)

    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __truediv__(self, other):
        return _ops().divide(self, other)

    def __rtruediv__(self, other):
        return _ops().divide(other, self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops().floor_divide(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().abs(self)

    def __round__(self, ndigits=None):
        return _ops().round(self, 0 if ndigits is None else ndigits)

    # Comparisons give bool tensors, as in Keras; == stays Python's identity, so tensors work in lists and dicts.
    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __ne__(self, other):
        return _ops().not_equal(self, other)

    def __and__(self, other):
        return _ops().logical_and(self, other)

    def __rand__(self, other):
        return _ops().logical_and(other, self)

    def __or__(self, other):
        return _ops().logical_or(self, other)

    def __ror__(self, other):
        return _ops().logical_or(other, self)

    def __xor__(self, other):
        return _ops().logical_xor(self, other)

    def __rxor__(self, other):
        return _ops().logical_xor(other, self)

    def __invert__(self):
        return _ops().logical_not(self)


def _ops():
    # numcnn.ops imports this module, so it is looked up when an operator is first used
    from numcnn import ops

    return ops


class Node:
    """One call of ``layer`` on ``inputs`` (KerasTensors, flattened), giving ``outputs``.

    ``as_list`` says whether the layer took a list (merge layers) or a single tensor; ``training`` is the
    call's fixed ``training`` argument, or None to follow the model's mode.
    """

    is_input = False

    def __init__(self, layer, inputs, as_list: bool, training=None):
        self.serial = next(_serials)  # creation order: a node is always made after the nodes it reads from
        self.layer = layer
        self.inputs = list(inputs)
        self.as_list = as_list
        self.training = training
        self.outputs: list[KerasTensor] = []
        inbound = getattr(layer, "_inbound_nodes", None)
        if inbound is not None:  # the layer's calls, first first: Keras' ``layer.output`` is the first one's
            inbound.append(self)

    @property
    def parents(self) -> list[Node]:
        return [t.node for t in self.inputs if t.node is not None]

    def __repr__(self) -> str:
        return f"<Node {self.layer.name}: {len(self.inputs)} in, {len(self.outputs)} out>"


def is_symbolic(value) -> bool:
    """Whether ``value`` is a KerasTensor or a (nested) list/tuple/dict holding one."""
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(is_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(is_symbolic(v) for v in value.values())
    return False


def flatten(structure) -> list:
    """The leaves of a tensor, a list/tuple of them or a dict of them (dicts in key order), as a flat list."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves: list):
    """Rebuild ``structure``'s shape (tensor, list, tuple or dict) with ``leaves`` in :func:`flatten`'s order."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, dict):
            return {key: build(s[key]) for key in s}
        if isinstance(s, (list, tuple)):
            return type(s)(build(item) for item in s) if isinstance(s, tuple) else [build(item) for item in s]
        return next(it)

    return build(structure)


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Node], list]:
    """The nodes between ``inputs`` and ``outputs`` in an order that runs every node after the nodes it reads
    from, and the layers they call in Keras' order (``model.layers``, and so the order of ``get_weights``).

    Keras orders both by depth, the longest path to an output (a shared layer takes its deepest node's), from
    the deepest; ties go by first visit in a depth-first walk from the outputs, inputs in order. Raises
    ``ValueError`` when an output depends on a tensor that is not one of the inputs.
    """
    input_ids = {id(t) for t in inputs}
    visited: list[Node] = []  # post-order: a node after every node it reads from
    first_seen: dict[int, int] = {}  # layer -> order of first visit
    done: set[int] = set()
    for out in outputs:
        stack = [(out, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = tensor.node
            if node is None:
                raise ValueError(f"{tensor!r} was not made by a layer call or an Input")
            if expanded:
                if id(node) not in done:
                    done.add(id(node))
                    visited.append(node)
                continue
            if id(node) in done:
                continue
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((tensor, True))
            if id(tensor) in input_ids:
                continue
            if node.is_input:
                raise ValueError(
                    f"The graph from the model's inputs to its outputs is not connected: it needs the Input "
                    f"'{node.layer.name}', which is not one of the inputs {[t.name for t in inputs]}"
                )
            stack += [(t, False) for t in reversed(node.inputs)]
    depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(visited):  # consumers before the nodes they read from
        d = max(depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        depth[id(node)] = layer_depth[id(node.layer)] = d
        if node.is_input:
            continue
        for t in node.inputs:
            if t.node is not None:
                depth[id(t.node)] = max(depth.get(id(t.node), 0), d + 1)
    nodes = sorted((n for n in visited if not n.is_input), key=lambda n: (-depth[id(n)], first_seen[id(n.layer)]))
    layers, seen = [], set()
    for node in sorted(visited, key=lambda n: (-layer_depth[id(n.layer)], first_seen[id(n.layer)])):
        if id(node.layer) not in seen:
            seen.add(id(node.layer))
            layers.append(node.layer)
    return nodes, layers
