"""The layer protocol every numcnn layer follows.

A layer owns its weights and their gradients:

- ``build(input_shape)`` creates ``self.params`` (trainable, e.g. ``{"kernel": …, "bias": …}``) and
  ``self.state`` (non-trainable, e.g. BatchNormalization's moving statistics); ``self.grads`` has the
  keys of ``params``. ``input_shape`` includes the batch axis as ``None``, like Keras (a list of shapes for a
  layer that takes a list, such as ``Add``).
- ``forward(x, training=False) -> y`` caches only what ``backward`` needs.
- ``backward(dy) -> dx`` overwrites ``self.grads`` and returns the gradient for the input (a list for a layer
  that takes a list); it never updates params and never modifies ``dy``. ``backward_weights(dy)`` fills the
  weight gradients only, for a layer that nothing before needs a gradient from.

A layer is pure: what it computes depends on its inputs, weights and arguments, never on its neighbours.
Calling it on arrays runs ``forward`` (building it on first use); calling it on ``KerasTensor``s records a
node of the functional graph (:mod:`numcnn.graph`). A layer called at several places of a graph runs each call
on its own shallow copy (same weight arrays, own caches and gradients), which the model's plan arranges.

Weights are in Keras' layouts and order so ``get_weights``/``set_weights`` interoperate with Keras.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend, constraints, graph, regularizers
from numcnn._checks import (
    flag,
    float_dtype,
    format_shape,
    invalid,
    optional_string,
    shape_tuple,
    weight_shape,
)
from numcnn._naming import snake_case
from numcnn.layers.weights import WeightLists, initial_value, weight_arguments
from numcnn.tensors import as_tensor
from numcnn.variables import Variable

_name_counts: dict[str, int] = {}


def unique_name(base: str) -> str:
    """``conv2d_1``, ``conv2d_2``, … — per-process counters, as the notebook's summary shows."""
    _name_counts[base] = _name_counts.get(base, 0) + 1
    return f"{base}_{_name_counts[base]}"


def reset_names() -> None:
    """Restart the name counters (Keras' ``clear_session`` does the same)."""
    _name_counts.clear()


def _weight_name() -> str:
    """Keras 3's automatic weight names, counted over the session: ``variable``, ``variable_1``, …"""
    count = _name_counts.get("variable/", 0)  # a key no layer name can take
    _name_counts["variable/"] = count + 1
    return "variable" if count == 0 else f"variable_{count}"


def _own_methods(cls) -> set[str]:
    """The method names that the classes of ``cls``'s MRO below ``Layer`` define."""
    names = set()
    for klass in cls.__mro__:
        if klass is Layer:
            break
        names.update(vars(klass))
    return names


def _shapes(value):
    """The shape of an array-like or KerasTensor, or the list of shapes of a list of them."""
    if isinstance(value, (list, tuple)) and not isinstance(value, graph.KerasTensor):
        return [_shapes(v) for v in value]
    return tuple(value.shape) if hasattr(value, "shape") else np.shape(value)


# Set by numcnn.models (layers never import models): turns a Layer subclass written as Keras' guides write
# one, with call() composing other layers, into a traced layer (see numcnn/models/call_layer.py).
call_layer_factory = None


