"""Saving and loading models in numcnn's own ``.npz`` format: ``save``, ``save_weights``, ``load_weights`` and
``load_model``.

A file holds the weights as ``weight:<i>`` in ``get_weights`` order and, for a compiled model, the optimizer's
state as ``optimizer:<slot>:<j>`` (``j`` the position of the trainable weight it belongs to) with the step
count in the metadata, so that training resumes exactly where it stopped. Positions, not layer names, tie
arrays to weights, as Keras matches a weights file to a model of the same structure. Files of format version
1 (``"003:conv2d_2/kernel"`` names) still load. Everything is written atomically and read without pickles.
"""

from __future__ import annotations

import re
import warnings

from numcnn._checks import file_path
from numcnn.saving import read_archive, write_archive

_WEIGHT = re.compile(r"weight:(\d+)\Z")
_OPTIMIZER = re.compile(r"optimizer:([A-Za-z_]+):(\d+)\Z")
_V1_WEIGHT = re.compile(r"(\d+):")


def _trainable_keys(model) -> list[str]:
    return [key for key, layer, name in model.weight_keys() if name in layer.params]


def optimizer_arrays(model) -> tuple[dict, dict | None]:
    """``({'optimizer:<slot>:<j>': array}, {'class_name', 'iterations'})`` of a compiled model's optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {}, None
    index = {key: j for j, key in enumerate(_trainable_keys(model))}
    arrays = {}
    for name, value in optimizer.state_dict().items():
        if name == "iterations":
            continue
        slot, _, key = name.partition("/")
        if key in index:
            arrays[f"optimizer:{slot}:{index[key]}"] = value
    return arrays, {"class_name": type(optimizer).__name__, "iterations": int(optimizer.iterations)}


def _restore_optimizer(model, arrays: dict, meta: dict | None, filepath) -> None:
    optimizer = getattr(model, "optimizer", None)
    if meta is None or optimizer is None:
        return
    if meta.get("class_name") != type(optimizer).__name__:
        warnings.warn(
            f"'{filepath}' holds the state of a {meta.get('class_name')} optimizer; the model's is a "
            f"{type(optimizer).__name__}, so its state starts afresh",
            UserWarning,
            stacklevel=3,
        )
        return
    keys = _trainable_keys(model)
    state = {"iterations": meta.get("iterations")}
    for name, value in arrays.items():
        slot, j = _OPTIMIZER.match(name).groups()
        if int(j) >= len(keys):
            raise ValueError(f"Cannot load '{filepath}': optimizer state for weight {j} of a model with {len(keys)}")
        state[f"{slot}/{keys[int(j)]}"] = value
    optimizer.load_state_dict(state)


def _weights_in_order(arrays: dict, expected: int, filepath) -> tuple[list, dict]:
    """The weight arrays in saved order (by their number, never as strings: "1000" sorts after "999"), and
    the optimizer's arrays."""
    weights, optimizer, v1 = {}, {}, {}
    for name, value in arrays.items():
        if (m := _WEIGHT.match(name)) is not None:
            weights[int(m.group(1))] = value
        elif _OPTIMIZER.match(name):
            optimizer[name] = value
        elif (m := _V1_WEIGHT.match(name)) is not None:
            v1[int(m.group(1))] = value
        else:
            raise ValueError(f"Cannot load weights from '{filepath}': unexpected entry {name!r}")
    found = weights or v1
    if sorted(found) != list(range(expected)) or (weights and v1):
        raise ValueError(
            f"Cannot load weights from '{filepath}': expected {expected} weight arrays. "
            f"Received: {len(found)} arrays numbered {sorted(found)[:6]}"
        )
    return [found[i] for i in range(expected)], optimizer


class FilesMixin:
    """``save``, ``save_weights`` and ``load_weights`` for models (numcnn's ``.npz`` format)."""

    def _file_arrays(self) -> tuple[dict, dict | None]:
        arrays = {f"weight:{i}": w for i, w in enumerate(self.weights)}
        optimizer, meta = optimizer_arrays(self)
        arrays.update(optimizer)
        return arrays, meta

    def save(self, filepath) -> None:
        """Write architecture, compile settings, weights and optimizer state to one ``.npz`` file, atomically."""
        filepath = file_path("filepath", filepath)
        self._require_built("save")
        from numcnn.models.config import model_config

        arrays, optimizer = self._file_arrays()
        meta = {"config": model_config(self), "compile": self._compile_config(), "optimizer_state": optimizer}
        write_archive(filepath, meta, arrays)

    def save_weights(self, filepath) -> None:
        """Write the weights (and a compiled model's optimizer state) to an ``.npz`` file, atomically."""
        filepath = file_path("filepath", filepath)
        self._require_built("save_weights")
        arrays, optimizer = self._file_arrays()
        write_archive(filepath, {"config": None, "optimizer_state": optimizer}, arrays)

    def load_weights(self, filepath) -> None:
        """Load weights saved by ``save`` or ``save_weights`` of a model of the same structure, and the
        optimizer's state when the file has it and the model's optimizer is of the same kind."""
        filepath = file_path("filepath", filepath)
        self._require_built("load_weights")
        meta, arrays = read_archive(filepath)
        weights, optimizer = _weights_in_order(arrays, len(self.weights), filepath)
        self.set_weights(weights)
        _restore_optimizer(self, optimizer, meta.get("optimizer_state"), filepath)


def load_model(filepath, compile=True):  # noqa: A002 (Keras' argument name)
    """Load a model written by ``save``; refuses pickles and files of the wrong shape.

    Raises ``ValueError`` for anything but a readable numcnn model file (a missing file raises
    ``FileNotFoundError``, which is also a ``ValueError`` as in Keras). No code in the file is ever run.
    """
    from numcnn.models.config import model_from_config

    filepath = file_path("filepath", filepath)
    meta, arrays = read_archive(filepath)
    if not meta.get("config"):
        raise ValueError(f"Cannot load '{filepath}' as a model: it holds weights only (use load_weights)")
    try:
        model = model_from_config(meta["config"])
    except (TypeError, KeyError, ValueError) as err:
        raise ValueError(f"Cannot load '{filepath}': invalid model config ({err})") from None
    try:
        weights, optimizer = _weights_in_order(arrays, len(model.weights), filepath)
        model.set_weights(weights)
    except (TypeError, ValueError) as err:
        raise ValueError(f"Cannot load '{filepath}': {err}") from None
    settings = meta.get("compile")
    if compile and settings:
        try:
            if not isinstance(settings, dict):
                raise TypeError(f"expected a dict, got {type(settings).__name__}")
            model.compile(**{k: v for k, v in settings.items() if v is not None})
            _restore_optimizer(model, optimizer, meta.get("optimizer_state"), filepath)
        except (TypeError, ValueError) as err:
            raise ValueError(f"Cannot load '{filepath}': invalid compile settings ({err})") from None
    return model


__all__ = ["FilesMixin", "load_model"]
