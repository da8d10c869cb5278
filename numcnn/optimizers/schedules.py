"""Learning-rate schedules, as ``keras.optimizers.schedules`` (also importable as ``numcnn.schedules``).

A schedule maps the optimizer's step (``iterations``: the number of updates done before the current one, as in
Keras) to a learning rate. Optimizers accept a schedule wherever they accept a float ``learning_rate``; since
it depends on ``iterations`` alone, a resumed run picks it up where it stopped. Values are computed in float64
(Keras computes them in float32 when ``initial_learning_rate`` is a Python float).
"""

from __future__ import annotations

import bisect
import math
import numbers

from numcnn._checks import finite_number, flag, fraction, invalid, is_int, positive_float
from numcnn._config import Configurable
from numcnn._registry import Registry, serialize


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


def _steps(name: str, value):
    """A positive step count: Keras takes an integer; a positive float is harmless (it only divides)."""
    steps = positive_float(name, value)
    return int(value) if is_int(value) else steps


def _rate(name: str, value) -> float:
    return finite_number(name, value, low=0.0)


def _unit(name: str, value) -> float:
    return fraction(name, value, high_inclusive=True)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, the exponent floored if ``staircase``.

    Example: ``ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)`` halves the rate every 100 steps
    (smoothly; with ``staircase=True`` in jumps at steps 100, 200, …).
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = positive_float("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
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


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step <=
    boundaries[i]``, ``values[-1]`` after ``boundaries[-1]``.

    Example: ``PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1])``: 1.0 for the first 100001 steps,
    0.5 for the next 10000, then 0.1. ``boundaries``: increasing step counts ≥ 0; one more value than
    boundaries.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        for arg, seq in (("boundaries", boundaries), ("values", values)):
            if not isinstance(seq, (list, tuple)):
                raise invalid(arg, "a list of numbers", seq, TypeError)
        bounds = [finite_number("boundaries", b, low=0.0) for b in boundaries]
        rates = [_rate("values", v) for v in values]
        if any(a >= b for a, b in zip(bounds, bounds[1:])):
            raise invalid("boundaries", "strictly increasing numbers", list(boundaries))
        if len(rates) != len(bounds) + 1:
            expected = f"a list of len(boundaries) + 1 = {len(bounds) + 1} learning rates"
            raise invalid("values", expected, list(values))
        self.boundaries = [int(b) if is_int(b) else float(b) for b in boundaries]
        self.values = rates
        self.name = name

    def __call__(self, step) -> float:
        return self.values[bisect.bisect_left(self.boundaries, _check_step(step))]

    def get_config(self) -> dict:
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``, the quotient floored if
    ``staircase``. Example: ``InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)`` is ``0.1 / (1 + t/2)``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.decay_rate = _rate("decay_rate", decay_rate)
        self.staircase = flag("staircase", staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = _check_step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` in ``decay_steps``, then constant:

    ``(initial − end) · (1 − min(step, decay_steps)/decay_steps) ** power + end``. With ``cycle`` the
    decay restarts: ``decay_steps`` becomes its first multiple ≥ ``step`` (``decay_steps`` itself at step 0).
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.end_learning_rate = _rate("end_learning_rate", end_learning_rate)
        self.power = finite_number("power", power, low=0.0)
        self.cycle = flag("cycle", cycle)
        self.name = name

    def __call__(self, step) -> float:
        step, decay_steps = _check_step(step), self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        remaining = 1.0 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * remaining**self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


def _cosine(fraction_done: float, alpha: float) -> float:
    """The cosine factor from 1 (``fraction_done = 0``) down to ``alpha`` (``fraction_done = 1``)."""
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction_done)) + alpha


class CosineDecay(LearningRateSchedule):
    """A cosine decay (Loshchilov & Hutter 2016), after an optional linear warm-up (Goyal et al. 2017).

    Without ``warmup_target``: ``initial_learning_rate · c(min(step, decay_steps)/decay_steps)`` with
    ``c(f) = (1 − alpha)·(1 + cos(πf))/2 + alpha``. With it, the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target``
    to ``warmup_target·alpha`` over the next ``decay_steps``.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps("decay_steps", decay_steps)
        self.alpha = _unit("alpha", alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else _rate("warmup_target", warmup_target)
        warmup = finite_number("warmup_steps", warmup_steps, low=0.0)
        self.warmup_steps = int(warmup_steps) if is_int(warmup_steps) else warmup

    def __call__(self, step) -> float:
        step = _check_step(step)
        if self.warmup_target is None:
            return self.initial_learning_rate * _cosine(min(step, self.decay_steps) / self.decay_steps, self.alpha)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return rise * (step / self.warmup_steps) + self.initial_learning_rate
        return self.warmup_target * _cosine((step - self.warmup_steps) / self.decay_steps, self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts ``first_decay_steps`` and decays the rate from ``initial_learning_rate`` to
    ``initial_learning_rate·alpha``; period ``i`` (from 0) lasts ``t_mul**i`` times as long and starts at
    ``m_mul**i`` times the rate: ``initial_learning_rate·((1 − alpha)·m_mul**i·(1 + cos(πf))/2 + alpha)``,
    ``f`` the fraction of period ``i`` done. The period is found exactly at its boundaries (a restart step
    starts the new period). With ``t_mul < 1`` the periods add up to ``first_decay_steps/(1 − t_mul)`` steps,
    and a later step is an error (Keras returns NaN there).
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _steps("first_decay_steps", first_decay_steps)
        self.t_mul = positive_float("t_mul", t_mul)
        self.m_mul = _rate("m_mul", m_mul)
        self.alpha = _unit("alpha", alpha)
        self.name = name

    def _period(self, done: float) -> tuple[int, float]:
        """``(i, f)``: the period that ``done`` (in units of the first period) falls in, and its fraction."""
        t = self.t_mul
        if t == 1.0:
            i = math.floor(done)
            return i, done - i
        inside = 1.0 - done * (1.0 - t)
        if inside <= 0.0:
            limit = self.first_decay_steps / (1.0 - t)
            raise invalid("step", f"a step before {limit:g}, where periods shrinking by t_mul={t:g} end", done)
        i = max(0, math.floor(math.log(inside) / math.log(t)))

        def start(k):  # where period k starts: 1 + t + … + t**(k-1)
            return (1.0 - t**k) / (1.0 - t)

        for _ in range(3):  # the logarithm may land one period off at a boundary
            if start(i + 1) <= done:
                i += 1
            elif i > 0 and start(i) > done:
                i -= 1
        return i, (done - start(i)) / t**i

    def __call__(self, step) -> float:
        i, f = self._period(_check_step(step) / self.first_decay_steps)
        decayed = (1.0 - self.alpha) * 0.5 * self.m_mul**i * (1.0 + math.cos(math.pi * f)) + self.alpha
        return self.initial_learning_rate * decayed

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_REGISTRY = Registry("schedule", LearningRateSchedule)
for _cls in (
    ExponentialDecay,
    PiecewiseConstantDecay,
    InverseTimeDecay,
    PolynomialDecay,
    CosineDecay,
    CosineDecayRestarts,
):
    _REGISTRY.register(_cls)


def get(identifier) -> LearningRateSchedule:
    """A schedule from an instance or a ``{'class_name': ..., 'config': {...}}`` dict."""
    if isinstance(identifier, (str, type)):
        raise invalid(
            "schedule", "a LearningRateSchedule or a {'class_name': ..., 'config': ...} dict", identifier, TypeError
        )
    return _REGISTRY.get(identifier)


deserialize = _REGISTRY.deserialize  # a ``serialize`` dict only (the form Keras stores in an optimizer's config)


__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "InverseTimeDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
    "get",
]
