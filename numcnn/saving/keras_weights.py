"""Keras 3's weights HDF5: a standalone ``.weights.h5``, or the ``model.weights.h5`` inside a ``.keras``.

Layout (Keras 3.15; see ``tests/data/KERAS_FILES.md``)::

    vars/                      attrs {"name": <model name>}; empty for numcnn's models
    layers/<path>/vars/<i>     the i-th variable of a layer, i = 0, 1, …: trainable ones first, then the others
                               (Conv2D/Dense: kernel, bias; BatchNormalization: gamma, beta, moving_mean,
                               moving_variance); a layer without weights has an empty ``vars`` group
    layers/<path>/vars         attrs {"name": <the layer's name>}
    optimizer/vars/<i>         the optimizer's variables in order (see :func:`optimizer_layout`)

A layer's path is not its name: Keras numbers the layers of a container by class, in the model's order,
``layers/conv2d``, ``layers/conv2d_1``, ``layers/max_pooling2d``, … (:func:`keras_layer_paths`), so a file
loads into any model of the same structure whatever its layers are called. A nested model's layers sit
under its own path (``layers/functional/layers/dense``).

:class:`KerasWeights` is the neutral structure both ways: :func:`read_weights` fills it from a file,
:func:`write_weights` writes one Keras loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from numcnn._checks import invalid
from numcnn._naming import snake_case
from numcnn.saving._h5 import LIMITS, CheckedFile, H5Reader, Limits, write_h5


@dataclass
class KerasWeights:
    """The variables of a Keras 3 weights file.

    - ``layers``: layer path (``'layers/conv2d'``, ``'layers/functional/layers/dense'``) → its arrays in
      Keras' order (``vars/0``, ``vars/1``, …); ``[]`` for a layer without weights. Reading gives the
      paths in HDF5's alphabetical order, which is not the model's: match by path.
    - ``optimizer``: ``optimizer/vars/0..n-1`` in order (``[iteration, learning_rate, …]``, see
      :func:`optimizer_layout`), or ``None`` when the file has no optimizer.
    - ``names``: path → the name Keras recorded in that ``vars`` group's ``name`` attribute (``''`` is the
      model, ``'optimizer'`` the optimizer); informational only, Keras never matches by it.

    Arrays come back as numeric ndarrays of the file's dtype (float32 weights, an int64 ``iteration``).
    """

    layers: dict[str, list[np.ndarray]]
    optimizer: list[np.ndarray] | None = None
    names: dict[str, str] = field(default_factory=dict)


# -- Keras' naming ------------------------------------------------------------------------------------------


def keras_layer_paths(class_names, prefix: str = "layers") -> list[str]:
    """The weights-file path of each layer of a container, from its layers' Keras class names in order.

    ``['Conv2D', 'Conv2D', 'MaxPooling2D']`` → ``['layers/conv2d', 'layers/conv2d_1', 'layers/max_pooling2d']``.
    A Sequential's list excludes its InputLayer (Keras' ``Sequential.layers`` does); a Functional's
    includes every InputLayer. For a nested model, pass ``prefix='layers/<its path>/layers'``.
    """
    used: dict[str, int] = {}
    paths = []
    for class_name in class_names:
        base = snake_case(class_name)
        if base in used:
            used[base] += 1
            base = f"{base}_{used[base]}"
        else:
            used[base] = 0
        paths.append(f"{prefix}/{base}")
    return paths


# Per Keras optimizer: the groups of slots it creates per trainable variable, in creation order. Slots of one
# group are interleaved per variable (m0, v0, m1, v1, …); groups follow one another (all m/v, then all v̂).
def _slot_groups(class_name: str, config: dict) -> list[tuple[str, ...]]:
    groups = {
        "SGD": [("momentum",)] if config.get("momentum", 0.0) != 0 else [],
        "RMSprop": [("velocity",)]
        + ([("momentum",)] if config.get("momentum", 0.0) > 0 else [])
        + ([("average_gradient",)] if config.get("centered", False) else []),
        "Adagrad": [("accumulator",)],
        "Adam": [("momentum", "velocity")] + ([("velocity_hat",)] if config.get("amsgrad", False) else []),
        "AdamW": [("momentum", "velocity")] + ([("velocity_hat",)] if config.get("amsgrad", False) else []),
        "Adadelta": [("accumulated_grad", "accumulated_delta_var")],
        "Nadam": [("momentum", "velocity")],
        "Adamax": [("momentum", "norm")],
        "Lion": [("momentum",)],
        "Ftrl": [("accumulator", "linear")],
    }
    if class_name not in groups:
        raise ValueError(f"No known Keras variable layout for optimizer '{class_name}'")
    return groups[class_name]


def optimizer_layout(class_name: str, config: dict, n_trainable: int) -> list[str]:
    """What ``optimizer/vars/<i>`` holds, for a built Keras optimizer of ``n_trainable`` trainable variables.

    Entries are ``'iteration'`` (int64 scalar), ``'learning_rate'`` (float32 scalar; absent when the
    learning rate is a schedule), ``'<slot>/<j>'`` (that slot of the j-th trainable variable, in the
    model's trainable-variable order), and Nadam's trailing ``'u_product'`` (float32 scalar). An optimizer
    never used to train (built lazily by Keras) has only the first one or two.
    """
    layout = ["iteration"]
    if not isinstance(config.get("learning_rate"), dict):
        layout.append("learning_rate")
    for group in _slot_groups(class_name, config):
        layout += [f"{slot}/{j}" for j in range(n_trainable) for slot in group]
    if class_name == "Nadam":
        layout.append("u_product")
    return layout


# -- reading ------------------------------------------------------------------------------------------------


class WeightsFile(CheckedFile):
    """A Keras 3 weights HDF5 (a path or bytes), opened and checked, with no array read yet. Use as a
    context manager.

    ``layers`` maps each layer path to the :class:`~numcnn.saving._h5.DatasetInfo` (shape, dtype) of its
    ``vars/0``, ``vars/1``, …; ``optimizer`` those of ``optimizer/vars`` (``None`` without an optimizer);
    ``names`` as in :class:`KerasWeights`. ``read(path)`` reads one layer's arrays (``'optimizer'``: the
    optimizer's). ``ValueError`` naming ``what`` and the problem for anything but Keras 3's layout (a Keras 2
    ``.h5``, extra datasets, gaps in ``vars``…).
    """

    def __init__(self, source, what: str = "the weights file", limits: Limits = LIMITS):
        self.layers: dict[str, list] = {}
        self.optimizer = None
        self.names: dict[str, str] = {}
        super().__init__(source, what, limits)

    def _scan(self) -> None:
        h5 = self.h5
        if "layer_names" in h5.attrs("") or "model_weights" in h5.index:
            raise h5.error("it is a Keras 2 / legacy .h5 file, not a Keras 3 weights file (read it with legacy_h5)")
        for path, info in h5.index.items():
            if info is not None:
                parent, _, _ = path.rpartition("/")
                if parent.rpartition("/")[2] != "vars":
                    raise h5.error(f"the dataset '{path}' is outside any 'vars' group")
                continue
            if path.rpartition("/")[2] != "vars":
                continue
            owner = path[: -len("vars")].rstrip("/")
            infos = [h5.index[f"{path}/{i}"] for i in _var_indices(h5, path)]
            name = h5.attr(path, "name")
            if name is not None:
                if not isinstance(name, str):
                    raise h5.error(f"the 'name' attribute of '{path}' is not a string")
                self.names[owner] = name
            if owner == "optimizer":
                self.optimizer = infos
            elif owner == "":
                if infos:
                    raise h5.error(
                        f"the model itself holds {len(infos)} variables ('vars/0'…), which numcnn has no place for"
                    )
            elif owner.startswith("layers/"):
                self.layers[owner] = infos
            else:
                raise h5.error(f"unexpected group '{path}' (neither a layer's nor the optimizer's)")

    def read(self, path: str) -> list[np.ndarray]:
        """The arrays of the layer at ``path`` (or of ``'optimizer'``), in ``vars`` order."""
        infos = self.optimizer if path == "optimizer" else self.layers.get(path)
        if infos is None:
            raise self.error(f"it has no group '{path}/vars'")
        prefix = f"{path}/vars"
        return [self.h5.read(f"{prefix}/{i}") for i in range(len(infos))]


def read_weights(source, what: str = "the weights file", limits: Limits = LIMITS) -> KerasWeights:
    """Read a whole Keras 3 weights HDF5 (a path or bytes) into a :class:`KerasWeights` (see
    :class:`WeightsFile`, which gives the shapes before any array is read)."""
    with WeightsFile(source, what, limits) as f:
        layers = {path: f.read(path) for path in f.layers}
        optimizer = None if f.optimizer is None else f.read("optimizer")
        return KerasWeights(layers=layers, optimizer=optimizer, names=dict(f.names))


def _var_indices(h5: H5Reader, path: str) -> list[int]:
    """Datasets ``0..n-1`` of one ``vars`` group, in index order; anything else inside is refused."""
    names = h5.children(path)
    groups = [n for n in names if h5.index[f"{path}/{n}"] is None]
    if groups:
        raise h5.error(f"'{path}' holds the group(s) {groups[:4]}, expected only datasets")
    indices = sorted(int(n) for n in names if n.isdigit() and (n == "0" or not n.startswith("0")))
    if len(indices) != len(names) or indices != list(range(len(names))):
        raise h5.error(f"'{path}' holds {sorted(names)[:8]}, expected datasets named 0 to {len(names) - 1}")
    return indices


# -- writing ------------------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[A-Za-z0-9_.\-]+")


def write_weights(weights: KerasWeights, model_name: str = "sequential") -> bytes:
    """The bytes of a Keras 3 weights HDF5 holding ``weights`` (``.weights.h5`` or ``model.weights.h5``).

    Every layer path gets ``<path>/vars`` with its ``name`` attribute (from ``weights.names``, else the
    path's last segment) and datasets ``0..n-1``; the optimizer likewise under ``optimizer/vars``; the root
    ``vars`` group carries ``model_name``, as Keras writes it. Paths are checked (segments of letters,
    digits, ``_ . -``; under ``layers/``) and arrays must be numeric.
    """
    if not isinstance(weights, KerasWeights):
        raise invalid("weights", "a KerasWeights", type(weights).__name__, TypeError)
    entries: list[tuple[str, list[np.ndarray]]] = []
    for path, arrays in weights.layers.items():
        segments = path.split("/") if isinstance(path, str) else []
        if (
            len(segments) < 2
            or segments[0] != "layers"
            or "vars" in segments
            or any(segment in (".", "..") for segment in segments)
            or not all(map(_SEGMENT.fullmatch, segments))
        ):
            raise invalid("weights.layers", "paths like 'layers/dense'", path)
        entries.append((path, _numeric(path, arrays)))
    if weights.optimizer is not None:
        entries.append(("optimizer", _numeric("optimizer", weights.optimizer)))

    def build(f):
        root = f.create_group("vars")
        root.attrs["name"] = weights.names.get("", model_name)
        for path, arrays in entries:
            group = f.create_group(f"{path}/vars")
            group.attrs["name"] = weights.names.get(path, path.rpartition("/")[2])
            for i, array in enumerate(arrays):
                group[str(i)] = array

    return write_h5(build)


def _numeric(path: str, arrays) -> list[np.ndarray]:
    if not isinstance(arrays, (list, tuple)):
        raise invalid(f"weights[{path!r}]", "a list of arrays", type(arrays).__name__, TypeError)
    out = []
    for i, array in enumerate(arrays):
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise invalid(f"weights[{path!r}][{i}]", "a numeric array", f"dtype {array.dtype}", TypeError)
        out.append(np.asarray(array, order="C"))  # not ascontiguousarray: it makes scalars 1-d
    return out
