"""The symbolic side of ``numcnn.ops``: a call on KerasTensors becomes a node of the graph being built, whose
layer (an :class:`OpLayer`) computes the op on arrays and back-propagates through its vector-Jacobian product.

``y = ops.mean(x * x, axis=-1)`` on ``x = numcnn.Input((4,))`` records two nodes, ``multiply_1`` and
``mean_1``; ``numcnn.Model(x, y)`` then runs and trains them like any layer. One layer is made per call. Inputs
that are not KerasTensors (numbers, arrays) are captured as constants of the layer, and keyword arguments
(``axis``, ``keepdims``…) as its constants; both are in its ``get_config``.

The layers' classes are named after the op as in Keras 3's summaries (``mean (Mean)``, ``multiply
(Multiply)``); all are subclasses of :class:`OpLayer`, which holds the logic. Saving a model that contains
them is not supported by numcnn's file formats.
"""

from __future__ import annotations

import contextlib

import numpy as np

from numcnn import graph
from numcnn._checks import invalid
from numcnn._registry import Registry
from numcnn.layers.base import Layer, unique_name
from numcnn.ops import _dtypes
from numcnn.ops._op import Op

OPS = Registry("op", Op)  # every op by name, so an OpLayer's config can name its op
_classes: dict[str, type] = {}


def register(op: Op) -> Op:
    """Make ``op`` known by its name (for :meth:`OpLayer.from_config`); returns it."""
    OPS.register(op, op.name)
    return op


def _class_name(op_name: str) -> str:
    return "".join(part.capitalize() for part in op_name.split("_"))


def layer_class(op: Op) -> type:
    """The OpLayer subclass named after ``op`` (``Mean`` for ``mean``), made once."""
    cls = _classes.get(op.name)
    if cls is None:
        doc = f"The layer of a ``numcnn.ops.{op.name}`` call on KerasTensors (see :class:`OpLayer`)."
        cls = _classes[op.name] = type(_class_name(op.name), (OpLayer,), {"__doc__": doc})
    return cls


class OpLayer(Layer):
    """One call of a ``numcnn.ops`` function on KerasTensors, as a layer of a model's graph.

    ``positions``: where in the op's positional arguments the KerasTensor inputs go (in input order);
    ``captured``: the other positional arguments, ``{position: value}`` (numbers or arrays, copied);
    ``constants``: the keyword arguments. A layer with several tensor inputs takes a list (``takes_list``).
    """

    is_operation = True  # not a layer a user wrote: an op recorded while a model was built

    def __init__(self, op, positions=(0,), captured=None, constants=None, name=None, **kwargs):
        op = OPS.lookup(op) if isinstance(op, str) else op
        if not isinstance(op, Op):
            raise invalid("op", "a numcnn.ops op or its name", op, TypeError)
        super().__init__(name=name or unique_name(op.name), **kwargs)
        self.op = op
        self.positions = tuple(int(p) for p in positions)
        self.captured = {int(i): _copy(v) for i, v in (captured or {}).items()}
        self.constants = dict(constants or {})
        self.takes_list = len(self.positions) > 1
        self.in_dtypes = self.out_dtypes = None
        self._cache = None

    # -- building the node --------------------------------------------------------------------------
    def _arguments(self, inputs: list) -> list:
        args = [None] * (len(self.positions) + len(self.captured))
        for position, value in zip(self.positions, inputs):
            args[position] = value
        for position, value in self.captured.items():
            args[position] = value
        return args

    def call_symbolic(self, inputs, training=None):
        """Record this op's node on ``inputs`` (KerasTensors) and return its output KerasTensor(s)."""
        tensors = list(inputs) if self.takes_list else [inputs]
        if len(tensors) != len(self.positions) or not all(isinstance(t, graph.KerasTensor) for t in tensors):
            raise invalid("inputs", f"{len(self.positions)} KerasTensor(s) for op '{self.name}'", tensors, TypeError)
        args = self._arguments(tensors)
        shapes = [a.shape if isinstance(a, graph.KerasTensor) else np.shape(a) for a in args]
        out_shape = self.op.shape(*shapes, **self.constants)
        self.in_dtypes = [np.dtype(a.dtype) if isinstance(a, graph.KerasTensor) else _dtypes.dtype_of(a) for a in args]
        self.out_dtypes = self.op.out_dtypes(self.in_dtypes, self.constants)
        floats = [d for d in self.out_dtypes if d.kind == "f" and d.itemsize >= 4]
        self.dtype = floats[0] if floats else _dtypes.floatx()
        node = graph.Node(self, tensors, self.takes_list, training)
        out_shapes = out_shape if isinstance(out_shape, list) else [out_shape]
        if len(self.out_dtypes) != len(out_shapes):  # pieces of a split all have the one dtype
            self.out_dtypes = self.out_dtypes[:1] * len(out_shapes)
        node.outputs = [
            graph.KerasTensor(s, d.name, node, i) for i, (s, d) in enumerate(zip(out_shapes, self.out_dtypes))
        ]
        self.input_shape = [t.shape for t in tensors] if self.takes_list else tensors[0].shape
        self.output_shape = out_shape
        self.built = True
        return node.outputs if isinstance(out_shape, list) else node.outputs[0]

    def __call__(self, inputs, training=None, **kwargs):
        """On KerasTensors: record the node. On arrays: the op's result, as ``numcnn.ops`` gives it."""
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__call__() got unexpected keyword argument(s): {sorted(kwargs)}")
        if graph.is_symbolic(inputs):
            return self.call_symbolic(inputs, training)
        values = list(inputs) if self.takes_list else [inputs]
        return self.op(*self._arguments(values), **self.constants)

    # -- running ------------------------------------------------------------------------------------
    def forward(self, x, training=False):
        values = list(x) if self.takes_list else [x]
        arrays = [_dtypes.to_input(a) for a in self._arguments(values)]
        for position in self.positions:  # in the dtypes recorded at trace time, whatever the producer gave
            if arrays[position].dtype != self.in_dtypes[position]:
                arrays[position] = arrays[position].astype(self.in_dtypes[position])
        arrays = self.op.prepare(arrays, self.out_dtypes[0])
        y = self.op.compute(arrays, self.out_dtypes, self.constants)
        self._cache = (arrays, y) if self.op.backward is not None else None
        # contiguous, as every layer's output is: the numba kernels downstream expect it
        if isinstance(y, tuple):
            return [_contiguous(v) for v in y]
        return _contiguous(y)

    def backward(self, dy):
        """The gradient for each tensor input (None for inputs that are not floats, or when the op has none)."""
        grads = [None] * len(self.positions)
        if self.op.backward is not None:
            arrays, y = self._cache
            if isinstance(y, tuple):  # an output nothing used arrives as a placeholder: its gradient is zero
                dy = tuple(g if np.shape(g) == v.shape else np.zeros(v.shape, _grad_dtype(v)) for g, v in zip(dy, y))
            result = self.op.backward(dy, y, *arrays, **self.constants)
            result = list(result) if isinstance(result, (list, tuple)) else [result]
            for k, position in enumerate(self.positions):
                g = result[position]
                if g is None or self.in_dtypes[position].kind != "f":
                    continue
                grads[k] = _contiguous(np.asarray(g, dtype=self.in_dtypes[position]))
        return grads if self.takes_list else grads[0]

    # -- description ----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The op's name, where its tensors go, its captured values and its constants, all JSON-able."""
        config = super().get_config()
        config.update(
            op=self.op.name,
            positions=list(self.positions),
            captured={str(i): encode(v) for i, v in self.captured.items()},
            constants={k: encode(v) for k, v in self.constants.items()},
        )
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        captured = {int(i): decode(v) for i, v in config.pop("captured", {}).items()}
        constants = {k: decode(v) for k, v in config.pop("constants", {}).items()}
        return cls(config.pop("op"), config.pop("positions", (0,)), captured, constants, **config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} (numcnn.ops.{self.op.name})>"


