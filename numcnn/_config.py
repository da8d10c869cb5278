"""Keras' configuration protocol, shared: an object is rebuilt from ``get_config()`` by ``from_config``."""

from __future__ import annotations


class Configurable:
    """``from_config(get_config())`` makes an equal object; ``repr`` shows the same arguments."""

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
