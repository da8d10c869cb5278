"""``Sequential``: a stack of layers with Keras' model API, and ``load_model``.

Construction and description live here (``add``, ``build``, ``summary``, weights, saving); the training
loop is in ``numcnn/training.py``, which ``Sequential`` inherits from.
"""

from __future__ import annotations

import numpy as np

from numcnn import layers as layers_module
from numcnn._checks import invalid, shape_tuple
from numcnn.layers.base import InputLayer, Layer, format_shape, unique_name
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
        """Append ``layer``; the first may carry ``input_shape=`` or be ``Input(shape=...)``."""
        if not isinstance(layer, Layer):
            raise invalid("layer", "a numcnn layer instance", layer, TypeError)
        if isinstance(layer, InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError("Invalid value for argument 'layer': an Input must be the first layer added")
            self._input_shape = (None, *layer.shape)
            self.build(self._input_shape)
            return
        if any(existing.name == layer.name for existing in self._layers):
            raise invalid("layer", "a layer with a name unique in the model", layer.name)
        if not self._layers and self._input_shape is None and layer.input_spec_shape is not None:
            self._input_shape = (None, *layer.input_spec_shape)
        if self.built:
            layer.build(self._layers[-1].output_shape if self._layers else self._input_shape)
        self._layers.append(layer)
        if not self.built and self._input_shape is not None:
            self.build(self._input_shape)

    def pop(self) -> Layer:
        if not self._layers:
            raise ValueError("There are no layers in the model to pop")
        return self._layers.pop()

    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of ``input_shape``, batch axis included: ``(None, 28, 28, 1)``."""
        if input_shape is None:
            input_shape = self._input_shape
        if input_shape is None:
            raise ValueError("The model has no input shape: pass input_shape to the first layer or call build()")
        if not isinstance(input_shape, (tuple, list)):
            raise invalid(
                "input_shape",
                "a shape tuple with the batch axis, e.g. (None, 28, 28, 1)",
                input_shape,
                TypeError,
            )
        self._input_shape = (None, *shape_tuple("input_shape", tuple(input_shape)[1:]))
        shape = self._input_shape
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            elif tuple(layer.input_shape[1:]) != tuple(shape[1:]):
                raise ValueError(
                    f"Layer '{layer.name}' was built for inputs {format_shape(layer.input_shape)} "
                    f"but receives {format_shape(shape)}"
                )
            shape = layer.output_shape
        self.built = True
        self._mark_input_gradients()

    def _mark_input_gradients(self) -> None:
        """Skip the input gradient of the first layer with weights: nothing before it needs one."""
        first = True
        for layer in self._layers:
            if hasattr(layer, "input_gradient"):
                layer.input_gradient = not first
            if layer.params:
                first = False

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
        chunks, start = [], 0
        for layer in self._layers:
            count = len(layer.weights)
            chunks.append(list(weights[start : start + count]))
            start += count
        snapshot = self.get_weights()
        try:
            for layer, chunk in zip(self._layers, chunks):
                layer.set_weights(chunk)
        except (ValueError, TypeError):
            self.set_weights(snapshot)  # a later layer's bad array must not leave earlier ones changed
            raise

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
        self._require_built("save")
        meta = {"config": self.get_config(), "compile": self._compile_config()}
        write_archive(filepath, meta, self._weight_arrays())

    def save_weights(self, filepath) -> None:
        self._require_built("save_weights")
        write_archive(filepath, {"config": None}, self._weight_arrays())

    def load_weights(self, filepath) -> None:
        """Load weights saved by ``save`` or ``save_weights`` of a model with the same layers."""
        self._require_built("load_weights")
        _, arrays = read_archive(filepath)
        self.set_weights(_ordered_weights(arrays, len(self.weights), filepath))


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
    model = Sequential(name=config.get("name"))
    if config.get("input_shape") is not None:
        model.add(layers_module.Input(shape=tuple(config["input_shape"])))
    for spec in config["layers"]:
        model.add(layers_module.deserialize(spec))
    return model


def load_model(filepath, compile=True) -> Sequential:  # noqa: A002 (Keras' argument name)
    """Load a model written by ``Sequential.save``; refuses pickles and files of the wrong shape."""
    meta, arrays = read_archive(filepath)
    if not meta.get("config"):
        raise ValueError(f"Cannot load '{filepath}' as a model: it holds weights only (use load_weights)")
    try:
        model = model_from_config(meta["config"])
    except (TypeError, KeyError) as err:
        raise ValueError(f"Cannot load '{filepath}': invalid model config ({err})") from None
    model.set_weights(_ordered_weights(arrays, len(model.weights), filepath))
    if compile and meta.get("compile"):
        model.compile(**meta["compile"])
    return model


__all__ = ["Sequential", "load_model", "model_from_config"]
