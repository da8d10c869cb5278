"""``layers.Lambda``: wrap a function of tensors as a layer, ``Lambda(lambda x: x / 255.0)``.

The function is traced like a subclassed model's ``call``: run once on symbolic inputs, its ``numcnn.ops`` calls
and tensor operators (``x / 255``, ``ops.expand_dims(x, -1)``) become recorded operations, each with its own
backward pass. So a Lambda is a small model (it lives in ``numcnn.models`` because layers never import models)
that ``numcnn.layers.Lambda`` re-exports. Code that is not ops (NumPy calls on the symbolic tensor, Python
``if`` on its values) gets the tracer's clear error.

As in Keras 3, a model holding a Lambda cannot be written to a file: the function is Python code, and numcnn
never stores or runs code from files.
"""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.models.model import Model


class Lambda(Model):
    """``Lambda(function, output_shape=None, mask=None, arguments=None)``: ``function(inputs, **arguments)``.

    ``output_shape`` may be given, as Keras allows; numcnn infers the shape by tracing and checks that they
    agree. ``mask`` must be None (numcnn has no masking).
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        if not callable(function):
            raise invalid("function", "a callable that takes and returns tensors", function, TypeError)
        if mask is not None:
            raise invalid("mask", "None (numcnn has no masking)", mask)
        if arguments is not None and not isinstance(arguments, dict):
            raise invalid("arguments", "a dict of keyword arguments for the function, or None", arguments, TypeError)
        super().__init__(**kwargs)
        self._function = function
        self._arguments = dict(arguments or {})
        self._declared_output_shape = None if output_shape is None else tuple(output_shape)

    @property
    def function(self):
        return self._function

    @property
    def arguments(self) -> dict:
        return dict(self._arguments)

    def call(self, inputs):
        return self._function(inputs, **self._arguments)

    def build(self, input_shape=None) -> None:
        if self._traces:
            return
        super().build(input_shape)
        declared = self._declared_output_shape
        if declared is not None and tuple(self.output_shape[1:]) != declared[-len(self.output_shape) + 1 :]:
            traced = self.output_shape
            self._traces = {}
            self.built = False
            raise invalid("output_shape", f"the shape the function gives, {traced[1:]}", declared)

    def get_config(self) -> dict:
        raise ValueError(
            f"The Lambda layer '{self.name}' wraps Python code, which numcnn does not serialize (and never runs "
            "from a file). Write the computation as layers, or rebuild the model in code and use save_weights."
        )
