"""Optimizers with Keras 3's update rules and defaults: SGD, RMSprop, Adagrad, Adam, AdamW.

The model calls ``opt.apply(params, grads)`` once per batch with two dicts sharing their keys
(``"conv2d_1/kernel"``, …). The shared machinery (validation, clipping, weight decay, state, chunking) is
the ``Optimizer`` base class in :mod:`numcnn._optimizer`; each class here is just its update rule.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn import backend
from numcnn._checks import fraction, invalid
from numcnn._optimizer import Optimizer, _closed_fraction, _flag, _non_negative
from numcnn._registry import Registry
from numcnn._registry import serialize as registry_serialize


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras 3's form.

    ``velocity = momentum·velocity − lr·g``; then ``p += velocity``, or with Nesterov
    ``p += momentum·velocity − lr·g``.
    """

    _default_name = "SGD"
    _hyper = {"momentum": _closed_fraction, "nesterov": _flag}
    _all_slots = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        self.momentum, self.nesterov = momentum, nesterov
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"momentum": 0.0} if self.momentum else {}

    def _update(self, param, grad, state, lr):
        step = np.multiply(grad, lr, out=self._scratch_like(param))  # lr·g
        if not self.momentum:
            param -= step
            return
        velocity = state["momentum"]
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            param -= step
            param += np.multiply(velocity, self.momentum, out=step)
        else:
            param += velocity


class RMSprop(Optimizer):
    """Keras 3's RMSprop: ``v = ρv + (1−ρ)g²``; ``p −= lr·g / √(v + ε)`` (ε inside the root).

    ``centered``: also ``mg = ρ·mg + (1−ρ)g`` and the root is ``√(v − mg² + ε)``. ``momentum > 0``:
    ``mom = momentum·mom + lr·g/√(…)`` and ``p −= mom``.
    """

    _default_name = "rmsprop"
    _hyper = {"rho": fraction, "momentum": _closed_fraction, "epsilon": _non_negative, "centered": _flag}
    _all_slots = ("velocity", "momentum", "average_gradient")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        names = ("velocity",) + ("momentum",) * bool(self.momentum) + ("average_gradient",) * self.centered
        return dict.fromkeys(names, 0.0)

    def _update(self, param, grad, state, lr):
        s = self._scratch_like(param)
        velocity = state["velocity"]
        velocity *= self.rho
        velocity += np.multiply(np.multiply(grad, grad, out=s), 1.0 - self.rho, out=s)
        if self.centered:
            average = state["average_gradient"]
            average *= self.rho
            average += np.multiply(grad, 1.0 - self.rho, out=s)
            np.subtract(velocity, np.multiply(average, average, out=s), out=s)
            s += self.epsilon
        else:
            np.add(velocity, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.divide(grad, s, out=s)
        s *= lr  # s is now the increment lr·g/√denominator
        if self.momentum:
            momentum = state["momentum"]
            momentum *= self.momentum
            momentum += s
            param -= momentum
        else:
            param -= s


class Adagrad(Optimizer):
    """``acc += g²``; ``p −= lr·g / √(acc + ε)``; ``acc`` starts at ``initial_accumulator_value``."""

    _default_name = "adagrad"
    _hyper = {"initial_accumulator_value": _non_negative, "epsilon": _non_negative}
    _all_slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"accumulator": self.initial_accumulator_value}

    def _update(self, param, grad, state, lr):
        s = self._scratch_like(param)
        accumulator = state["accumulator"]
        accumulator += np.multiply(grad, grad, out=s)
        np.sqrt(np.add(accumulator, self.epsilon, out=s), out=s)
        np.divide(grad, s, out=s)
        s *= lr
        param -= s


class Adam(Optimizer):
    """Adam in Keras' form (not PyTorch's): with ``t = iterations + 1``,

    ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``, ``α = lr·√(1−β2ᵗ)/(1−β1ᵗ)``, ``p −= α·m/(√v + ε)``.
    ε is added to the uncorrected √v, so at step 1 it acts like ε/√(1−β2) ≈ 3.2e-6. ``amsgrad`` divides by
    the running maximum of ``v`` instead.
    """

    _default_name = "adam"
    _hyper = {"beta_1": fraction, "beta_2": fraction, "epsilon": _non_negative, "amsgrad": _flag}
    _all_slots = ("momentum", "velocity", "velocity_hat")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return dict.fromkeys(("momentum", "velocity") + ("velocity_hat",) * self.amsgrad, 0.0)

    def _fused(self, param, state):
        return not self.amsgrad and all(a.flags.c_contiguous for a in (param, *state.values()))

    def _update(self, param, grad, state, lr):
        t = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        m, v = state["momentum"], state["velocity"]
        if self._fused(param, state):  # one pass over memory instead of eight numpy operations
            backend.ops().adam_update(param, grad, m, v, alpha, self.beta_1, self.beta_2, self.epsilon)
            return
        s = self._scratch_like(param)
        m += np.multiply(np.subtract(grad, m, out=s), 1.0 - self.beta_1, out=s)
        np.multiply(grad, grad, out=s)
        s -= v
        v += np.multiply(s, 1.0 - self.beta_2, out=s)
        if self.amsgrad:
            v = np.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= alpha
        param -= s


class AdamW(Adam):
    """Adam with Keras' decoupled weight decay, applied before the Adam step: ``p −= p·weight_decay·lr``
    (``lr`` the current learning rate, not Adam's α)."""

    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay=weight_decay, **kwargs)

    def _validate(self):
        if self.weight_decay is None:
            raise invalid("weight_decay", "a non-negative number", None, TypeError)
        super()._validate()


_REGISTRY = Registry("optimizer", Optimizer)
for _cls in (SGD, RMSprop, Adagrad, Adam, AdamW):
    _REGISTRY.register(_cls, _cls.__name__.lower())


def get(identifier) -> Optimizer:
    """Resolve an optimizer from a name (``'adam'``, ``'Adam'``, …; Keras' defaults), an instance, a class,
    or a ``{'class_name': ..., 'config': {...}}`` dict as ``serialize`` or Keras write it."""
    return _REGISTRY.get(identifier)


def serialize(optimizer: Optimizer) -> dict:
    """``{'class_name': ..., 'config': {...}}``, the form ``get`` reads back."""
    return registry_serialize(optimizer)


__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "get", "serialize"]