def _contiguous(array: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray, which makes 0-d arrays 1-d
    return array if array.flags.c_contiguous else array.copy(order="C")


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _grad_dtype(y):
    return y.dtype if y.dtype.kind == "f" else _dtypes.floatx()


def record(op: Op, args, constants: dict):
    """Record ``op`` called on ``args`` (some of them KerasTensors) as a node; return its output tensor(s)."""
    positions = [i for i, a in enumerate(args) if isinstance(a, graph.KerasTensor)]
    captured = {}
    for i, a in enumerate(args):
        if i not in positions:
            if graph.is_symbolic(a):
                raise invalid("x", f"a tensor for numcnn.ops.{op.name}, not a list holding KerasTensors", a, TypeError)
            captured[i] = a if isinstance(a, (bool, int, float)) else _dtypes.to_array(a)  # OpLayer copies it
    layer = layer_class(op)(op, positions, captured, constants)
    tensors = [args[i] for i in positions]
    return layer.call_symbolic(tensors if layer.takes_list else tensors[0])


# (array, tensor) pairs: while a model's call() is traced, the weights of its own and the tensors standing for them
_weights: list[list] = []


@contextlib.contextmanager
def reading_weights(pairs):
    """Within the block, an op given a Variable of one of ``pairs``' arrays reads its tensor instead, so
    ``ops.matmul(x, self.trainable_weights[0])`` records a read of the weight rather than a constant."""
    _weights.append(list(pairs))
    try:
        yield
    finally:
        _weights.pop()


def same_array(value, array: np.ndarray) -> bool:
    """Whether ``value`` is ``array`` or a whole view of it (a Variable handed out for it)."""
    if not isinstance(value, np.ndarray):
        return False
    return (
        value.shape == array.shape
        and value.dtype == array.dtype
        and value.strides == array.strides
        and value.__array_interface__["data"][0] == array.__array_interface__["data"][0]
    )


def substitute(value, pairs):
    """``value`` with each array of ``pairs`` in it (nested lists, tuples and dicts) replaced by its tensor;
    ``value`` itself when it holds none."""
    if isinstance(value, np.ndarray):
        return next((t for array, t in pairs if same_array(value, array)), value)
    if type(value) in (list, tuple):  # not subclasses (named tuples), which may not rebuild from a list
        items = [substitute(v, pairs) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    if type(value) is dict:
        items = {k: substitute(v, pairs) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value


def weight_arguments(args: tuple) -> tuple:
    """An op's positional ``args`` with the traced model's weights as their tensors (``args`` outside a trace)."""
    return tuple(substitute(a, _weights[-1]) for a in args) if _weights else args


def encode(value):
    """``value`` as JSON: tuples as lists, slices, ``...`` and arrays as tagged dicts."""
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": None}
    if isinstance(value, (np.ndarray, np.generic)):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, np.dtype):
        return value.name
    return value


def decode(value):
    """The inverse of :func:`encode` (lists come back as tuples)."""
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        kind = value.get("class_name")
        if kind == "__slice__":
            return slice(*value["config"])
        if kind == "__ellipsis__":
            return Ellipsis
        if kind == "__numpy__":
            return _dtypes.to_array(value["config"]["value"], _dtypes.standardize_dtype(value["config"]["dtype"]))
    return value
