"""The learned scale ``gamma`` and shift ``beta`` that BatchNormalization, LayerNormalization and
GroupNormalization share: their initializer, regularizer and constraint arguments, their ``epsilon``, the two
weights (Keras' order: gamma, beta) and their config entries."""

from __future__ import annotations

from numcnn import backend, initializers
from numcnn._checks import float_dtype, positive_in_dtype
from numcnn.layers.activated import _constraint, _regularizer, serialized

# Keras' order of their config entries
_OBJECTS = (
    "beta_initializer",
    "gamma_initializer",
    "beta_regularizer",
    "gamma_regularizer",
    "beta_constraint",
    "gamma_constraint",
)


class ScaleShift:
    """A mixin of a normalization layer with ``center`` (beta) and ``scale`` (gamma) set by the layer itself."""

    def _scale_shift_arguments(self, arguments: dict, epsilon, dtype) -> None:
        """Keep the six gamma/beta objects of ``arguments`` (the layer's ``__init__`` arguments by name, its
        ``locals()``), each resolved from a name or config, and ``epsilon``, positive in the layer's float
        type ``dtype`` (None: floatx)."""
        for name in _OBJECTS:
            value = arguments[name]
            if name.endswith("initializer"):
                value = initializers.get(value)
            else:
                value = (_regularizer if name.endswith("regularizer") else _constraint)(value)
            setattr(self, name, value)
        self.epsilon = positive_in_dtype("epsilon", epsilon, float_dtype(dtype, backend.floatx()))

    def _add_scale_shift(self, shape, gamma: bool, beta: bool) -> None:
        if gamma:
            self.add_weight("gamma", shape, self.gamma_initializer, True, self.gamma_regularizer, self.gamma_constraint)
        if beta:
            self.add_weight("beta", shape, self.beta_initializer, True, self.beta_regularizer, self.beta_constraint)

    def _scale_shift_config(self) -> dict:
        """The six entries, in Keras' order."""
        return {
            name: (initializers.serialize if name.endswith("initializer") else serialized)(getattr(self, name))
            for name in _OBJECTS
        }
