"""Models to and from Keras' files: the ``.keras`` zip and the ``.weights.h5`` of Keras 3, and Keras 2's legacy
``.h5`` (read, and written as Keras 3 writes it), behind ``model.save``, ``numcnn.models.load_model``,
``save_weights`` and ``load_weights``.

Loading never trusts the file: the readers are bounded (:mod:`numcnn.saving._h5`, :mod:`numcnn._zip`),
the model is planned from the config and its weight shapes compared with the file's datasets before the model
is built (:mod:`numcnn.saving.keras_build`), every array is checked before any weight is written, and nothing
named in a file runs. Keras 3 matches weights by path (the model's structure, not layer names); Keras 2's
``.h5`` by position, layer after layer with weights. The optimizer's state is restored where the file has it,
so training resumes where it stopped. Every problem is a ``ValueError`` naming the file (a missing file a
:class:`~numcnn.saving.npz.ModelFileNotFoundError`), ``MemoryError`` included.
"""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np

from numcnn.saving._h5 import MissingH5pyError
from numcnn.saving.keras_build import build_model, match_layers, plan_model
from numcnn.saving.keras_compile import compile_from_keras
from numcnn.saving.keras_config import layer_from_keras
from numcnn.saving.keras_export import (
    legacy_model_config,
    model_to_keras,
    optimizer_variables,
    planned_from_model,
    trainable_keys,
    weights_to_keras,
)
from numcnn.saving.keras_model import model_spec
from numcnn.saving.keras_weights import WeightsFile, write_weights
from numcnn.saving.keras_zip import KERAS_VERSION, read_keras, write_keras
from numcnn.saving.legacy_h5 import LegacyFile, LegacyH5, write_legacy_h5
from numcnn.saving.npz import ModelFileNotFoundError, atomic_write


@contextlib.contextmanager
def _refusing(path: str):
    """Any failure while reading ``path`` as a ``ValueError`` naming it (Keras' ``load_model`` raises those)."""
    try:
        yield
    except (ModelFileNotFoundError, MissingH5pyError):
        raise
    except MemoryError as err:
        raise ValueError(f"Cannot load '{path}': it needs more memory than there is ({err})") from None
    except ValueError as err:
        if str(path) in str(err):
            raise
        raise ValueError(f"Cannot load '{path}': {err}") from None
    except (TypeError, KeyError, IndexError, AttributeError) as err:  # a malformed file, not a caller's mistake
        message = str(err) if str(path) in str(err) else f"Cannot load '{path}': {type(err).__name__}: {err}"
        raise ValueError(message) from None


# -- writing ------------------------------------------------------------------------------------------------

# Keras 3.15's warning for model.save to .h5/.hdf5 (it logs it; numcnn warns), word for word
LEGACY_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
    "This file format is considered legacy. We recommend using instead the native Keras format, e.g. "
    "`model.save('my_model.keras')` or `keras.saving.save_model(model, 'my_model.keras')`. "
)


def save_keras(model, path: str) -> None:
    """``model.save('x.keras')``: Keras 3's zip, ``config.json`` with the compile config, the weights and the
    optimizer's state, written atomically."""
    config = model_to_keras(model)
    write_keras(path, config, write_weights(weights_to_keras(model), model_name=model.name))


def save_legacy(model, path: str) -> None:
    """``model.save('x.h5')``: Keras 2's full-model ``.h5`` as Keras 3 writes it (Keras 3's warning that the
    format is legacy included), atomically. The same models as ``.keras`` can be written (see
    :func:`~numcnn.saving.keras_export.model_to_keras`); each weight is named ``<layer>/<weight>``, as Keras 3
    names the variables of a model it loaded or a functional model (Keras loads by position, not by name), and
    the optimizer's variables ``<optimizer>/<variable>`` in Keras' order (numcnn restores them all; Keras 3.15.1
    keeps only the step count of any legacy ``.h5``, its own included)."""
    spec = model_to_keras(model)  # refuses what .keras refuses, by name, before Keras' warning
    warnings.warn(LEGACY_WARNING, UserWarning, stacklevel=3)
    planned, pairs = planned_from_model(model)
    held = {id(leaf): {**layer.params, **layer.state} for leaf, layer in pairs}
    layers, names = {}, {}
    for child in planned.children:
        slots = _legacy_slots(child)
        names[child.name] = [f"{leaf.name}/{leaf.weights[i][0]}" for leaf, i in slots]
        layers[child.name] = [np.array(held[id(leaf)][leaf.weights[i][0]]) for leaf, i in slots]
    # backend: the one whose layouts numcnn's arrays follow (channels_last, HWIO kernels)
    content = LegacyH5(layers, names, model_config=legacy_model_config(spec), keras_version=KERAS_VERSION)
    content.backend = "tensorflow"
    optimizer = spec["compile_config"].get("optimizer")
    if optimizer is not None:  # Keras: a compiled model's compile config, its optimizer kept apart
        training = {key: value for key, value in spec["compile_config"].items() if key != "optimizer"}
        content.training_config = {
            **training,
            "optimizer_config": {key: optimizer[key] for key in ("class_name", "config")},
        }
        variables = optimizer_variables(model, stacklevel=4)
        content.optimizer = [array for _, array in variables]
        content.optimizer_names = [f"{model.optimizer.name}/{name}" for name, _ in variables]
    atomic_write(path, write_legacy_h5(content))


