"""``Sequential``: a stack of layers with Keras' model API, and ``load_model``.

Construction and description live here (``add``, ``build``, ``summary``, weights, saving); the training
loop is in ``numcnn/training.py``, which ``Sequential`` inherits from.
"""

from __future__ import annotations

import numpy as np

from numcnn import layers as layers_module
from numcnn._checks import file_path, invalid, positive_int, shape_tuple
from numcnn.layers.base import InputLayer, Layer, format_shape, unique_name
from numcnn.layers.conv import Conv2D
from numcnn.layers.pooling import MaxPooling2D
from numcnn.saving import read_archive, write_archive
from numcnn.training import TrainingMixin


class Sequential(TrainingMixin):
    """A linear stack of layers: ``Sequential([Conv2D(...), ..., Dense(10, activation="softmax")])``."""

    def __init__(self, layers=None, name=None):
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise invalid("layers", "a list of layers or None", layers, TypeError)
        if name is not None and not isinstance(name, str):
            raise invalid("name", "a string or None", name, TypeError)
        self.name = name or unique_name("sequential")
        self._layers: list[Layer] = []
        self._input_shape: tuple | None = None
        self._declared_input_shape: tuple | None = None  # from an Input layer: kept when every layer is popped
        self.built = False
        self.optimizer = None
        self.loss = None
        self.history = None
        self.stop_training = False
        for layer in layers or []:
            self.add(layer)

    # -- construction ---------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append ``layer``; the first may carry ``input_shape=`` or be ``Input(shape=...)``.

        When the input shape is known the layer is built at once, so a layer that cannot take its input
        (a kernel larger than the image, a wrong rank, …) is refused here and the model stays as it was.
        A layer already in another model is shared with it, weights included, as in Keras.
        """
        if not isinstance(layer, Layer):
            raise invalid("layer", "a numcnn layer instance", layer, TypeError)
        if isinstance(layer, InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError(
                    "Invalid value for argument 'layer': expected an Input only as the first layer. "
                    f"Received: {layer.name!r} after {len(self._layers)} layer(s)"
                )
            self._input_shape = self._declared_input_shape = (None, *layer.shape)
            return
        if any(existing is layer for existing in self._layers):
            raise invalid("layer", "a layer instance not already in this model", layer.name)
        if any(existing.name == layer.name for existing in self._layers):
            raise invalid("layer", "a layer with a name unique in the model", layer.name)
        input_shape = self._input_shape
        if not self._layers and input_shape is None:
            if layer.input_spec_shape is not None:
                input_shape = (None, *layer.input_spec_shape)
            elif layer.built:
                input_shape = (None, *layer.input_shape[1:])
        if self._layers:
            input_shape = self._layers[-1].output_shape if self.built else None
        if input_shape is not None:
            _build_layer(layer, input_shape)
            self._input_shape = self._input_shape or input_shape
            self.built = True
        self._layers.append(layer)
        self._adopt(layer)
        if self.built:
            self._plan_fusions()

    def _adopt(self, layer: Layer) -> None:
        owners = getattr(layer, "_models", None)
        if owners is None:
            return
        owners.add(self)
        if len(owners) > 1:  # shared: the other models drop the fusions planned around it
            for model in list(owners):
                if model is not self and model.built:
                    model._plan_fusions()

    def pop(self) -> Layer:
        if not self._layers:
            raise ValueError("There are no layers in the model to pop")
        layer = self._layers.pop()
        owners = getattr(layer, "_models", None)
        if owners is not None:
            owners.discard(self)
        if not self._layers:
            self.built = False
            self._input_shape = self._declared_input_shape
        return layer

    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of ``input_shape``, batch axis included: ``(None, 28, 28, 1)``.

        All or nothing: if a layer cannot take its input, the layers built so far are unbuilt again and
        the model keeps its previous input shape.
        """
        if input_shape is None:
            input_shape = self._input_shape
        if input_shape is None:
            raise ValueError("The model has no input shape: pass input_shape to the first layer or call build()")
        expected = "a shape tuple with the batch axis, e.g. (None, 28, 28, 1)"
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
            raise invalid("input_shape", expected, input_shape, TypeError)
        try:
            shape = (None, *shape_tuple("input_shape", tuple(input_shape)[1:]))
        except TypeError:
            raise invalid("input_shape", expected, input_shape, TypeError) from None
        except ValueError:
            raise invalid("input_shape", expected + " with positive sizes", input_shape) from None
        if not self._layers:
            raise ValueError(f"The model '{self.name}' has no layers to build: add layers first")
        built_now = []
        try:
            current = shape
            for layer in self._layers:
                if not layer.built:
                    built_now.append(layer)
                _build_layer(layer, current)
                current = layer.output_shape
        except BaseException:
            for layer in built_now:
                layer.unbuild()
            raise
        self._input_shape = shape
        self.built = True
        self._plan_fusions()

    def _plan_fusions(self) -> None:
        """Plan work across neighbouring layers from the layer sequence:

        - the first layer with weights computes no input gradient: nothing before it needs one;
        - a max-pool right after a Conv2D that can take it is fused with it: the convolution pools its own
          output chunk by chunk (``pool_after``; the full output is never built) and the pool hands back its
          gradient unscattered (``defer_scatter``), which the convolution scatters chunk by chunk.

        A layer shared with another model keeps the plain behaviour: its neighbours may differ there."""
        first, previous = True, None
        for layer in self._layers:
            shared = len(getattr(layer, "_models", ())) > 1
            if hasattr(layer, "input_gradient"):
                layer.input_gradient = not first or shared
            if layer.params:
                first = False
            if isinstance(layer, Conv2D):
                layer.pool_after = None
            if isinstance(layer, MaxPooling2D):
                layer.defer_scatter = (
                    isinstance(previous, Conv2D)
                    and previous.accepts_pooled_gradient()
                    and layer.data_format == "channels_last"
                    and not shared
                    and len(getattr(previous, "_models", ())) <= 1
                )
                if layer.defer_scatter:
                    previous.pool_after = layer
            previous = layer

    @property
    def input_shape(self):
        return self._input_shape

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self.built and self._layers else None

    # -- weights --------------------------------------------------------------------------------
    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"The model must be built before {what}: give the first layer an input_shape")

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self._layers for w in layer.weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's weights, in Keras' order (``[kernel, bias]`` per layer, layers in order)."""
        self._require_built("get_weights")
        return [w for layer in self._layers for w in layer.get_weights()]

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
        for layer in self._layers:  # every array is checked before any layer is written
            count = len(layer.weights)
            checked.append(layer.checked_weights(list(weights[start : start + count])))
            start += count
        for layer, arrays in zip(self._layers, checked):
            layer.assign_weights(arrays)

    def trainable_params(self) -> tuple[dict, dict]:
        """``({"layer/name": param}, {"layer/name": grad})`` of the trainable weights, the optimizer's view."""
        params, grads = {}, {}
        for layer in self._layers:
            if layer.trainable:
                for key, value in layer.params.items():
                    params[f"{layer.name}/{key}"] = value
                    grads[f"{layer.name}/{key}"] = layer.grads[key]
        return params, grads

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._layers)

    # -- description ----------------------------------------------------------------------------
    def summary(self, print_fn=print, line_length=65) -> None:
        """Print Keras' table: layer (type), output shape, param count, then the totals."""
        self._require_built("summary")
        if not callable(print_fn):
            raise invalid("print_fn", "a function such as print", print_fn, TypeError)
        line_length = positive_int("line_length", line_length)
        cols = [int(line_length * f) for f in (0.45, 0.85, 1.0)]

        def row(fields):
            line = ""
            for field, stop in zip(fields, cols):
                line = (line + str(field))[: stop - 1].ljust(stop)
            return line.rstrip()

        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        print_fn(row(["Layer (type)", "Output Shape", "Param #"]))
        print_fn("=" * line_length)
        for i, layer in enumerate(self._layers):
            print_fn(
                row(
                    [
                        f"{layer.name} ({type(layer).__name__})",
                        format_shape(layer.output_shape),
                        f"{layer.count_params()}",
                    ]
                )
            )
            print_fn(("=" if i == len(self._layers) - 1 else "_") * line_length)
        trainable = sum(p.size for layer in self._layers if layer.trainable for p in layer.params.values())
        total = self.count_params()
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "input_shape": None if self._input_shape is None else list(self._input_shape[1:]),
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self._layers],
        }

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, params={self.count_params()}>"

    # -- files ----------------------------------------------------------------------------------
    def _weight_arrays(self) -> dict[str, np.ndarray]:
        """Weights named ``"003:conv2d_2/kernel"``: position first, so loading goes by order like Keras."""
        names = [f"{layer.name}/{key}" for layer in self._layers for key in (*layer.params, *layer.state)]
        return {f"{i:03d}:{name}": w for i, (name, w) in enumerate(zip(names, self.weights))}

    def save(self, filepath) -> None:
        """Write architecture, compile settings and weights to one ``.npz`` file, atomically."""
        filepath = file_path("filepath", filepath)
        self._require_built("save")
        meta = {"config": self.get_config(), "compile": self._compile_config()}
        write_archive(filepath, meta, self._weight_arrays())

    def save_weights(self, filepath) -> None:
        filepath = file_path("filepath", filepath)
        self._require_built("save_weights")
        write_archive(filepath, {"config": None}, self._weight_arrays())

    def load_weights(self, filepath) -> None:
        """Load weights saved by ``save`` or ``save_weights`` of a model with the same layers."""
        filepath = file_path("filepath", filepath)
        self._require_built("load_weights")
        _, arrays = read_archive(filepath)
        self.set_weights(_ordered_weights(arrays, len(self.weights), filepath))


