"""The table machinery behind :mod:`numcnn.saving.keras_objects`, :mod:`~numcnn.saving.keras_config` and
:mod:`~numcnn.saving.keras_compile`.

Keras writes each object as ``{"module", "class_name", "config", "registered_name"}``. One :class:`Entry`
per Keras class says which numcnn class it is and how its arguments map. Reading a spec:

- ``class_name`` must be in the table: a ``Lambda`` (Python code), a custom class (``registered_name``
  like ``'my_package>MyLayer'``) or any class numcnn lacks is refused by name; ``module``, when present,
  must be the entry's (``keras.layers``…). Nothing is imported or resolved outside the fixed tables.
- each argument is converted (nested objects, the dtype policy), or passed to numcnn's class when its
  constructor takes it, or — for an argument numcnn does not model — accepted only at the value that
  means "off" in Keras (``dilation_rate=[1, 1]``, ``groups=1``, ``quantization_config=None``); anything
  else is refused by name with a ``ValueError``, never dropped.

Writing a spec takes numcnn's ``get_config()``, whose keys are Keras' (a numcnn rule), converts the nested
objects, and adds Keras' defaults for the arguments numcnn does not model. So a new class needs one entry,
usually one line: ``_layer("ReLU")``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from numcnn._checks import invalid

_LAMBDA = "Lambda"
_SUFFIXES = (("_initializer", "initializer"), ("_regularizer", "regularizer"), ("_constraint", "constraint"))


@dataclass(frozen=True)
class Entry:
    """One Keras class.

    - ``keras``: its ``class_name``; ``module``: Keras' module for it (``keras.layers``);
    - ``numcnn``: a function returning numcnn's class, or ``None`` while numcnn lacks it (resolved on use, so
      classes added later need no edit here);
    - ``order``: Keras' config keys in Keras' order, or ``()`` for numcnn's ``get_config`` order;
    - ``keras_only``: Keras arguments numcnn does not model → the values accepted, the first being Keras'
      default, which is written back;
    - ``nested``: argument → family converting it (``'initializer'``, ``'activation'``, ``'dtype'``, …);
      with ``infer`` (layers) the family also follows from the name: ``dtype``, ``activation``,
      ``*_initializer``, ``*_regularizer``, ``*_constraint``;
    - ``build_config``: Keras records a ``build_config`` for this class; ``fill``: written when numcnn's
      config leaves the key out; ``drop``: numcnn config keys Keras does not have (never written);
      ``accept``: like ``keras_only`` when reading, never written (Keras omits them at their defaults).
    """

    keras: str
    module: str
    numcnn: Callable[[], type | None]
    order: tuple[str, ...] = ()
    keras_only: dict = field(default_factory=dict)
    nested: dict = field(default_factory=dict)
    build_config: bool = False
    fill: dict = field(default_factory=dict)
    infer: bool = False
    drop: tuple[str, ...] = ()
    accept: dict = field(default_factory=dict)

    def family(self, key: str) -> str | None:
        if key in self.nested:
            return self.nested[key]
        if not self.infer:
            return None
        if key in ("dtype", "activation"):
            return key
        return next((family for suffix, family in _SUFFIXES if key.endswith(suffix)), None)


def find(module: str, name: str) -> Callable[[], type | None]:
    """A resolver of ``module.name`` (``None`` while the module has no such name)."""

    def resolve():
        return getattr(importlib.import_module(module), name, None)

    return resolve


def parameters(cls: type) -> set[str]:
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the class hierarchy."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names


def same(value, default) -> bool:
    """JSON equality that tells ``1`` from ``True`` and ``1.0`` (``[1, 1]`` equals ``(1, 1)``)."""
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return len(value) == len(default) and all(same(v, d) for v, d in zip(value, default))
    if isinstance(value, dict) and isinstance(default, dict):
        return value.keys() == default.keys() and all(same(value[k], default[k]) for k in value)
    return type(value) is type(default) and value == default or (value is None and default is None)


def jsonable(value):
    """Tuples as lists, recursively (what ``json.dumps`` would write, so written specs compare as read ones)."""
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def lookup(table: dict[str, Entry], spec, family: str, where: str = "") -> tuple[Entry, dict]:
    """The entry and the ``config`` dict of a Keras ``spec``; refuses anything but a known built-in class."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise invalid(family, "a {'class_name': ..., 'config': {...}} dict" + where, spec, TypeError)
    class_name = spec["class_name"]
    if class_name == _LAMBDA:
        raise ValueError(
            f"Cannot load a Keras 'Lambda' layer{where}: it holds Python code, which numcnn never runs from a file"
        )
    registered = spec.get("registered_name")
    entry = table.get(class_name)
    if registered not in (None, class_name):
        raise ValueError(
            f"Cannot load the custom {family} class {registered or class_name!r}{where}: "
            "numcnn only knows Keras' built-in classes and never imports code named in a file"
        )
    if entry is None or entry.numcnn() is None:
        known = ", ".join(repr(k) for k, e in table.items() if e.numcnn() is not None)
        raise invalid(f"{family} class_name", f"one numcnn has ({known}){where}", class_name)
    module = spec.get("module", entry.module)
    if module != entry.module:
        raise invalid(f"{family} module", f"{entry.module!r} for {class_name}{where}", module)
    config = spec.get("config", {})
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise invalid(f"{family} config", f"a dict for {class_name}{where}", config, TypeError)
    return entry, config


def arguments(entry: Entry, config: dict, where: str, converters: dict, accepted_anyway=()) -> dict:
    """numcnn keyword arguments from a Keras ``config``: each nested key converted by ``converters[family]``,
    checked against ``entry.keras_only``, or passed on when numcnn's class takes it; anything else refused."""
    takes = parameters(entry.numcnn()) | set(accepted_anyway)
    kwargs = {}
    for key, value in config.items():
        if not isinstance(key, str):
            raise invalid("config key", f"a string in {where}", key, TypeError)
        family = entry.family(key)
        only = entry.keras_only.get(key, entry.accept.get(key))
        if only is not None and key not in takes:
            accepted = only
            if not any(same(value, a) for a in accepted):
                raise invalid(key, f"{accepted[0]!r} for {where} (numcnn does not implement other values)", value)
        elif family is not None and family in converters and (key in takes or key in entry.nested):
            kwargs[key] = converters[family](value, f" in {where}")
        elif key in takes:
            kwargs[key] = value
        else:
            raise invalid(key, f"an argument Keras' {entry.keras} has ({where})", value)
    return kwargs


def to_keras_spec(entry: Entry, numcnn_config: dict, convert: dict) -> dict:
    """``{"module", "class_name", "config", "registered_name"}`` of an object whose numcnn config is
    ``numcnn_config``: keys in Keras' order (or numcnn's), nested families converted by ``convert``, Keras-only
    arguments at their defaults, ``entry.fill`` where numcnn's config leaves a key out."""
    order = entry.order or (
        *(k for k in numcnn_config if k not in entry.drop),
        *(k for k in (*entry.keras_only, *entry.fill) if k not in numcnn_config),
    )
    config = {}
    for key in order:
        if key in numcnn_config and key not in entry.drop:
            value = numcnn_config[key]
            family = entry.family(key)
            config[key] = convert[family](value) if family in convert else jsonable(value)
        elif key in entry.keras_only:
            config[key] = entry.keras_only[key][0]
        elif key in entry.fill:
            config[key] = entry.fill[key]
    return {"module": entry.module, "class_name": entry.keras, "config": config, "registered_name": None}
