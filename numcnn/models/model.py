"""``Model``: a graph of layer calls with Keras' model API, and the one forward/backward engine behind every model.

Three ways to make one, as in Keras, all ending in the same graph of KerasTensors (:mod:`numcnn.graph`):

- functional: ``Model(inputs, outputs)`` on tensors from ``numcnn.Input`` (this returns a ``Functional``);
- ``Sequential``: a stack, kept as a linear graph;
- subclassing: ``class Net(Model)`` whose ``call(inputs)`` composes layers; on first use it is traced with
  symbolic inputs into a graph, once per training mode (so ``if training:`` branches work).

A model runs through its :class:`numcnn.plan.Plan`, built from the graph once and again only when something it
depends on changes (layers added or popped, a build, a compile, a change to ``trainable``). A model is also a
layer: called on KerasTensors inside another model it becomes a node, which the outer plan inlines.
"""

from __future__ import annotations

import contextlib
import inspect

import numpy as np

from numcnn import graph
from numcnn._checks import flag, invalid
from numcnn.layers.base import Layer
from numcnn.layers.input_layer import InputLayer
from numcnn.models import added_losses, own_weights
from numcnn.models.files import FilesMixin
from numcnn.plan import Plan
from numcnn.tensors import as_tensor
from numcnn.training import TrainingMixin


