"""Layer subclasses written with ``call``, as Keras' guides write them: traced like a subclassed model.

``class ResidualUnit(keras.layers.Layer)`` that makes layers in ``__init__`` (or ``build``) and composes them
in ``call(inputs)`` with layers, ``numcnn.ops`` and tensor operators (``Z + skip_Z``) is made, when it is
instantiated, a subclass of both itself and :class:`~numcnn.models.Model`: its ``call`` is traced on symbolic
inputs into a graph whose every step has its own backward pass, and the layers it composes hold the
weights. It then works wherever a layer does (a Sequential, a functional model, a call on arrays).

Weights of the layer's own (``self.w = self.add_weight(...)`` in ``build``, keras.io's ``Linear``) are
graph leaves of the trace and train with the sublayers' (:mod:`numcnn.models.own_weights`); losses it adds
with ``self.add_loss(tensor)`` join the loss of ``fit`` and ``evaluate`` (:mod:`numcnn.models.added_losses`).
Not supported, and refused by name: assigning to its weights in ``call``, and overriding ``call`` of one of
numcnn's layers (which run ``forward``, so the override would be ignored).
"""

from __future__ import annotations

from numcnn.layers.base import Layer
from numcnn.models import own_weights
from numcnn.models.model import Model

_classes: dict[type, type] = {}


def _numcnn_base(cls) -> type:
    return next(k for k in cls.__mro__ if k.__module__.startswith("numcnn."))


def _owner(cls, method: str):
    """The class of ``cls``'s MRO below ``Layer`` that defines ``method`` first, or None."""
    for klass in cls.__mro__:
        if klass is Layer:
            return None
        if method in vars(klass):
            return klass
    return None


class _TracedLayer(Model):
    """Between the user's class and Model in a traced layer's MRO: its ``super().get_config()`` is a layer's
    (name, trainable, dtype), as in Keras, not a model's, which has no config for code."""

    get_config = Layer.get_config


def traced_layer_class(cls: type) -> type:
    """The class to instantiate for ``cls``: ``cls`` itself for models, else a ``(cls, Model)`` subclass."""
    if issubclass(cls, Model):
        return cls
    made = _classes.get(cls)
    if made is not None:
        return made
    forward_owner, call_owner = _owner(cls, "forward"), _owner(cls, "call")
    if forward_owner is not None:
        if call_owner is not forward_owner and issubclass(call_owner, forward_owner):
            raise TypeError(
                f"{cls.__name__} overrides call() of numcnn's {_numcnn_base(cls).__name__}, which numcnn runs through "
                "its forward() and backward() and would ignore call(): subclass keras.layers.Layer (or "
                "keras.Model) and compose the layer inside call() instead"
            )
        return cls  # a layer written numcnn's way, forward() and backward()
    user_build = vars(_owner(cls, "build"))["build"] if _owner(cls, "build") is not None else None

    def build(self, input_shape=None):
        if self._traces:
            return
        own = own_weights.holder(self)
        before = set(own.names())
        try:
            if user_build is not None:  # it makes the sublayers and weights; it may call super().build(), which traces
                user_build(self, input_shape)
            Model.build(self, input_shape)
        except BaseException:  # a failed build leaves no weights behind, so it can be built again
            own.forget([name for name in own.names() if name not in before])
            raise

    made = type(
        cls.__name__,
        (cls, _TracedLayer),
        {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "build": build},
    )
    _classes[cls] = made
    return made