def save_keras_weights(model, path: str) -> None:
    """``model.save_weights('x.weights.h5')``: Keras 3's weights file (with the optimizer's state, as Keras'
    own), written atomically."""
    data = write_weights(weights_to_keras(model), model_name=model.name)
    atomic_write(path, data)


# -- Keras 3 ------------------------------------------------------------------------------------------------


def _expected(planned) -> dict[str, list[tuple]]:
    """Weights path → the shapes the layer there holds (``[]`` for a weightless layer or a nested model)."""
    out = {}
    for child in planned.children:
        out[child.path] = [] if child.children is not None else [tuple(shape) for _, shape, _ in child.weights]
        if child.children is not None:
            out.update(_expected(child))
    return out


def _compare(planned, weights: WeightsFile) -> None:
    """Keras' path rules, stricter: every layer's group holds exactly its weights' shapes, and no group
    holds weights for a layer the model does not have."""
    expected = _expected(planned)
    for path, shapes in expected.items():
        found = [info.shape for info in weights.layers.get(path, [])]
        if found != shapes:
            raise weights.error(
                f"the layer at '{path}' holds {len(shapes)} weights of shapes {shapes} in the model, but the file "
                f"has {len(found)} there, of shapes {found}"
            )
    for path, infos in weights.layers.items():
        if path not in expected and infos:
            raise weights.error(f"it holds weights for '{path}', but the model has no layer there")


def _checked(pairs, weights: WeightsFile) -> list:
    """Every layer's arrays, checked (shape, dtype, finite values, the layer's own rules); nothing written."""
    return [
        (layer, layer.checked_weights(weights.read(planned.path) if planned.weights else []))
        for planned, layer in pairs
    ]


def _write(checked: list) -> None:
    for layer, arrays in checked:
        layer.assign_weights(arrays)


def _restore_optimizer(model, arrays: list) -> None:
    optimizer = model.optimizer
    configured = optimizer._learning_rate
    optimizer.load_keras_variables(trainable_keys(model), arrays, model.trainable_params()[0])
    # Keras keeps the rate as a float32 variable; the config holds the number it was given. When the variable is
    # that number rounded (no callback changed it), keep the number: a resumed run then computes the same bits.
    restored = optimizer._learning_rate
    if isinstance(configured, float) and isinstance(restored, float) and np.float32(configured) == np.float32(restored):
        optimizer.learning_rate = configured


def load_keras(path: str, compile: bool = True):  # noqa: A002 (Keras' argument name)
    """``load_model('x.keras')``: the numcnn model Keras 3's file describes, its weights, and (``compile``)
    its compile settings and optimizer state."""
    with _refusing(path):
        archive = read_keras(path)
        spec = model_spec(archive.config)
        with WeightsFile(archive.weights, f"'model.weights.h5' in '{path}'") as weights:
            planned, _ = plan_model(spec, layer_from_keras)
            _compare(planned, weights)  # before the model exists: nothing allocated yet
            model = build_model(spec, layer_from_keras)
            _write(_checked(match_layers(planned, model), weights))
            settings = compile_from_keras(spec.compile_config) if compile else None
            if settings is not None:
                model.compile(**settings)
                if weights.optimizer is not None and model.optimizer is not None:
                    _restore_optimizer(model, weights.read("optimizer"))
    return model


def load_keras_weights(model, path: str, from_zip: bool = False) -> None:
    """``load_weights('x.weights.h5')`` (or ``'x.keras'``, as Keras reads the weights inside): weights by
    Keras' paths, checked before any is written, and the optimizer's state when both have one."""
    with _refusing(path):
        source = read_keras(path).weights if from_zip else path
        planned, pairs = planned_from_model(model)
        with WeightsFile(source, f"'{path}'") as weights:
            _compare(planned, weights)
            checked = _checked(pairs, weights)
            if weights.optimizer is not None and getattr(model, "optimizer", None) is not None:
                try:  # checked before it changes anything; a file's state for another optimizer is skipped
                    _restore_optimizer(model, weights.read("optimizer"))
                except (ValueError, TypeError) as err:
                    warnings.warn(
                        f"Skipping the optimizer state in '{path}': it does not fit the model's "
                        f"{type(model.optimizer).__name__} ({err})",
                        UserWarning,
                        stacklevel=4,
                    )
            _write(checked)