def _build_layer(layer: Layer, input_shape: tuple) -> None:
    """Build ``layer`` for ``input_shape`` (or check a built one fits); on failure leave it unbuilt."""
    if layer.built:
        if tuple(layer.input_shape[1:]) != tuple(input_shape[1:]):
            raise ValueError(
                f"Invalid value for argument 'input_shape': layer '{layer.name}' was built for inputs "
                f"{format_shape(layer.input_shape)}. Received: input_shape={format_shape(input_shape)}"
            )
        return
    try:
        # Shapes first: a layer may make its weights before checking that its output is not empty, and a
        # kernel larger than the image can still be gigabytes.
        layer.compute_output_shape(input_shape)
    except (ValueError, TypeError):
        raise
    except Exception:  # a layer whose own build() checks the shape, with a better message
        pass
    try:
        layer.build(input_shape)
    except (IndexError, KeyError, ZeroDivisionError) as err:  # a layer without its own shape checks
        layer.unbuild()
        raise ValueError(
            f"Invalid value for argument 'input_shape': layer '{layer.name}' ({type(layer).__name__}) cannot "
            f"take inputs of this shape ({type(err).__name__}: {err}). Received: input_shape={tuple(input_shape)}"
        ) from None
    except BaseException:
        layer.unbuild()
        raise
    if (
        layer.output_shape is None
        or len(layer.output_shape) < 2
        or any(d is not None and d < 1 for d in layer.output_shape[1:])
    ):
        received = layer.output_shape
        layer.unbuild()
        raise ValueError(
            f"Invalid value for argument 'input_shape': layer '{layer.name}' ({type(layer).__name__}) gives "
            f"outputs of shape {received}, with no sample axis or an empty one. "
            f"Received: input_shape={tuple(input_shape)}"
        )


