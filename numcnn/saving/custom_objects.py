"""The user's own classes, by name, for rebuilding a model that holds them: Keras 3's ``custom_objects``.

A model file names its layers' classes; numcnn rebuilds its own from fixed tables and never imports or runs
anything a file names. A class of the user's (a ``Layer`` subclass of their script) is found only where the
user handed it over, as in Keras:

- ``load_model(path, custom_objects={"Linear": Linear})`` or ``model_from_json(text, custom_objects=...)``;
- ``with custom_object_scope({"Linear": Linear}):`` (``CustomObjectScope``) around the load;
- ``@register_keras_serializable(package="MyPackage")`` on the class, which files then find under its
  ``'MyPackage>Linear'`` name or its class name.

The class is then rebuilt with its ``from_config(config)``, the config its ``get_config()`` wrote. This
resolves layer classes (the entries of a model's layer list) in numcnn's ``.npz`` files and JSON configs;
Keras' ``.keras`` and ``.h5`` files still refuse a class numcnn does not know, by name.
"""

from __future__ import annotations

import threading

from numcnn._checks import invalid

_REGISTERED: dict[str, type] = {}  # 'package>name' -> class (register_keras_serializable)
_scopes = threading.local()  # .stack: the dicts of the scopes entered in this thread, innermost last


def checked(custom_objects, argument: str = "custom_objects") -> dict[str, type]:
    """``custom_objects`` as a dict of names to classes or functions (Keras takes custom losses and
    activations there too; numcnn uses the layer classes); ``TypeError`` naming ``argument`` otherwise."""
    if custom_objects is None:
        return {}
    expected = "None or a dict of names to classes or functions"
    if not isinstance(custom_objects, dict):
        raise invalid(argument, expected, type(custom_objects).__name__, TypeError)
    for name, value in custom_objects.items():
        if not isinstance(name, str) or not callable(value):
            raise invalid(argument, expected, f"{{{name!r}: {value!r}}}", TypeError)
    return dict(custom_objects)


class CustomObjectScope:
    """``with CustomObjectScope({"Linear": Linear}):``: the classes are found by name while the block runs (in
    this thread). Scopes nest; the innermost wins."""

    def __init__(self, *custom_objects):
        self._objects: dict[str, type] = {}
        for i, objects in enumerate(custom_objects):
            self._objects.update(checked(objects, f"custom_objects[{i}]"))

    def __enter__(self):
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(self._objects)
        return self

    def __exit__(self, *exc_info) -> None:
        _scopes.stack.pop()


custom_object_scope = CustomObjectScope


def register_keras_serializable(package="Custom", name=None):
    """Keras' decorator for a custom class: files find it under ``'package>name'`` (``name`` defaults to the
    class name) or its class name."""
    if not isinstance(package, str) or not package:
        raise invalid("package", "a non-empty string", package, TypeError)
    if name is not None and not isinstance(name, str):
        raise invalid("name", "None or a string", name, TypeError)

    def register(cls):
        if not isinstance(cls, type):
            raise invalid("cls", "a class", cls, TypeError)
        key = f"{package}>{name or cls.__name__}"
        _REGISTERED[key] = cls
        cls._registered_name = key
        return cls

    return register


def get_custom_objects() -> dict[str, type]:
    """The classes registered with :func:`register_keras_serializable` (a copy)."""
    return dict(_REGISTERED)


def get_registered_name(cls) -> str:
    """``'package>name'`` for a registered class, else its class name (Keras' rule)."""
    return getattr(cls, "_registered_name", None) or cls.__name__


def get_registered_object(name: str, custom_objects=None):
    """The class ``name`` stands for among ``custom_objects``, the active scopes and the registered classes;
    None when the user gave none by that name."""
    return find(name, checked(custom_objects))


def find(name: str, custom_objects: dict | None = None):
    """The user's class called ``name``: from ``custom_objects``, then the scopes (innermost first), then the
    registered classes (by 'package>name' or by class name)."""
    for objects in [custom_objects or {}, *reversed(getattr(_scopes, "stack", None) or [])]:
        if name in objects:
            return objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    return next((cls for cls in _REGISTERED.values() if cls.__name__ == name), None)
