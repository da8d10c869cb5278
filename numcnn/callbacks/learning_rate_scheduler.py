"""``LearningRateScheduler``: set the learning rate at the start of each epoch from ``schedule(epoch, lr)``."""

from __future__ import annotations

import inspect
import math

import numpy as np

from numcnn._checks import invalid, verbosity
from numcnn.callbacks import _learning_rate
from numcnn.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At each epoch's start, ``optimizer.learning_rate = schedule(epoch, lr)``: ``epoch`` counts from 0, ``lr``
    is the current rate (a float). Adds ``learning_rate`` to each epoch's logs.

    ``schedule`` must return a float (Python, ``np.float32`` or ``np.float64``, as Keras requires) that is
    finite and ≥ 0; anything else raises before the optimizer changes. A one-argument ``schedule(epoch)``
    (Keras 2's form) is called with the epoch only. ``verbose=1`` prints Keras' line
    ``Epoch 3: LearningRateScheduler setting learning rate to 0.0005.``
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise invalid("schedule", "a function schedule(epoch, lr) -> float", schedule, TypeError)
        self.schedule = schedule
        self.verbose = verbosity("verbose", verbose)
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = _learning_rate.current(optimizer)
        value = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        received = f"{value!r} (schedule({epoch}{', ' + repr(lr) if self._takes_lr else ''}) returned it)"
        if not isinstance(value, (float, np.float32, np.float64)):
            raise invalid("schedule", "a function whose output is a float", received, TypeError)
        if not math.isfinite(value) or value < 0:
            raise invalid("schedule", "a function whose output is a finite float ≥ 0", received)
        _learning_rate.settable(optimizer)
        optimizer.learning_rate = float(value)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(value)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate.current(self.model.optimizer)


def _accepts_two_arguments(fn) -> bool:
    """Whether ``fn(epoch, lr)`` is a valid call; Keras tries it and falls back on ``TypeError``, which would
    also swallow a ``TypeError`` raised inside the schedule."""
    try:
        inspect.signature(fn).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature (some builtins): assume the Keras 3 form
        return True
    return True
