"""Legacy HDF5 model files: Keras 2 / tf.keras ``model.save('m.h5')`` and ``save_weights('w.h5')``, and the same
format as Keras 3 still writes it for a ``.h5`` suffix.

Full-model file (root attributes ``model_config`` and ``training_config``: JSON text; ``keras_version``,
``backend``)::

    model_weights/                attrs layer_names = [every layer's name, in the model's order]
    model_weights/<layer>/        attrs weight_names = ['conv2d/kernel:0', 'conv2d/bias:0'] (Keras 2) or
                                  ['sequential/conv2d/kernel', …] (Keras 3); [] for a layer without weights
    model_weights/<layer>/<weight name>   the datasets, at those paths relative to the layer's group
    optimizer_weights/            attrs weight_names = ['iteration:0', 'Adam/m/conv2d/kernel:0', …] (Keras 2)
                                  or ['adam/iteration', 'adam/learning_rate', …] (Keras 3)

A weights-only file is the ``model_weights`` group at the root (with ``layer_names``, ``keras_version`` and
``backend`` on the root). An attribute too large for one HDF5 object header is split into ``<name>0``,
``<name>1``, …, which this reader joins as Keras does. Keras loads these weights by position: the file's
layers that have weights, in ``layer_names`` order, go to the model's layers that have weights, in order;
names are not compared.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from numcnn._checks import invalid
from numcnn.saving._h5 import LIMITS, CheckedFile, H5Reader, Limits, write_h5

HEADER_LIMIT = 64512  # Keras' HDF5_OBJECT_HEADER_LIMIT: the bytes one attribute may take before it is split


@dataclass
class LegacyH5:
    """What a legacy ``.h5`` holds.

    - ``layers``: layer name → its arrays in ``weight_names`` order, in the file's ``layer_names`` order
      (here the dict order *is* the model's order); ``[]`` for layers without weights;
    - ``weight_names``: layer name → the stored weight names (``'conv2d/kernel:0'``);
    - ``optimizer``: the ``optimizer_weights`` arrays in ``weight_names`` order, or ``None``;
      ``optimizer_names`` their names;
    - ``model_config``, ``training_config``: the parsed JSON attributes (``None`` in weights-only files);
    - ``keras_version``, ``backend``: as recorded (``None`` when absent).
    """

    layers: dict[str, list[np.ndarray]]
    weight_names: dict[str, list[str]]
    optimizer: list[np.ndarray] | None = None
    optimizer_names: list[str] = field(default_factory=list)
    model_config: dict | None = None
    training_config: dict | None = None
    keras_version: str | None = None
    backend: str | None = None


class LegacyFile(CheckedFile):
    """A legacy ``.h5`` (a path or bytes), opened and checked, with no array read yet; the fields of
    :class:`LegacyH5`, but ``layers`` maps each layer to its datasets' :class:`~numcnn.saving._h5.DatasetInfo`
    (shape, dtype) and ``optimizer`` likewise. ``read(layer)`` reads one layer's arrays (``read(None)``: the
    optimizer's). Use as a context manager."""

    def __init__(self, source, what: str | None = None, limits: Limits = LIMITS):
        super().__init__(source, what or (lambda s: f"'{s}'" if isinstance(s, str) else "the .h5 file"), limits)

    def _scan(self) -> None:
        h5 = self.h5
        if "model_weights" in h5.index:
            base = "model_weights"
        elif "layer_names" in h5.attrs("") or "layer_names0" in h5.attrs(""):
            base = ""
        elif "layers" in h5.index or "vars" in h5.index:
            raise h5.error("it is a Keras 3 weights file (.weights.h5 layout), not a legacy .h5")
        else:
            raise h5.error("it has neither 'model_weights' nor 'layer_names': not a Keras model or weights file")
        self.layers, self.weight_names, self._paths = {}, {}, {}
        for name in _strings(h5, base, "layer_names"):
            if name in self.layers:
                raise h5.error(f"'layer_names' lists the layer '{name}' twice")
            group = f"{base}/{name}" if base else name
            self.weight_names[name], self._paths[name] = _weights(h5, group, name)
            self.layers[name] = [h5.index[p] for p in self._paths[name]]
        top = f"{base}/top_level_model_weights" if base else "top_level_model_weights"
        if top in h5.index and _strings(h5, top, "weight_names"):
            raise h5.error("it holds model-level weights ('top_level_model_weights'), which numcnn has no place for")
        self.optimizer, self.optimizer_names = None, []
        if "optimizer_weights" in h5.index:
            self.optimizer_names, self._paths[None] = _weights(h5, "optimizer_weights", "the optimizer")
            self.optimizer = [h5.index[p] for p in self._paths[None]]
        self.model_config = _json_object(h5, "model_config") if base else None
        self.training_config = _json_object(h5, "training_config") if base else None
        for key in ("keras_version", "backend"):
            value = h5.attr("", key)
            if value is not None and not isinstance(value, str):
                raise h5.error(f"the attribute '{key}' is not a string")
            setattr(self, key, value)

    def read(self, layer: str | None) -> list[np.ndarray]:
        """The arrays of ``layer`` in ``weight_names`` order (``None``: the optimizer's)."""
        return [self.h5.read(path) for path in self._paths[layer]]


def read_legacy_h5(source, what: str | None = None, limits: Limits = LIMITS) -> LegacyH5:
    """Read a whole legacy full-model or weights-only ``.h5`` (a path or bytes); ``ValueError`` naming the
    problem (see :class:`LegacyFile`, which gives the shapes before any array is read)."""
    with LegacyFile(source, what, limits) as f:
        return LegacyH5(
            layers={name: f.read(name) for name in f.layers},
            weight_names=f.weight_names,
            optimizer=None if f.optimizer is None else f.read(None),
            optimizer_names=f.optimizer_names,
            model_config=f.model_config,
            training_config=f.training_config,
            keras_version=f.keras_version,
            backend=f.backend,
        )


def _weights(h5: H5Reader, group: str, label: str) -> tuple[list[str], list[str]]:
    """The ``weight_names`` of a group and the dataset paths they name."""
    if group not in h5.index or h5.index[group] is not None:
        raise h5.error(f"'layer_names' lists '{label}', but the file has no group '{group}'")
    names = _strings(h5, group, "weight_names")
    paths = []
    for name in names:
        path = f"{group}/{name}" if group else name
        if name.startswith("/") or path not in h5.index or h5.index[path] is None:
            raise h5.error(f"'{group}' lists the weight '{name}', but there is no dataset '{path}'")
        paths.append(path)
    return names, paths


def _strings(h5: H5Reader, path: str, name: str) -> list[str]:
    """A list-of-text attribute, joined from ``<name>0``, ``<name>1``, … when Keras split it."""
    if name in h5.attrs(path):
        parts = [h5.attr(path, name)]
    else:
        parts, i = [], 0
        while f"{name}{i}" in h5.attrs(path):
            parts.append(h5.attr(path, f"{name}{i}"))
            i += 1
    out: list[str] = []
    for part in parts:
        if isinstance(part, np.ndarray) and part.size == 0:  # Keras stores an empty list as float64 []
            continue
        if isinstance(part, str):
            part = [part]
        if not isinstance(part, list):
            raise h5.error(f"the attribute '{name}' of '{path or '/'}' is not a list of names")
        out += part
    return out


def _json_object(h5: H5Reader, name: str):
    value = h5.attr_json("", name)
    if value is not None and not isinstance(value, dict):
        raise h5.error(f"the attribute '{name}' holds a JSON {type(value).__name__}, not an object")
    return value


# -- writing ------------------------------------------------------------------------------------------------


def write_legacy_h5(content: LegacyH5) -> bytes:
    """The bytes of a full-model legacy ``.h5`` holding ``content``, laid out as Keras 3.15's
    ``save_model_to_hdf5`` writes it, with the same HDF5 types: ``keras_version`` and ``backend`` on the root
    as UTF-8 text, ``model_config`` and ``training_config`` (left out when ``None``) as JSON in ASCII text;
    ``model_weights`` with ``layer_names`` (``content.layers``' order), ``backend`` and ``keras_version``, one
    group per layer (created in name order, as Keras does) whose ``weight_names`` give each dataset's path
    inside it, and an empty ``top_level_model_weights``; ``optimizer_weights`` likewise when
    ``content.optimizer`` is not ``None``. A list of names over 64512 bytes is split into ``<name>0``,
    ``<name>1``, … as Keras splits it. Names and arrays are checked before anything is written."""
    if not isinstance(content, LegacyH5) or content.model_config is None:
        raise invalid("content", "a LegacyH5 with a model_config", type(content).__name__, TypeError)
    layers = {
        name: _checked(name, content.weight_names.get(name, []), arrays) for name, arrays in content.layers.items()
    }
    optimizer = None
    if content.optimizer is not None:
        optimizer = _checked("the optimizer", content.optimizer_names, content.optimizer)
    version, backend = content.keras_version or "", content.backend or ""
    for name in layers:
        if not name or "/" in name or name in (".", "top_level_model_weights"):
            raise invalid("layer name", "a name Keras can write as an HDF5 group", name)

    def build(f) -> None:
        f.attrs["keras_version"] = version
        f.attrs["backend"] = backend
        f.attrs["model_config"] = json.dumps(content.model_config).encode("utf8")
        if content.training_config is not None:
            f.attrs["training_config"] = json.dumps(content.training_config).encode("utf8")
        group = f.create_group("model_weights")
        _write_names(group, "layer_names", list(layers))
        group.attrs["backend"] = backend.encode("utf8")
        group.attrs["keras_version"] = version.encode("utf8")
        for name in sorted(layers):
            _write_subset(group.create_group(name), *layers[name])
        _write_subset(group.create_group("top_level_model_weights"), [], [])
        if optimizer is not None:
            _write_subset(f.create_group("optimizer_weights"), *optimizer)

    return write_h5(build)


def _checked(owner: str, names, arrays) -> tuple[list[str], list[np.ndarray]]:
    """``(names, arrays)`` of one group: as many names as arrays, each a relative HDF5 path used once, none a
    prefix of another (a dataset cannot hold a dataset); the arrays numeric, C-ordered."""
    names, arrays = list(names), [np.asarray(a, order="C") for a in arrays]
    if len(names) != len(arrays):
        raise invalid(f"weight names of {owner}", f"one per array ({len(arrays)})", names)
    inner = set()
    for name, array in zip(names, arrays):
        segments = name.split("/") if isinstance(name, str) else [""]
        if not all(segments) or any(s in (".", "..") for s in segments):
            raise invalid(f"weight names of {owner}", "relative HDF5 paths like 'dense/kernel'", name)
        inner.update("/".join(segments[:k]) for k in range(1, len(segments)))
        if array.dtype.kind not in "biuf":
            raise invalid(f"weights of {owner}", "numeric arrays", f"dtype {array.dtype} for {name!r}", TypeError)
    clashes = sorted(inner.intersection(names)) + sorted(n for n, count in Counter(names).items() if count > 1)
    if clashes:
        raise invalid(f"weight names of {owner}", "names used once, none inside another", clashes[0])
    return names, arrays


def _write_subset(group, names: list[str], arrays: list[np.ndarray]) -> None:
    _write_names(group, "weight_names", names)
    for name, array in zip(names, arrays):
        group.create_dataset(name, data=array)


def _write_names(group, attribute: str, names: list[str]) -> None:
    """A list of names as Keras' ``save_attributes_to_hdf5_group`` stores it: variable-length ASCII text (an
    empty list: a float64 array of shape (0,)), split into fixed-length chunks over the header limit."""
    data = [name.encode("utf8") for name in names]
    too_long = [name for name, item in zip(names, data) if len(item) > HEADER_LIMIT]
    if too_long:
        raise invalid(attribute, f"names of at most {HEADER_LIMIT} bytes (an HDF5 object header)", too_long[0][:80])
    packed = np.asarray(data)
    chunks = 1
    while any(part.nbytes > HEADER_LIMIT for part in np.array_split(packed, chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[attribute] = data
        return
    for i, part in enumerate(np.array_split(packed, chunks)):
        group.attrs[f"{attribute}{i}"] = part
