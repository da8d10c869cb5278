"""Layers whose output is their input: ``Identity`` (a placeholder) and ``ActivityRegularization`` (which adds a
penalty on the values passing through to the training loss)."""

from __future__ import annotations

from numcnn import regularizers
from numcnn.layers.base import Layer


class Identity(Layer):
    """``Identity()``: ``y = x`` for inputs of any shape; backward passes ``dy`` on unchanged.
    A placeholder where a model's structure wants a layer and no operation."""

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy


class ActivityRegularization(Layer):
    """``ActivityRegularization(l1=0.0, l2=0.0)``: ``y = x``, and the loss gains Keras 3's activity penalty
    ``(l1·Σ|x| + l2·Σx²) / N`` for a batch of ``N`` samples (Keras 3 divides by the batch size; Keras 2 did not).

    The penalty is the layer's ``activity_regularizer`` (an ``L1L2``, as in Keras), which the model's plan
    adds to the loss and its gradient to the layer's output gradient, as for any layer's activity regularizer.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError(
                "ActivityRegularization.__init__() got an unexpected keyword argument 'activity_regularizer' "
                "(its penalty is set by l1 and l2)"
            )
        penalty = regularizers.L1L2(l1=l1, l2=l2)  # checks l1 and l2: finite numbers ≥ 0
        super().__init__(activity_regularizer=penalty, **kwargs)
        self.l1, self.l2 = penalty.l1, penalty.l2

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)  # Keras' config holds l1 and l2 instead
        return {**config, "l1": self.l1, "l2": self.l2}
