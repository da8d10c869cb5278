"""Optimizers with Keras 3's update rules, defaults and names, as ``keras.optimizers``.

``SGD``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adam``, ``AdamW``, ``Nadam``, ``Adamax``, ``Lion`` and
``Ftrl``, by class or by name (``'adam'``, ``'Adam'``, ``'adadelta'``, …), and ``schedules`` at Keras' path.

The model calls ``opt.apply(params, grads)`` once per batch with two dicts sharing their keys
(``"conv2d_1/kernel"``, …). What every rule shares (validation, clipping, weight decay, chunking) is the
``Optimizer`` base class in :mod:`numcnn.optimizers.base`; its saved state (numcnn's ``state_dict`` and Keras'
``optimizer/vars`` order) is :mod:`numcnn.optimizers.state`; each other module holds update rules.
"""

from __future__ import annotations

from numcnn._registry import Registry, serialize
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


deserialize = _REGISTRY.deserialize  # a ``serialize`` dict only, as Keras' ``optimizers.deserialize``


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
