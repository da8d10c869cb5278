"""Reading and setting an optimizer's learning rate from a callback."""

from __future__ import annotations

import numbers

import numpy as np


def current(optimizer) -> float:
    """The learning rate the next update will use, as a float (a schedule evaluated at ``iterations``)."""
    if optimizer is None:
        raise ValueError("This callback needs a compiled model with an optimizer: call model.compile(optimizer=...)")
    if hasattr(optimizer, "current_learning_rate"):
        return float(optimizer.current_learning_rate())
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(optimizer.learning_rate)


def settable(optimizer) -> None:
    """Raise ``TypeError`` (Keras' message) when the learning rate is a schedule, which a float would replace."""
    lr = getattr(optimizer, "learning_rate", None)
    if not (isinstance(lr, numbers.Real) or (isinstance(lr, np.ndarray) and lr.shape == ())):
        raise TypeError(
            "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` constructor "
            "argument, hence its learning rate is not settable. If you need the learning rate to be settable, "
            "you should instantiate the optimizer with a float `learning_rate` argument."
        )