# -- Keras 2's legacy .h5 -----------------------------------------------------------------------------------


def _legacy_slots(child) -> list[tuple]:
    """``(planned leaf, weight index)`` of one top-level layer in Keras 2's order for it: its trainable weights,
    then the others (a nested model's: all its leaves' trainable weights, then the rest), Keras'
    ``trainable_weights + non_trainable_weights``."""
    leaves = child.leaves() if child.children is not None else [child]
    slots = [(leaf, i, leaf.trainable and w[2]) for leaf in leaves for i, w in enumerate(leaf.weights)]
    return [(leaf, i) for leaf, i, t in slots if t] + [(leaf, i) for leaf, i, t in slots if not t]


def _legacy_order(planned) -> list[list[tuple]]:
    """:func:`_legacy_slots` of each top-level layer with weights, in order."""
    return [slots for slots in map(_legacy_slots, planned.children) if slots]


def _legacy_check(order, f: LegacyFile) -> list[str]:
    """Keras 2's rule: the file's layers with weights, in ``layer_names`` order, go to the model's layers with
    weights, in order (names are not compared). Counts and shapes are compared from the file's headers; the
    names of the file's layers with weights are returned."""
    stored = [name for name, infos in f.layers.items() if infos]
    if len(stored) != len(order):
        raise f.error(f"it holds weights for {len(stored)} layers ({stored[:6]}), the model has {len(order)}")
    for name, slots in zip(stored, order):
        found = [info.shape for info in f.layers[name]]
        shapes = [tuple(leaf.weights[i][1]) for leaf, i in slots]
        if found != shapes:
            raise f.error(f"the layer '{name}' holds weights of shapes {found}; the model's layer takes {shapes}")
    return stored


def _legacy_assign(order, pairs, f: LegacyFile) -> None:
    """The file's arrays, by Keras 2's rule, checked for every layer, then written."""
    arrays = {}
    for name, slots in zip(_legacy_check(order, f), order):
        for (leaf, i), array in zip(slots, f.read(name)):
            arrays[(id(leaf), i)] = array
    _write(
        [
            (layer, layer.checked_weights([arrays[(id(leaf), i)] for i in range(len(leaf.weights))]))
            for leaf, layer in pairs
            if leaf.weights
        ]
    )


_KERAS2_SLOTS = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat", "u": "norm"}
_KERAS2_NAME = re.compile(r"[^/]+/(\w+)/(.+):0\Z")


def _restore_legacy_optimizer(model, f: LegacyFile) -> None:
    """Keras 3's legacy writer keeps Keras 3's variable order; Keras 2 names each slot ``Adam/m/dense/kernel:0``
    (no learning-rate variable), matched here by name. State that maps nowhere is dropped with a warning,
    as Keras 3 does ("starting with a freshly initialized optimizer")."""
    names, arrays = f.optimizer_names, f.read(None)
    try:
        if not names or not names[0].endswith(":0"):
            _restore_optimizer(model, arrays)
            return
        params = model.trainable_params()[0]
        state = {}
        for name, array in zip(names, arrays):
            found = _KERAS2_NAME.fullmatch(name)
            if name == "iteration:0":
                state["iterations"] = array
            elif found and found[2] in params:
                state[f"{_KERAS2_SLOTS.get(found[1], found[1])}/{found[2]}"] = array
            else:
                raise ValueError(f"the optimizer variable {name!r} belongs to no weight of the model")
        model.optimizer.load_state_dict(state, params)
    except (ValueError, TypeError) as err:
        warnings.warn(
            f"Could not restore the optimizer state from '{f.h5.what}' ({err}); the optimizer starts afresh",
            UserWarning,
            stacklevel=4,
        )


def load_legacy(path: str, compile: bool = True):  # noqa: A002
    """``load_model('x.h5')``: a Keras 2 (or Keras 3 legacy) full-model file, weights by position."""
    with _refusing(path), LegacyFile(path) as f:
        if f.model_config is None:
            raise f.error("it holds weights only (build the model, then load_weights)")
        spec = model_spec(f.model_config)
        planned, _ = plan_model(spec, layer_from_keras)
        order = _legacy_order(planned)
        _legacy_check(order, f)  # before the model exists: nothing allocated yet
        model = build_model(spec, layer_from_keras)
        _legacy_assign(order, match_layers(planned, model), f)
        settings = compile_from_keras(f.training_config) if compile else None
        if settings is not None:
            model.compile(**settings)
            if f.optimizer is not None and model.optimizer is not None:
                _restore_legacy_optimizer(model, f)
    return model


def load_legacy_weights(model, path: str) -> None:
    """``load_weights('x.h5')``: Keras 2's weights-only (or full-model) ``.h5``, by position."""
    with _refusing(path), LegacyFile(path) as f:
        planned, pairs = planned_from_model(model)
        _legacy_assign(_legacy_order(planned), pairs, f)
