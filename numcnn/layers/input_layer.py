"""``Input`` and ``InputLayer``: where a model's data enters, as a symbolic tensor of the per-sample shape."""

from __future__ import annotations

from numcnn import graph
from numcnn._checks import flag, invalid, numeric_dtype, positive_int, shape_tuple
from numcnn.layers.base import Layer


class _InputNode(graph.Node):
    """The node of an InputLayer: it reads nothing, and its one output is the Input tensor."""

    is_input = True


def _input_dtype(dtype) -> str:
    from numcnn import backend

    return numeric_dtype(dtype, backend.floatx()).name


class InputLayer(Layer):
    """``InputLayer(shape=(28, 28, 1))``: the per-sample input shape of a model; ``self.output`` is its
    KerasTensor of shape ``(batch_size, 28, 28, 1)`` (``batch_size`` None unless given).

    Keras 3's arguments: ``shape`` (no batch axis) or ``batch_shape`` (with it), ``batch_size``, ``dtype``,
    ``sparse`` (False only), ``name``; Keras 2's ``input_shape`` and ``batch_input_shape`` are read too.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, **kwargs):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if batch_shape is not None:
            if not isinstance(batch_shape, (tuple, list)) or len(batch_shape) < 2:
                raise invalid("batch_shape", "a shape with the batch axis, e.g. (None, 28, 28, 1)", batch_shape)
            if shape is not None and tuple(shape) != tuple(batch_shape)[1:]:
                raise invalid("shape", f"the same sizes as batch_shape={tuple(batch_shape)}", shape)
            batch_size = batch_shape[0] if batch_size is None else batch_size
            shape = tuple(batch_shape)[1:]
        if shape is None:
            raise invalid("shape", "a tuple of positive integers", shape, TypeError)
        if sparse is not None and flag("sparse", sparse):
            raise invalid("sparse", "False (numcnn has no sparse tensors)", sparse)
        shape = shape_tuple("shape", shape)
        self.batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
        self.input_dtype = _input_dtype(dtype)
        super().__init__(name=name, **kwargs)
        self.shape = shape
        self.build((None, *shape))
        node = _InputNode(self, [], as_list=False)
        node.outputs = [graph.KerasTensor((self.batch_size, *shape), self.input_dtype, node, 0, name=self.name)]

    @property
    def input(self):
        """An InputLayer reads nothing: its input is its own tensor, ``output``."""
        return self.output

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy

    def get_config(self) -> dict:
        return {
            "batch_shape": [self.batch_size, *self.shape],
            "dtype": self.input_dtype,
            "sparse": False,
            "name": self.name,
        }


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, **kwargs):  # noqa: N802
    """Keras' ``Input``: a symbolic tensor of shape ``(batch_size, *shape)`` where a model's data enters.

    ``x = Conv2D(32, 3)(Input(shape=(28, 28, 1)))`` records the call; ``Model(inputs, x)`` makes a model of it.
    """
    layer = InputLayer(shape, batch_size, dtype, sparse, batch_shape, name, **kwargs)
    return layer.output