class Model(TrainingMixin, FilesMixin, Layer):
    """Keras' ``Model``. ``Model(inputs, outputs, name=None)`` makes a functional model; subclass it and define
    ``call(inputs, training=None)`` for a model written as code."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from numcnn.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__} takes inputs and outputs only through numcnn.Model(inputs, outputs)"
            )
        self._tracked: list[Layer] = []
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._traces: dict[bool, tuple] = {}
        self._plans: dict = {}
        self._structure = 0  # bumped whenever the graph itself changes
        self.built = False
        self.history = None
        self.stop_training = False

    def __setattr__(self, name, value):
        # Layers assigned to a subclassed model's attributes are its layers, in assignment order (Keras' tracking).
        if not name.startswith("_") and "_tracked" in self.__dict__:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, Layer) and item is not self and all(item is not t for t in self._tracked):
                    self._tracked.append(item)
        super().__setattr__(name, value)

    # -- the graph --------------------------------------------------------------------------------
    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs) or be made from inputs and outputs")

    def graph_for(self, training: bool) -> tuple[list, list]:
        """``(inputs, outputs)``: the flat KerasTensors of this model's graph in a training mode."""
        if not self._traces:
            raise ValueError(f"The model '{self.name}' is not built yet: call it on data, fit it or build() it first")
        return self._traces.get(bool(training)) or self._traces[False]

    def _set_graph(self, inputs_struct, outputs_struct) -> None:
        flat_in, flat_out = graph.flatten(inputs_struct), graph.flatten(outputs_struct)
        for t in flat_in:
            if not isinstance(t, graph.KerasTensor) or t.node is None or not t.node.is_input:
                raise invalid("inputs", "tensors made by numcnn.Input(...)", t, TypeError)
        for t in flat_out:
            if not isinstance(t, graph.KerasTensor):
                raise invalid("outputs", "KerasTensors made by calling layers on the inputs", t, TypeError)
        nodes, layers = graph.map_graph(flat_in, flat_out)  # raises if outputs are not reachable from inputs
        self._inputs_struct, self._outputs_struct = inputs_struct, outputs_struct
        self._traces = {False: (flat_in, flat_out)}
        self._graph_layers = layers
        self._nodes = nodes
        self._structure += 1
        self._plans.clear()
        self.built = True

    def _trace(self, input_shapes) -> None:
        """Build a subclassed model: run ``call`` on symbolic inputs of ``input_shapes``, per training mode."""
        structure = input_shapes if isinstance(input_shapes, list) else [input_shapes]
        accepts_training = "training" in inspect.signature(self.call).parameters
        traces = {}
        # Called on KerasTensors, the trace reads tensors of their dtypes (float64 stays float64); else floatx.
        dtypes = self.__dict__.pop("_trace_dtypes", None) or [None] * len(structure)
        for mode in (False, True):
            inputs = [InputLayer(batch_shape=(None, *tuple(s)[1:]), dtype=d).output for s, d in zip(structure, dtypes)]
            arg = inputs if isinstance(input_shapes, list) else inputs[0]
            self._added_losses = []
            with own_weights.weights_as_tensors(self):
                outputs = self.call(arg, training=mode) if accepts_training else self.call(arg)
            outputs = added_losses.attach(outputs, self.__dict__.pop("_added_losses"))
            traces[mode] = (arg, outputs)
        self._set_graph(*traces[False])
        self._traces[True] = (graph.flatten(traces[True][0]), graph.flatten(traces[True][1]))

    def build(self, input_shape=None) -> None:
        """Build a subclassed model for inputs of ``input_shape`` (batch axis included)."""
        if self._traces:
            return
        if input_shape is None:
            raise ValueError(f"build() of model '{self.name}' needs input_shape, e.g. (None, 28, 28, 1)")
        self._trace(list(input_shape) if isinstance(input_shape, list) else tuple(input_shape))

    @property
    def inputs(self) -> list:
        return list(self.graph_for(False)[0]) if self._traces else None

    @property
    def outputs(self) -> list:
        return list(self.graph_for(False)[1]) if self._traces else None

    @property
    def input(self):
        """The model's input KerasTensor(s), as given to ``Model(inputs, outputs)`` (Keras' ``model.input``)."""
        self._require_graph("input")
        return self._inputs_struct

    @property
    def output(self):
        """The model's output KerasTensor(s), as given to ``Model(inputs, outputs)`` (Keras' ``model.output``;
        Keras 3 gives a Sequential's only once it was called on a tensor, numcnn once it is built)."""
        self._require_graph("output")
        return self._outputs_struct

    def _require_graph(self, what: str) -> None:
        if not self._traces:
            raise AttributeError(f"The model {self.name} is not built yet and thus has no defined {what}.")

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs] if self._traces else None
        return shapes if shapes is None or len(shapes) > 1 else shapes[0]

    @input_shape.setter
    def input_shape(self, value):  # Layer.__init__ sets it; a model's comes from its graph
        pass

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs] if self._traces else None
        return shapes if shapes is None or len(shapes) > 1 else shapes[0]

    @output_shape.setter
    def output_shape(self, value):
        pass

    @property
    def output_names(self) -> list[str]:
        """Keras' names of the outputs: the names of the layers that make them (keys for dict losses)."""
        if isinstance(getattr(self, "_outputs_struct", None), dict):
            return list(self._outputs_struct)
        return [t.node.layer.name for t in self.outputs] if self._traces else []

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in Keras' order (a functional model's include its InputLayers, and, as in Keras,
        not the operations that ``numcnn.ops`` calls on tensors recorded)."""
        found = [layer for layer in getattr(self, "_graph_layers", []) if not getattr(layer, "is_operation", False)]
        if self._tracked:
            found = [layer for layer in found if not isinstance(layer, InputLayer)]
            return self._tracked + [layer for layer in found if all(layer is not t for t in self._tracked)]
        return found

    @property
    def operations(self) -> list[Layer]:
        """Every layer and recorded ``numcnn.ops`` operation of the graph, in Keras' order (Keras 3's name)."""
        return list(getattr(self, "_graph_layers", []))

    def get_layer(self, name=None, index=None) -> Layer:
        """The layer called ``name``, or at position ``index`` of ``layers``; ``ValueError`` if there is none."""
        if (name is None) == (index is None):
            raise ValueError("get_layer() takes exactly one of name= or index=")
        if index is not None:
            layers = self.layers
            if not isinstance(index, int) or isinstance(index, bool) or not -len(layers) <= index < len(layers):
                raise invalid("index", f"an integer index into the model's {len(layers)} layers", index)
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    # -- weights ------------------------------------------------------------------------------------
    def add_weight(self, *args, **kwargs):
        """A weight of the model's own for its ``call`` (keras.io's ``Linear``), with :meth:`Layer.add_weight`'s
        arguments; a hidden layer holds it (:mod:`numcnn.models.own_weights`)."""
        return own_weights.add_weight(self, args, kwargs)

    def add_loss(self, loss) -> None:
        """Add ``loss`` (a tensor computed in ``call``, or a list of them), summed over its elements, to the
        loss ``fit`` and ``evaluate`` minimise and report, as Keras does (:mod:`numcnn.models.added_losses`)."""
        tensors = added_losses.checked(self, loss)  # refuses a call outside a trace first
        self._added_losses.extend(tensors)

    def leaf_layers(self) -> list[Layer]:
        """Every layer that holds weights itself (nested models opened), once each, in weight order: the
        model's own weights (``add_weight``) first, as in Keras."""
        out, seen = [], set()
        own = self.__dict__.get("_own_weights")
        for layer in ([own] if own is not None else []) + self.layers:
            for leaf in layer.leaf_layers() if isinstance(layer, Model) else [layer]:
                if id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    @property
    def params(self):  # a model owns no weights itself: its layers do
        return {}

    @params.setter
    def params(self, value):
        pass

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self.leaf_layers() for w in layer.weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's weights, in Keras' order (``[kernel, bias]`` per layer, layers in order)."""
        self._require_built("get_weights")
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set all weights from a list in ``get_weights`` order; every array is checked before any is written."""
        self._require_built("set_weights")
        if not isinstance(weights, (list, tuple)):
            raise invalid("weights", "a list of arrays", type(weights).__name__, TypeError)
        expected = len(self.weights)
        if len(weights) != expected:
            raise ValueError(
                f"Invalid value for argument 'weights': expected a list of {expected} arrays. "
                f"Received: a list of {len(weights)} arrays"
            )
        checked, start = [], 0
        for layer in self.leaf_layers():
            count = len(layer.weights)
            checked.append((layer, layer.checked_weights(list(weights[start : start + count]))))
            start += count
        for layer, arrays in checked:
            layer.assign_weights(arrays)

    def weight_keys(self) -> list[tuple[str, Layer, str]]:
        """``(key, layer, weight name)`` for every trainable-or-not weight, with keys unique in the model:
        ``"conv2d_1/kernel"``, a second layer of the same name getting ``"conv2d_1#2/kernel"``."""
        out, counts = [], {}
        for layer in self.leaf_layers():
            counts[layer.name] = counts.get(layer.name, 0) + 1
            prefix = layer.name if counts[layer.name] == 1 else f"{layer.name}#{counts[layer.name]}"
            out += [(f"{prefix}/{name}", layer, name) for name in (*layer.params, *layer.state)]
        return out

    def trainable_params(self, only=None) -> tuple[dict, dict]:
        """``({key: param}, {key: grad})`` of the trainable weights, the optimizer's view; ``only`` (a set of
        layer ids) keeps the layers that received gradients."""
        params, grads = {}, {}
        for key, layer, name in self.weight_keys():
            if name in layer.params and layer.trainable and (only is None or id(layer) in only):
                params[key] = layer.params[name]
                grads[key] = layer.grads[name]
        return params, grads

    def _params_for_repr(self) -> str:
        try:
            return str(self.count_params())
        except ValueError:
            return "?"  # not built yet

    def _has_weights_to_count(self) -> bool:
        """Built, or holding a built layer (a Sequential whose first layer was built elsewhere)."""
        return self.built or any(layer.built for layer in self.leaf_layers())

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """Every layer's trainable weights, in weight order; none while the model is frozen."""
        return [w for layer in self.leaf_layers() for w in layer.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        if not self.trainable:
            return self.weights
        return [w for layer in self.leaf_layers() for w in layer.non_trainable_weights]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        # As in Keras, freezing a model freezes every layer in it.
        Layer.trainable.fset(self, value)
        if "_plans" in self.__dict__:  # not while Layer.__init__ sets the flag
            for layer in self.layers:
                if not isinstance(layer, InputLayer) and layer is not self:
                    layer.trainable = value

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False):
        """Print Keras' table of the layers: name (type), output shape, parameters (and, for a functional model,
        what each layer is connected to), then the totals."""
        from numcnn.models.summary import print_summary

        self._require_built("summary")
        print_summary(self, line_length, positions, print_fn, show_trainable)

    @contextlib.contextmanager
    def _build_or_restore(self):
        """Within the block the model may be built from data; if the block fails, an unbuilt model and its
        layers go back to unbuilt, so a refused ``fit`` leaves the model as it was."""
        if self.built:
            yield
            return
        unbuilt = [layer for layer in self.leaf_layers() if not layer.built]
        saved = self._build_state()
        try:
            yield
        except BaseException:
            for layer in unbuilt:
                if layer.built:
                    layer.unbuild()
            self._restore_build_state(saved)
            raise

    def _build_state(self):
        return dict(self._traces)

    def _restore_build_state(self, saved) -> None:
        self._traces = saved
        self.built = bool(saved)
        self._plans.clear()
        self._structure += 1

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"The model must be built before {what}: give the first layer an input_shape")

    # -- running ------------------------------------------------------------------------------------
    def plan(self, training: bool | None, heads=(), fuse: bool = True) -> Plan:
        """The execution plan for a training mode, rebuilt only when the graph or a layer's state changed.

        ``training=None`` (a plain ``model(x)``) runs each call with its fixed ``training=`` if it has one, else
        in inference; True or False (fit, evaluate, predict) overrides every fixed value, as in Keras 3."""
        key = (training, tuple(sorted(heads)), fuse)
        plan = self._plans.get(key)
        if plan is None or plan.version != graph.version() or plan.structure != self._structure:
            inputs, outputs = self.graph_for(bool(training))
            plan = Plan(inputs, outputs, training, heads, fuse)
            plan.structure = self._structure
            self._plans[key] = plan
        return plan

    def describe_plan(self, training: bool = True) -> str:
        """The steps the model runs, one line each, showing what runs fused."""
        heads = self._compiled.heads() if self.compiled else ()
        lines = [f'Plan of "{self.name}" ({"training" if training else "inference"}):']
        return "\n".join(lines + self.plan(training, heads if training else ()).describe())

    def __call__(self, inputs, training=None, **kwargs):
        """On arrays: the model's outputs (arrays with ``.numpy()``); on KerasTensors: a node in another graph."""
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__call__() got unexpected keyword argument(s): {sorted(kwargs)}")
        if graph.is_symbolic(inputs):
            return self._call_symbolic(inputs, training)
        training = None if training is None else flag("training", training)
        arrays = self._prepare_inputs(inputs)
        outputs = self.plan(training).forward(arrays, bool(training), keep=bool(training))
        return as_tensor(self._pack_outputs(outputs))

    def _call_symbolic(self, inputs, training):
        flat = graph.flatten(inputs)
        if not self._traces:
            shapes = [t.shape for t in flat]
            self._trace_dtypes = [t.dtype for t in flat]
            self.build(shapes if len(flat) > 1 else shapes[0])
        model_inputs, model_outputs = self.graph_for(False)
        if len(flat) != len(model_inputs):
            raise invalid("inputs", f"{len(model_inputs)} tensors for model '{self.name}'", f"{len(flat)} tensors")
        for t, expected in zip(flat, model_inputs):
            if tuple(t.shape[1:]) != tuple(expected.shape[1:]):
                raise invalid("inputs", f"a tensor of shape {expected.shape} for model '{self.name}'", t.shape)
        node = graph.Node(self, flat, as_list=len(flat) > 1, training=training)
        node.outputs = [graph.KerasTensor(t.shape, t.dtype, node, i) for i, t in enumerate(model_outputs)]
        return graph.pack_like(self._outputs_struct, node.outputs)

    def _pack_outputs(self, outputs: list):
        return graph.pack_like(self._outputs_struct, outputs)

    def to_json(self, **kwargs) -> str:
        """The architecture as a JSON string, for ``numcnn.models.model_from_json``."""
        from numcnn.models.config import to_json

        return to_json(self, **kwargs)

    def get_config(self) -> dict:
        from numcnn.models.config import model_config

        return model_config(self)["config"]
