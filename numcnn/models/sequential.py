"""``Sequential``: a stack of layers, kept as a linear graph so that it runs on the same engine as every model."""

from __future__ import annotations

from numcnn import graph
from numcnn._checks import invalid, shape_tuple
from numcnn.layers.base import Layer
from numcnn.layers.input_layer import InputLayer
from numcnn.models.model import Model


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Conv2D(...), ..., Dense(10, activation="softmax")])``.

    The input shape comes from a first ``Input(shape=...)``/``InputLayer``, a first layer's ``input_shape=``, or
    ``build()`` (which ``fit``/``predict`` call on first use). Once it is known, every layer added is built at
    once, so a layer that cannot take its input is refused by ``add`` and the model stays as it was. A layer
    already in another model is shared with it, weights included, as in Keras.
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise invalid("layers", "a list of layers or None", layers, TypeError)
        if name is not None and not isinstance(name, str):
            raise invalid("name", "a string or None", name, TypeError)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._declared_input = False  # an Input given by the user (kept when every layer is popped)
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def add(self, layer) -> None:
        """Append ``layer``; the first may carry ``input_shape=`` or be an ``Input``."""
        if isinstance(layer, graph.KerasTensor) and layer.node is not None and layer.node.is_input:
            layer = layer.node.layer  # Sequential([numcnn.Input(shape=...), ...])
        if not isinstance(layer, Layer):
            raise invalid("layer", "a numcnn layer instance", layer, TypeError)
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    "Invalid value for argument 'layer': expected an Input only as the first layer. "
                    f"Received: {layer.name!r} after {len(self._stack)} layer(s)"
                )
            self._input_layer, self._declared_input = layer, True
            return
        if any(existing is layer for existing in self._stack) or layer is self:
            raise invalid("layer", "a layer instance not already in this model", layer.name)
        if any(existing.name == layer.name for existing in self._stack):
            raise invalid("layer", "a layer with a name unique in the model", layer.name)
        declared = self._input_layer
        if not self._stack and declared is None:
            if layer.input_spec_shape is not None:
                self._input_layer = InputLayer(shape=layer.input_spec_shape, dtype=layer.dtype.name)
            elif layer.built and not isinstance(layer, Model) and not layer.takes_list:
                self._input_layer = InputLayer(batch_shape=layer.input_shape)
        self._stack.append(layer)
        try:
            self._rebuild()
        except BaseException:
            self._stack.pop()
            self._input_layer = declared
            self._rebuild()
            raise

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("There are no layers in the model to pop")
        layer = self._stack.pop()
        if not self._stack and not self._declared_input:
            self._input_layer = None  # it came from the first layer's input_shape
        self._rebuild()
        return layer

    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of ``input_shape``, batch axis included: ``(None, 28, 28, 1)``.

        All or nothing: if a layer cannot take its input, the layers built so far are unbuilt again and the
        model keeps its previous input shape.
        """
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("The model has no input shape: pass input_shape to the first layer or call build()")
            input_shape = (None, *self._input_layer.shape)
        expected = "a shape tuple with the batch axis, e.g. (None, 28, 28, 1)"
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
            raise invalid("input_shape", expected, input_shape, TypeError)
        try:
            shape = shape_tuple("input_shape", tuple(input_shape)[1:])
        except TypeError:
            raise invalid("input_shape", expected, input_shape, TypeError) from None
        except ValueError:
            raise invalid("input_shape", expected + " with positive sizes", input_shape) from None
        if not self._stack:
            raise ValueError(f"The model '{self.name}' has no layers to build: add layers first")
        if self._input_layer is not None and self._input_layer.shape == shape and self.built:
            return
        previous, unbuilt = self._input_layer, [layer for layer in self._stack if not layer.built]
        self._input_layer = InputLayer(shape=shape)
        try:
            self._rebuild()
        except BaseException:
            for layer in unbuilt:
                if layer.built:
                    layer.unbuild()
            self._input_layer = previous
            self._rebuild()
            raise

    def _rebuild(self) -> None:
        """The linear graph from the input through every layer, or unbuilt while the input is unknown."""
        if self._input_layer is None or not self._stack:
            self._traces, self.built = {}, False
            self._plans.clear()
            self._structure += 1
            return
        # Each rebuild calls every layer again: forget the calls of the last one, so that a layer's
        # ``output`` (its first call's) is a tensor of the model's current graph.
        for node in self.__dict__.get("_chain", []):
            node.layer._inbound_nodes = [n for n in node.layer._inbound_nodes if n is not node]
        self._chain = []
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
            self._chain.append(graph.flatten(x)[0].node)
        self._set_graph(self._input_layer.output, x)

    def _build_state(self):
        return self._input_layer

    def _restore_build_state(self, saved) -> None:
        self._input_layer = saved
        self._rebuild()

    def get_config(self) -> dict:
        shape = None if self._input_layer is None else list(self._input_layer.shape)
        return {
            "name": self.name,
            "input_shape": shape,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self._stack],
        }

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, layers={len(self._stack)}, params={self._params_for_repr()}>"
