"""Models in numcnn's own ``.npz`` format: what ``save``/``save_weights`` write and ``load_model``/``load_weights``
read back.

A file holds the weights as ``weight:<i>`` in ``get_weights`` order and, for a compiled model, the optimizer's
state as ``optimizer:<slot>:<j>`` (``j`` the position of the trainable weight it belongs to) with the step
count in the metadata, so that training resumes exactly where it stopped. Positions, not layer names, tie
arrays to weights, as Keras matches a weights file to a model of the same structure. Files of format version
1 (``"003:conv2d_2/kernel"`` names) still load.

Loading plans the model from its config first (:mod:`numcnn.saving.keras_build`: every weight's shape, nothing
allocated) and compares those shapes with the ``.npy`` headers before the model is built or any array
inflated; :class:`~numcnn.saving.npz.NpzArchive` has already checked the archive's directory.
"""

from __future__ import annotations

import re
import warnings

from numcnn.saving.keras_build import plan_model
from numcnn.saving.keras_model import ModelSpec, model_spec
from numcnn.saving.npz import NpzArchive, write_archive

_WEIGHT = re.compile(r"weight:(\d+)\Z")
_OPTIMIZER = re.compile(r"optimizer:([A-Za-z_]+):(\d+)\Z")
_V1_WEIGHT = re.compile(r"(\d+):")


def _trainable_keys(model) -> list[str]:
    return [key for key, layer, name in model.weight_keys() if name in layer.params]


def _optimizer_arrays(model) -> tuple[dict, dict | None]:
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


def _file_arrays(model) -> tuple[dict, dict | None]:
    arrays = {f"weight:{i}": w for i, w in enumerate(model.weights)}
    optimizer, meta = _optimizer_arrays(model)
    arrays.update(optimizer)
    return arrays, meta


def save_npz(model, path: str) -> None:
    """Architecture, compile settings, weights and optimizer state, atomically."""
    from numcnn.models.config import model_config

    arrays, optimizer = _file_arrays(model)
    meta = {"config": model_config(model), "compile": model._compile_config(), "optimizer_state": optimizer}
    write_archive(path, meta, arrays)


def save_npz_weights(model, path: str) -> None:
    """The weights (and a compiled model's optimizer state), atomically."""
    arrays, optimizer = _file_arrays(model)
    write_archive(path, {"config": None, "optimizer_state": optimizer}, arrays)


def _weight_names(archive: NpzArchive, expected: int) -> tuple[list[str], list[str]]:
    """The names of the weight arrays in saved order (by their number, never as strings: "1000" sorts after
    "999"), and those of the optimizer's arrays."""
    weights, optimizer, v1 = {}, [], {}
    for name in archive.headers:
        if (m := _WEIGHT.match(name)) is not None:
            weights[int(m.group(1))] = name
        elif _OPTIMIZER.match(name):
            optimizer.append(name)
        elif (m := _V1_WEIGHT.match(name)) is not None:
            v1[int(m.group(1))] = name
        else:
            raise archive.error(f"unexpected entry {name!r}")
    found = weights or v1
    if sorted(found) != list(range(expected)) or (weights and v1):
        raise ValueError(
            f"Cannot load weights from '{archive.path}': expected {expected} weight arrays. "
            f"Received: {len(found)} arrays numbered {sorted(found)[:6]}"
        )
    return [found[i] for i in range(expected)], optimizer


def _check_shapes(archive: NpzArchive, names: list[str], shapes: list[tuple]) -> None:
    for i, (name, shape) in enumerate(zip(names, shapes)):
        if archive.headers[name].shape != tuple(shape):
            raise ValueError(
                f"Cannot load '{archive.path}': weight {i} ({name!r}) has shape {archive.headers[name].shape} in "
                f"the file, expected shape {tuple(shape)} (the model's)"
            )


