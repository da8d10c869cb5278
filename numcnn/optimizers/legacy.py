"""``keras.optimizers.legacy``: Keras 2's optimizer classes. Keras 3 keeps only the names, each raising an
``ImportError`` when used; numcnn does the same and names the Keras 3 class with the same update rule."""

from __future__ import annotations


def _refused(name: str) -> type:
    def __init__(self, *args, **kwargs):
        replacement = f"numcnn.optimizers.{name}" if name != "Optimizer" else "a class of numcnn.optimizers"
        raise ImportError(
            f"numcnn.optimizers.legacy.{name} is Keras 2's optimizer, which Keras 3 (and numcnn) does not have: "
            f"use {replacement} instead (the same update rule; Keras 3's defaults)"
        )

    return type(name, (), {"__init__": __init__, "__doc__": f"Refused: use numcnn.optimizers.{name}."})


Adagrad, Adam, Ftrl, Optimizer, RMSprop, SGD = (
    _refused(n) for n in ("Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD")
)

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
