"""Losses a traced ``call`` adds with ``self.add_loss(tensor)``, as keras.io's ``ActivityRegularizationLayer``
does: ``self.add_loss(self.rate * ops.mean(inputs))``.

Keras adds each such loss, summed over its elements, to the compiled loss of ``fit`` and ``evaluate``. In
numcnn the trace ends in one :class:`AddedLoss` node that reads the model's first output and the added losses
and passes the output on unchanged: forward, it keeps the losses' sum, which the trainer adds to the batch's
loss (:func:`total`); backward, it passes the output's gradient on and gives each added loss the gradient one
(the total loss's derivative with respect to a term of it), so the loss trains every weight it depends on.

The added losses' gradient reaches the graph only when some loss reads the model's first output downstream
(as every model trained with ``fit`` on one output does).
"""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn._checks import invalid
from numcnn.layers.base import Layer


class AddedLoss(Layer):
    """The identity on its first input, which adds the sum of its other inputs (the losses) to the loss."""

    is_operation = True  # not among model.layers: Keras lists no layer for add_loss
    takes_list = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.value = 0.0  # the added losses' sum at the last forward
        self._shapes: list = []

    def call_symbolic(self, inputs, training=None):
        y, *losses = inputs
        node = graph.Node(self, inputs, as_list=True, training=training)
        node.outputs = [graph.KerasTensor(y.shape, y.dtype, node, 0)]
        self.input_shape = [t.shape for t in inputs]
        self.output_shape = y.shape
        return node.outputs[0]

    def forward(self, x, training=False):
        y, *losses = x
        self._shapes = [(np.shape(loss), np.asarray(loss).dtype) for loss in losses]
        self.value = float(sum(np.sum(loss, dtype=np.float64) for loss in losses))
        return y

    def backward(self, dy):
        ones = [np.ones(shape, dtype) if dtype.kind == "f" else None for shape, dtype in self._shapes]
        return [dy, *ones]


def attach(outputs, losses: list):
    """``outputs`` (a traced call's result) with its first tensor passed through an AddedLoss of ``losses``."""
    if not losses:
        return outputs
    flat = graph.flatten(outputs)
    if not isinstance(flat[0], graph.KerasTensor):
        return outputs  # refused as not a model output by the model itself
    flat[0] = AddedLoss().call_symbolic([flat[0], *losses])
    return graph.pack_like(outputs, flat)


def checked(owner, loss) -> list:
    """The tensors of ``add_loss(loss)`` (a KerasTensor or a list of them) called in ``owner``'s ``call``."""
    if not owner.__dict__.get("_tracing"):
        raise ValueError(
            f"{type(owner).__name__}.add_loss() outside call(): numcnn adds losses recorded while call() is traced "
            "(pass a regularizer to a layer, or a loss to compile(), for the others)"
        )
    tensors = graph.flatten(loss)
    for t in tensors:
        if not isinstance(t, graph.KerasTensor):
            raise invalid("loss", "a tensor computed in call() from its inputs or weights", type(t).__name__, TypeError)
    return tensors


def total(plan) -> float:
    """The sum of the losses added in the ``call`` of every model in ``plan``, as of its last forward."""
    return sum(step.layer.value for step in plan.steps if isinstance(getattr(step, "layer", None), AddedLoss))
