"""One resolver for every family of named things: activations, losses, metrics, initializers, optimizers,
learning-rate schedules and layers.

Keras lets an argument name its object in four ways, and each family here accepts all four the same way:

- an instance of the family's base class, returned as it is;
- a name (``'adam'``, ``'Adam'``, ``'glorot_uniform'``; case-insensitive): a class is instantiated with its
  defaults, a named object (an activation function) is returned;
- a class of the family, instantiated with its defaults;
- Keras' serialized form ``{'class_name': ..., 'config': {...}}``, rebuilt by ``cls.from_config(config)``.

Names resolve only through the family's fixed table, so nothing read from a file can name arbitrary code.
"""

from __future__ import annotations

from numcnn._checks import invalid


class Registry:
    """The named members of one family and the one way to resolve an identifier into one of them.

    ``argument`` is the argument name that error messages quote (``'optimizer'``); ``base`` the class whose
    instances pass through unchanged.
    """

    def __init__(self, argument: str, base: type):
        self.argument = argument
        self.base = base
        self._entries: dict[str, object] = {}
        self._shown: list[str] = []

    def register(self, entry, *names: str, shown: bool = True):
        """Make ``entry`` (a class or an object) reachable by each of ``names``; returns ``entry``.

        A class is also reachable by its own ``__name__``. ``shown`` names are listed in error messages.
        """
        if isinstance(entry, type):
            names = (*names, entry.__name__)
        for name in names:
            key = name.lower()
            if key not in self._entries and shown:
                self._shown.append(name)
            self._entries[key] = entry
        return entry

    def names(self) -> list[str]:
        """The names listed in error messages, in registration order."""
        return list(self._shown)

    def classes(self) -> list[type]:
        """Every registered class once, in registration order (what tables of the family derive from)."""
        return list(dict.fromkeys(entry for entry in self._entries.values() if isinstance(entry, type)))

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def lookup(self, name: str):
        """The class or object registered as ``name``; ``ValueError`` listing the known names otherwise."""
        entry = self._entries.get(name.lower()) if isinstance(name, str) else None
        if entry is None:
            raise invalid(self.argument, f"one of {', '.join(map(repr, self._shown))}", name)
        return entry

    def get(self, identifier):
        """Resolve a name, instance, class or ``{'class_name', 'config'}`` dict (see the module docstring)."""
        if isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            entry = self.lookup(identifier)
            return entry() if isinstance(entry, type) else entry
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if isinstance(identifier, dict) and isinstance(identifier.get("class_name"), str):
            config = identifier.get("config")
            if config is None:
                config = {}
            if not isinstance(config, dict):
                raise invalid(self.argument, "a dict under 'config'", config, TypeError)
            entry = self.lookup(identifier["class_name"])
            if not isinstance(entry, type):
                return entry  # a named object (an activation function) has nothing to configure
            return entry.from_config(dict(config))
        expected = f"a name, a {self.base.__name__} or a {{'class_name': ..., 'config': ...}} dict"
        raise invalid(self.argument, expected, identifier, TypeError)

    def deserialize(self, config: dict):
        """A new object from ``serialize``'s (or Keras') ``{'class_name': ..., 'config': {...}}`` dict only;
        ``TypeError`` for anything else. (Families whose Keras ``deserialize`` also takes a name use ``get``.)"""
        if not isinstance(config, dict):
            raise invalid("config", "a {'class_name': ..., 'config': ...} dict", config, TypeError)
        return self.get(config)


def serialize(obj) -> dict:
    """``{'class_name': ..., 'config': {...}}`` of an object with ``get_config()``, the form ``get`` reads."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}