class Layer(WeightLists):
    """Base class: naming, building, weights bookkeeping, calls on arrays or KerasTensors, the Keras weight API.

    ``takes_list`` (a class attribute) marks layers whose input is a list of tensors (merge layers).

    numcnn's layers write ``forward``/``backward``; a user's subclass that writes ``call`` instead is traced
    like a subclassed model (``call_layer_factory``).
    """

    takes_list = False

    def __new__(cls, *args, **kwargs):
        if call_layer_factory is not None and "call" in _own_methods(cls):
            cls = call_layer_factory(cls)
        return super().__new__(cls)

    def __init__(self, name=None, input_shape=None, trainable=True, dtype=None, **kwargs):
        if "batch_input_shape" in kwargs:
            batch_input_shape = kwargs.pop("batch_input_shape")
            if not isinstance(batch_input_shape, (tuple, list)) or len(batch_input_shape) < 2:
                expected = "a shape with the batch axis, e.g. (None, 28, 28, 1)"
                raise invalid("batch_input_shape", expected, batch_input_shape, TypeError)
            input_shape = tuple(batch_input_shape)[1:]
        if "input_dim" in kwargs:  # Keras 2's Dense(…, input_dim=784)
            input_shape = (kwargs.pop("input_dim"),)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected keyword argument(s): {unknown}")
        if name is not None and (not isinstance(name, str) or not name):
            raise invalid("name", "a non-empty string or None", name, TypeError)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.input_spec_shape = None if input_shape is None else shape_tuple("input_shape", input_shape)
        self._trainable = flag("trainable", trainable)
        self.dtype = float_dtype(dtype, backend.floatx())
        self.activity_regularizer = None
        if activity_regularizer is not None:
            from numcnn import regularizers

            self.activity_regularizer = regularizers.get(activity_regularizer)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.regularizers: dict = {}  # weight name -> regularizer, added to the loss and its gradient
        self.constraints: dict = {}  # weight name -> constraint, applied after each update
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self._inbound_nodes: list = []  # graph.Node records each symbolic call here

    def __getattr__(self, name):
        # Keras' weight attributes (layer.kernel, layer.bias, bn.moving_mean, …): Variables, by weight name.
        # Only reached when normal lookup fails, so it never shadows a real attribute.
        descriptor = getattr(type(self), name, None)
        if isinstance(descriptor, property):  # a property raised AttributeError: let its message through
            return descriptor.fget(self)
        params, state = self.__dict__.get("params", {}), self.__dict__.get("state", {})
        if name in params or name in state:
            trainable = name in params and self.trainable
            return Variable.of(params.get(name, state.get(name)), name, f"{self.name}/{name}", trainable)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def trainable(self) -> bool:
        """Whether ``fit`` updates this layer's weights; a change takes effect at the next step."""
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        self._trainable = flag("trainable", value)
        graph.changed()

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis ``None``). Subclasses extend."""
        if self.takes_list:
            self.input_shape = [(None, *tuple(s)[1:]) for s in input_shape]
        else:
            self.input_shape = (None, *tuple(input_shape)[1:])
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True
        graph.changed()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def add_weight(
        self,
        *args,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        name=None,
    ) -> Variable:
        """Create a weight of ``shape`` (``()``: a scalar) from ``initializer`` and return it as a Variable (a
        view of the layer's array): trainable ones go to ``params`` (with a zero gradient in ``grads``), the
        others to ``state``; an optional regularizer and constraint (objects or names) go with it.

        Keras 3's arguments: ``shape``, ``initializer`` and ``dtype`` may be positional, the rest by keyword;
        ``initializer=None`` is ``glorot_uniform``, ``dtype=None`` the layer's, ``name=None`` Keras' automatic
        ``variable``, ``variable_1``, … A ``str`` first argument starts numcnn's own order instead, which its
        layers use: ``add_weight(name, shape, initializer, trainable, regularizer, constraint)``. ``autocast``
        and ``aggregation`` change nothing here (numcnn has no mixed precision and no replicas).
        """
        given = {"shape": shape, "initializer": initializer, "dtype": dtype, "trainable": trainable}
        given.update(regularizer=regularizer, constraint=constraint, name=name)
        spec = weight_arguments(args, given)
        name, shape, trainable = spec["name"], spec["shape"], flag("trainable", spec["trainable"])
        optional_string("name", name)
        if name is not None and (not name or "/" in name):
            raise invalid("name", "a non-empty weight name without '/'", name)
        shape = () if shape is None else weight_shape("shape", shape)
        dtype = float_dtype(spec["dtype"], self.dtype)
        name = name or _weight_name()
        if name in self.params or name in self.state:
            raise invalid("name", f"a name that layer '{self.name}' has no weight of yet", name)
        regularizer, constraint = regularizers.get(spec["regularizer"]), constraints.get(spec["constraint"])
        value = initial_value(self.name, name, shape, dtype, spec["initializer"])
        if trainable:
            self.params[name] = value
            self.grads[name] = np.zeros_like(value)
        else:
            self.state[name] = value
        if regularizer is not None:
            self.regularizers[name] = regularizer
        if constraint is not None:
            self.constraints[name] = constraint
        return Variable.of(value, name, f"{self.name}/{name}", trainable and self.trainable)

    def ensure_built(self, input_shape) -> None:
        """Build for ``input_shape`` unless built; a built layer must have been built for the same shape.

        Shapes are checked first (``compute_output_shape``), so a kernel larger than the image is refused before
        any weight exists; a build that fails part-way leaves the layer unbuilt, and the error is a ValueError
        naming the layer.
        """
        if self.built:
            self.check_input_shape(input_shape)
            return
        try:
            self.compute_output_shape(input_shape)
        except (ValueError, TypeError):
            raise
        except Exception:  # a layer whose own build() checks the shape, with a better message
            pass
        try:
            self.build(input_shape)
        except (IndexError, KeyError, ZeroDivisionError) as err:  # a layer without its own shape checks
            self.unbuild()
            raise ValueError(
                f"Invalid value for argument 'input_shape': layer '{self.name}' ({type(self).__name__}) cannot "
                f"take inputs of this shape ({type(err).__name__}: {err}). Received: input_shape={input_shape}"
            ) from None
        except BaseException:
            self.unbuild()
            raise
        shapes = self.output_shape if isinstance(self.output_shape, list) else [self.output_shape]
        if any(s is None or len(s) < 2 or any(d is not None and d < 1 for d in s[1:]) for s in shapes):
            received = self.output_shape
            self.unbuild()
            raise ValueError(
                f"Invalid value for argument 'input_shape': layer '{self.name}' ({type(self).__name__}) gives "
                f"outputs of shape {received}, with no sample axis or an empty one. Received: input_shape={input_shape}"
            )

    def check_input_shape(self, input_shape, argument: str = "input_shape") -> None:
        """Raise a clear error when ``input_shape`` (batch axis included) is not what the layer was built for."""
        expected = self.input_shape
        if self.takes_list and len(expected) != len(input_shape):
            raise invalid(argument, f"a list of {len(expected)} tensors for layer '{self.name}'", len(input_shape))
        pairs = zip(expected, input_shape) if self.takes_list else [(expected, input_shape)]
        for want, got in pairs:
            if len(want) == len(got) and tuple(want[1:]) == tuple(got[1:]):
                continue
            if argument == "inputs":
                raise ValueError(
                    f"Invalid value for argument 'inputs': expected an array of shape {format_shape(want)} "
                    f"for layer '{self.name}'. Received: inputs.shape={format_shape(got)}"
                )
            raise ValueError(
                f"Invalid value for argument 'input_shape': layer '{self.name}' was built for inputs "
                f"{format_shape(want)}. Received: input_shape={format_shape(tuple(got))}"
            )

    # -- running ----------------------------------------------------------------------------------
    def __call__(self, inputs, training=None, **kwargs):
        """On arrays (or array-likes): run ``forward`` (``training`` False unless given) and return arrays with
        ``.numpy()``. On KerasTensors: record a node of the functional graph and return its KerasTensors."""
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__call__() got unexpected keyword argument(s): {sorted(kwargs)}")
        if training is not None:
            training = flag("training", training)
        self._check_structure(inputs)
        if graph.is_symbolic(inputs):
            return self.call_symbolic(inputs, training)
        arrays = [self._as_array(v) for v in inputs] if self.takes_list else self._as_array(inputs)
        if self.built:
            self.check_input_shape(_shapes(arrays), "inputs")
        self.ensure_built(_shapes(arrays))
        return as_tensor(self.forward(arrays, training=bool(training)))

    def _check_structure(self, inputs) -> None:
        if self.takes_list and not (isinstance(inputs, (list, tuple)) and len(inputs) >= 1):
            raise invalid("inputs", f"a list of tensors for layer '{self.name}'", type(inputs).__name__, TypeError)
        if not self.takes_list and isinstance(inputs, (list, tuple)) and graph.is_symbolic(inputs):
            raise invalid("inputs", f"a single tensor for layer '{self.name}'", f"a list of {len(inputs)}", TypeError)

    def _as_array(self, value) -> np.ndarray:
        """An array-like (list, array, object with ``__array__``) as an array of this layer's dtype."""
        if value is None or isinstance(value, (str, bytes, dict)):
            raise invalid("inputs", f"an array for layer '{self.name}'", type(value).__name__, TypeError)
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as err:
            raise invalid(
                "inputs", f"an array for layer '{self.name}'", f"an object that is not one ({err})", TypeError
            ) from None
        if arr.dtype.kind not in "biuf":
            raise invalid("inputs", f"a numeric array for layer '{self.name}'", f"dtype {arr.dtype}", TypeError)
        if arr.ndim == 0:
            raise invalid("inputs", f"an array with a batch axis for layer '{self.name}'", "a scalar")
        return np.ascontiguousarray(arr, dtype=self.dtype)

    def call_symbolic(self, inputs, training=None):
        """Build for the KerasTensors' shapes, record the call as a node, return the output KerasTensor(s)."""
        tensors = list(inputs) if self.takes_list else [inputs]
        if not all(isinstance(t, graph.KerasTensor) for t in tensors):
            raise invalid(
                "inputs", f"KerasTensors only (not a mix with arrays) for layer '{self.name}'", tensors, TypeError
            )
        shapes = [t.shape for t in tensors] if self.takes_list else tensors[0].shape
        self.ensure_built(shapes)
        out_shape = self.compute_output_shape(self.input_shape)
        node = graph.Node(self, tensors, self.takes_list, training)
        outputs = out_shape if isinstance(out_shape, list) else [out_shape]
        node.outputs = [graph.KerasTensor(s, self.dtype.name, node, i) for i, s in enumerate(outputs)]
        return node.outputs if isinstance(out_shape, list) else node.outputs[0]

    def _first_node(self, what: str):
        nodes = [node for node in self._inbound_nodes if node.outputs]
        if not nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        return nodes[0]

    @property
    def output(self):
        """The KerasTensor(s) the layer's first call on KerasTensors gave (Keras 3: the first call, for a
        shared layer); ``AttributeError`` if it was never called on one. For ``Model(inputs, layer.output)``."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    @property
    def input(self):
        """The KerasTensor(s) the layer's first call on KerasTensors read (a list for a merge layer)."""
        node = self._first_node("input")
        return list(node.inputs) if node.as_list or len(node.inputs) != 1 else node.inputs[0]

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def backward_weights(self, dy) -> None:
        """The weight gradients only (nothing before this layer needs a gradient); layers that can skip the
        input gradient's work override this."""
        self.backward(dy)

    # -- weights ----------------------------------------------------------------------------------
    def unbuild(self) -> None:
        """Forget the weights and shapes of a build that failed part-way, so the layer can be built again."""
        self.params, self.grads, self.state = {}, {}, {}
        self.regularizers, self.constraints = {}, {}
        self.built = False
        self.input_shape = self.output_shape = None
        graph.changed()

    def count_params(self) -> int:
        """The number of scalars in the weights; ``ValueError`` before the layer is built, as in Keras 3."""
        if not self._has_weights_to_count():
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                "You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(w.size for w in self.weights))

    def _has_weights_to_count(self) -> bool:
        return self.built

    # -- description ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.input_spec_shape is not None:
            config["input_shape"] = list(self.input_spec_shape)
        if self.activity_regularizer is not None:
            from numcnn._registry import serialize

            config["activity_regularizer"] = serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        shape = "" if self.output_shape is None else f", output_shape={format_shape(self.output_shape)}"
        return f"<{type(self).__name__} name={self.name!r}{shape}, params={self.count_params() if self.built else '?'}>"
