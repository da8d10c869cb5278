"""The weights a Layer subclass written with ``call`` (or a subclassed model) makes itself with ``add_weight``,
as keras.io's ``Linear`` does, and how its traced ``call`` reads them.

``self.w = self.add_weight(shape=(3, 4))`` stores the weight in the model's :class:`OwnWeights`, a hidden
layer that holds it like any layer's (``params``/``grads``, or ``state`` when not trainable), and returns a
Variable view of it. While ``call`` is traced (:func:`weights_as_tensors`), every attribute of the model that
holds one of these Variables (``self.w``, or a list, tuple or dict of them) is a :class:`WeightTensor`
instead: an output of one node of the holder, which has no inputs and gives each weight's current value. So
``ops.matmul(inputs, self.w) + self.b`` records ops on it as on any tensor, and backward the holder receives
each weight's gradient, summed over its uses as for any tensor read twice, into its ``grads``: ``fit`` trains
it under the model's key (``linear_1/variable``), and ``get_weights``/``set_weights``, ``count_params`` and
the files see it. A Variable reached another way (``self.trainable_weights[0]``) and given to an op is
recognised there (``numcnn.ops._trace``).

Not supported, and refused by name: assigning to a weight in ``call`` (``self.total.assign_add(...)``,
``self.total = self.total + 1``), since the trace runs ``call`` once and the graph would never update it;
``add_weight`` inside ``call``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from numcnn import graph
from numcnn.layers.base import Layer
from numcnn.ops import _trace

_REFUSAL = (
    "numcnn traces call() once into a graph of layers and ops, which would never run the update. Update state "
    "outside the model (a callback, a metric's update_state), or write the layer's forward() and backward() as "
    "numcnn's layers do"
)


class WeightTensor(graph.KerasTensor):
    """The symbolic value of one weight while its model's ``call`` is traced: ``shape``, ``dtype`` (a str),
    ``name`` and ``path`` as its Variable's."""

    def __init__(self, shape, dtype, node, index, name, path, trainable):
        super().__init__(shape, dtype, node, index, name=name)
        self.path, self.trainable = path, trainable

    @property
    def value(self):
        return self

    def _refuse(self, *args, **kwargs):
        raise NotImplementedError(f"The weight '{self.path}' is assigned to in call(): {_REFUSAL}")

    assign = assign_add = assign_sub = _refuse


class OwnWeights(Layer):
    """The weights of ``owner``'s own (a traced layer or a subclassed model), named after it, so that their
    keys and paths are the owner's (``linear_1/variable``); they train while the owner is trainable.

    Its node (:meth:`read`) has no inputs and gives every weight, trainable first, as one output each.
    """

    is_operation = True  # not among model.layers: Keras lists no layer for a layer's own weights
    takes_list = True  # its node reads an empty list of tensors

    def __init__(self, owner):
        super().__init__(name=owner.name, dtype=owner.dtype)
        self._owner = owner
        self.built = True
        self._read_names: tuple[str, ...] = ()

    @property
    def trainable(self) -> bool:
        return self._owner.trainable

    @trainable.setter
    def trainable(self, value) -> None:
        self._owner.trainable = value

    def names(self) -> list[str]:
        return [*self.params, *self.state]

    def array(self, name: str) -> np.ndarray:
        return self.params[name] if name in self.params else self.state[name]

    def forget(self, names) -> None:
        """Drop the weights ``names`` (made by a build that then failed)."""
        for name in names:
            for table in (self.params, self.grads, self.state, self.regularizers, self.constraints):
                table.pop(name, None)
        graph.changed()

    def read(self) -> dict[str, WeightTensor]:
        """Record a node giving every weight; return its tensors by weight name."""
        self._read_names = tuple(self.names())
        node = graph.Node(self, [], as_list=True)
        arrays = [self.array(n) for n in self._read_names]
        node.outputs = [
            WeightTensor(a.shape, a.dtype.name, node, i, n, f"{self.name}/{n}", n in self.params)
            for i, (n, a) in enumerate(zip(self._read_names, arrays))
        ]
        self.output_shape = [t.shape for t in node.outputs]
        return {t.name: t for t in node.outputs}

    def forward(self, x, training=False):
        # copies: a step's output may be kept (a model's output, an op's cache) while the optimizer updates
        values = [self.array(n).copy() for n in self._read_names]
        return values[0] if len(values) == 1 else values

    def backward(self, dy):
        self.backward_weights(dy)
        return []

    def backward_weights(self, dy) -> None:
        """Each trainable weight's gradient is its output's (zero where nothing used the weight)."""
        dys = dy if len(self._read_names) > 1 else [dy]
        for name, g in zip(self._read_names, dys):
            if name in self.params:
                w = self.params[name]
                self.grads[name] = np.asarray(g, w.dtype) if np.shape(g) == w.shape else np.zeros_like(w)


def add_weight(model, args, kwargs):
    """``model.add_weight(*args, **kwargs)``: a weight in ``model``'s holder, returned as a Variable."""
    if model.__dict__.get("_tracing"):
        raise NotImplementedError(
            f"{type(model).__name__}.add_weight() in call(): create weights in __init__() or build(), which "
            "numcnn runs before it traces call()"
        )
    return holder(model).add_weight(*args, **kwargs)


def holder(model) -> OwnWeights:
    """``model``'s OwnWeights, made on first use."""
    own = model.__dict__.get("_own_weights")
    if own is None:
        own = model._own_weights = OwnWeights(model)
    return own


@contextlib.contextmanager
def weights_as_tensors(model):
    """Within the block (``model``'s ``call`` being traced) the model's own weights are tensors of its graph:
    its attributes holding them, and any Variable of them given to an op."""
    own = model.__dict__.get("_own_weights")
    pairs = []
    if own is not None and own.names():
        pairs = [(own.array(name), t) for name, t in own.read().items()]
    swapped = {}
    for key, value in list(model.__dict__.items()) if pairs else []:
        new = value if key.startswith("_") or isinstance(value, Layer) else _trace.substitute(value, pairs)
        if new is not value:
            swapped[key] = (value, new)
            model.__dict__[key] = new
    model._tracing = True
    try:
        with _trace.reading_weights(pairs):
            yield
    finally:
        model._tracing = False
        changed = [key for key, (_, new) in swapped.items() if model.__dict__.get(key) is not new]
        for key, (old, _) in swapped.items():
            model.__dict__[key] = old
    if changed:
        raise NotImplementedError(
            f"{type(model).__name__}.call() assigns to self.{changed[0]}, which holds a weight: {_REFUSAL}"
        )
