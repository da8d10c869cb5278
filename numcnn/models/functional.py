"""``Functional``: the model ``numcnn.Model(inputs, outputs)`` makes, over any graph of layer calls."""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.models.model import Model


class Functional(Model):
    """A model over the graph from ``inputs`` (tensors of ``numcnn.Input``: one, a list or a dict) to ``outputs``
    (one KerasTensor, a list or a dict): any DAG of layer calls, with shared layers, fan-out (gradients add up),
    several inputs and outputs, and models called as layers.

    ``predict`` and ``model(x)`` return outputs in the structure ``outputs`` was given in.
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if inputs is None or outputs is None:
            raise invalid("outputs" if inputs is not None else "inputs", "KerasTensors", None, TypeError)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._set_graph(inputs, outputs)

    def __repr__(self) -> str:
        return f"<Functional name={self.name!r}, layers={len(self.layers)}, params={self._params_for_repr()}>"
