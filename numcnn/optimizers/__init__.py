"""Optimizers with Keras 3's update rules, defaults and names, as ``keras.optimizers``.

``SGD``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adam``, ``AdamW``, ``Nadam``, ``Adamax``, ``Lion`` and
``Ftrl``, by class or by name (``'adam'``, ``'Adam'``, ``'adadelta'``, …), and ``schedules`` at Keras' path.

The model calls ``opt.apply(params, grads)`` once per batch with two dicts sharing their keys
(``"conv2d_1/kernel"``, …). What every rule shares (validation, clipping, weight decay, chunking) is the
``Optimizer`` base class in :mod:`numcnn.optimizers.base`; its saved state (numcnn's ``state_dict`` and Keras'
``optimizer/vars`` order) is :mod:`numcnn.optimizers.state`; each other module holds update rules.
"""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn._registry import Registry
from numcnn._registry import serialize as registry_serialize
from numcnn.optimizers import legacy, schedules
from numcnn.optimizers.adam import Adam, Adamax, AdamW, Nadam
from numcnn.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from numcnn.optimizers.base import Optimizer
from numcnn.optimizers.ftrl import Ftrl
from numcnn.optimizers.lion import Lion
from numcnn.optimizers.sgd import SGD

_REGISTRY = Registry("optimizer", Optimizer)
for _cls in (SGD, RMSprop, Adagrad, Adam, AdamW, Adadelta, Nadam, Adamax, Lion, Ftrl):
    _REGISTRY.register(_cls, _cls.__name__.lower())


def get(identifier) -> Optimizer:
    """Resolve an optimizer from a name (``'adam'``, ``'Adam'``, …; Keras' defaults), an instance, a class,
    or a ``{'class_name': ..., 'config': {...}}`` dict as ``serialize`` or Keras write it."""
    return _REGISTRY.get(identifier)


def serialize(optimizer: Optimizer) -> dict:
    """``{'class_name': ..., 'config': {...}}``, the form ``get`` and ``deserialize`` read back."""
    return registry_serialize(optimizer)


def deserialize(config: dict) -> Optimizer:
    """A new optimizer from ``serialize``'s (or Keras') ``{'class_name': ..., 'config': {...}}`` dict."""
    if not isinstance(config, dict):
        raise invalid("config", "a {'class_name': ..., 'config': ...} dict", config, TypeError)
    return _REGISTRY.get(config)


import numcnn.schedules  # noqa: E402, F401  (the earlier path stays an attribute of numcnn, as before the move)

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adam",
    "AdamW",
    "Nadam",
    "Adamax",
    "Lion",
    "Ftrl",
    "legacy",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]