def _ordered_weights(arrays: dict, expected: int, filepath) -> list[np.ndarray]:
    """The arrays of a model file in saved order; their shapes are checked by ``set_weights``."""
    if len(arrays) != expected or not all(name[:3].isdigit() for name in arrays):
        raise ValueError(
            f"Cannot load weights from '{filepath}': expected {expected} weight arrays. "
            f"Received: {len(arrays)} arrays named {sorted(arrays)[:6]}"
        )
    return [arrays[name] for name in sorted(arrays)]


def model_from_config(config: dict) -> Sequential:
    """Rebuild an (unbuilt-weights) Sequential from ``get_config()`` output."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"Invalid model config: expected a dict with a 'layers' list. Received: {config!r:.200}")
    for spec in config["layers"]:
        if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
            raise ValueError(
                f"Invalid layer config: expected {{'class_name': str, 'config': dict}}. Received: {spec!r:.200}"
            )
        if not isinstance(spec.get("config", {}), dict):
            raise ValueError(f"Invalid layer config: expected a dict under 'config'. Received: {spec!r:.200}")
    input_shape = config.get("input_shape")
    if input_shape is not None and not isinstance(input_shape, list):
        raise ValueError(
            f"Invalid model config: expected 'input_shape' a list of sizes. Received: {input_shape!r:.200}"
        )
    model = Sequential(name=config.get("name"))
    if input_shape is not None:
        model.add(layers_module.Input(shape=tuple(input_shape)))
    for spec in config["layers"]:
        model.add(layers_module.deserialize(spec))
    return model


def load_model(filepath, compile=True) -> Sequential:  # noqa: A002 (Keras' argument name)
    """Load a model written by ``Sequential.save``; refuses pickles and files of the wrong shape.

    Raises ``ValueError`` for anything but a readable numcnn model file (a missing file raises
    ``FileNotFoundError``, which is also a ``ValueError`` as in Keras). No code in the file is ever run.
    """
    filepath = file_path("filepath", filepath)
    meta, arrays = read_archive(filepath)
    if not meta.get("config"):
        raise ValueError(f"Cannot load '{filepath}' as a model: it holds weights only (use load_weights)")
    try:
        model = model_from_config(meta["config"])
    except (TypeError, KeyError, ValueError) as err:
        raise ValueError(f"Cannot load '{filepath}': invalid model config ({err})") from None
    try:
        model.set_weights(_ordered_weights(arrays, len(model.weights), filepath))
    except (TypeError, ValueError) as err:
        raise ValueError(f"Cannot load '{filepath}': {err}") from None
    settings = meta.get("compile")
    if compile and settings:
        try:
            if not isinstance(settings, dict):
                raise TypeError(f"expected a dict, got {type(settings).__name__}")
            model.compile(**settings)
        except (TypeError, ValueError) as err:
            raise ValueError(f"Cannot load '{filepath}': invalid compile settings ({err})") from None
    return model


__all__ = ["Sequential", "load_model", "model_from_config"]
