"""Learning-rate schedules, as ``keras.optimizers.schedules``.

A schedule maps the optimizer's step (``iterations``: the number of updates done before the current one, as in
Keras) to a learning rate. Optimizers accept a schedule wherever they accept a float ``learning_rate``.
"""

from __future__ import annotations

import math
import numbers

from numcnn._checks import invalid, is_int, positive_float
from numcnn._config import Configurable
from numcnn._registry import Registry
from numcnn._registry import serialize as registry_serialize


class LearningRateSchedule(Configurable):
    """Base class: ``schedule(step) -> float`` for an integer ``step >= 0``, plus ``get_config()``."""

    def __call__(self, step) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")


def _check_step(step) -> float:
    """Steps are counts: a non-negative integer (a float is accepted if it is finite and >= 0)."""
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        raise invalid("step", "a non-negative integer", step, TypeError)
    if not math.isfinite(step) or step < 0:
        raise invalid("step", "a non-negative integer", step)
    return float(step)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, the exponent floored if ``staircase``.

    Example: ``ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)`` halves the rate every 100 steps
    (smoothly; with ``staircase=True`` in jumps at steps 100, 200, …).
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = positive_float("initial_learning_rate", initial_learning_rate)
        # Keras takes an integer; a positive float is harmless (it only divides the step).
        steps = positive_float("decay_steps", decay_steps)
        self.decay_steps = int(decay_steps) if is_int(decay_steps) else steps
        self.decay_rate = positive_float("decay_rate", decay_rate)
        if not isinstance(staircase, bool):
            raise invalid("staircase", "a bool", staircase, TypeError)
        self.staircase = staircase
        self.name = name

    def __call__(self, step) -> float:
        exponent = _check_step(step) / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial_learning_rate * self.decay_rate**exponent

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


_REGISTRY = Registry("schedule", LearningRateSchedule)
_REGISTRY.register(ExponentialDecay)


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{'class_name': ..., 'config': {...}}``, the form Keras stores in an optimizer's config."""
    return registry_serialize(schedule)


def get(identifier) -> LearningRateSchedule:
    """A schedule from an instance or a ``{'class_name': ..., 'config': {...}}`` dict."""
    if isinstance(identifier, (str, type)):
        raise invalid(
            "schedule", "a LearningRateSchedule or a {'class_name': ..., 'config': ...} dict", identifier, TypeError
        )
    return _REGISTRY.get(identifier)


__all__ = ["LearningRateSchedule", "ExponentialDecay", "serialize", "get"]