def _restore_optimizer(model, archive: NpzArchive, names: list[str], stacklevel: int = 4) -> None:
    meta = archive.meta.get("optimizer_state")
    optimizer = getattr(model, "optimizer", None)
    if meta is None or optimizer is None:
        return
    if not isinstance(meta, dict):
        raise archive.error("its optimizer state is not a dict")
    if meta.get("class_name") != type(optimizer).__name__:
        warnings.warn(
            f"'{archive.path}' holds the state of a {meta.get('class_name')} optimizer; the model's is a "
            f"{type(optimizer).__name__}, so its state starts afresh",
            UserWarning,
            stacklevel=stacklevel,
        )
        return
    params = model.trainable_params()[0]
    keys = _trainable_keys(model)
    state = {"iterations": meta.get("iterations")}
    for name in names:
        slot, j = _OPTIMIZER.match(name).groups()
        if int(j) >= len(keys):
            raise ValueError(
                f"Cannot load '{archive.path}': optimizer state for weight {j} of a model with {len(keys)}"
            )
        key = keys[int(j)]
        param = params.get(key)
        expected = None if param is None else param.shape
        state[f"{slot}/{key}"] = archive.read(name, expected)
    optimizer.load_state_dict(state)


def load_npz_weights(model, path: str) -> None:
    """Weights saved by ``save`` or ``save_weights`` of a model of the same structure, and the optimizer's
    state when the file has it and the model's optimizer is of the same kind; shapes checked first."""
    with NpzArchive(path) as archive:
        names, optimizer = _weight_names(archive, len(model.weights))
        _check_shapes(archive, names, [w.shape for w in model.weights])
        model.set_weights([archive.read(name) for name in names])
        _restore_optimizer(model, archive, optimizer)


def npz_model_spec(config) -> ModelSpec:
    """The :class:`ModelSpec` of numcnn's own model config (and of its first format: a Sequential's
    ``get_config()``)."""
    if not isinstance(config, dict):
        raise TypeError(f"expected a dict, got {type(config).__name__}")
    if "class_name" not in config:
        config = {"class_name": "Sequential", "config": config}
    if config.get("class_name") == "Sequential":
        inner = config.get("config")
        if not isinstance(inner, dict):
            raise TypeError(f"expected a dict under 'config', got {type(inner).__name__}")
        shape = inner.get("input_shape")
        if shape is not None and not isinstance(shape, list):
            raise TypeError(f"expected 'input_shape' a list of sizes, got {shape!r:.100}")
        inner = {k: v for k, v in inner.items() if k != "input_shape"}
        if shape is not None:
            inner["build_input_shape"] = [None, *shape]
        config = {"class_name": "Sequential", "config": inner}
    return model_spec(config, keras=False)


def _make_layer(spec: dict):
    """A layer of numcnn's own config, as ``model_from_config`` makes it (recorded ops too, where numcnn has them)."""
    from numcnn.models.config import layer_from_spec

    return layer_from_spec(spec, 0)


def load_npz(path: str, compile: bool = True):  # noqa: A002 (Keras' argument name)
    """The model in a file written by ``save_npz``: planned from its config and checked against the arrays'
    headers before it is built; ``ValueError`` naming the file for anything else."""
    from numcnn.models.config import model_from_config

    with NpzArchive(path) as archive:
        config = archive.meta.get("config")
        if not config:
            raise ValueError(f"Cannot load '{path}' as a model: it holds weights only (use load_weights)")
        try:
            planned, _ = plan_model(npz_model_spec(config), _make_layer, spec_of=npz_model_spec)
            shapes = [shape for leaf in planned.leaves() for _, shape, _ in leaf.weights]
            names, optimizer = _weight_names(archive, len(shapes))
            _check_shapes(archive, names, shapes)
            model = model_from_config(config)
        except (TypeError, KeyError, ValueError, AttributeError, IndexError) as err:
            if str(path) in str(err):
                raise
            raise ValueError(f"Cannot load '{path}': invalid model config ({err})") from None
        try:
            model.set_weights([archive.read(name, shape) for name, shape in zip(names, shapes)])
        except (TypeError, ValueError) as err:
            raise ValueError(f"Cannot load '{path}': {err}") from None
        settings = archive.meta.get("compile")
        if compile and settings:
            try:
                if not isinstance(settings, dict):
                    raise TypeError(f"expected a dict, got {type(settings).__name__}")
                model.compile(**{k: v for k, v in settings.items() if v is not None})
                _restore_optimizer(model, archive, optimizer, stacklevel=5)
            except (TypeError, ValueError) as err:
                raise ValueError(f"Cannot load '{path}': invalid compile settings ({err})") from None
    return model
