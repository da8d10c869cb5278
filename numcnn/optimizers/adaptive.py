"""Per-element adaptive step sizes from running averages of squared gradients: RMSprop, Adagrad, Adadelta."""

from __future__ import annotations

import numpy as np

from numcnn._checks import fraction
from numcnn.optimizers.base import Optimizer, _closed_fraction, _flag, _non_negative


class RMSprop(Optimizer):
    """Keras 3's RMSprop: ``v = ρv + (1−ρ)g²``; ``p −= lr·g / √(v + ε)`` (ε inside the root).

    ``centered``: also ``mg = ρ·mg + (1−ρ)g`` and the root is ``√(v − mg² + ε)``. ``momentum > 0``:
    ``mom = momentum·mom + lr·g/√(…)`` and ``p −= mom``.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then in blocks: every velocity (v0, v1, …),
    then every momentum (with ``momentum > 0``), then every average_gradient (with ``centered``).
    """

    _default_name = "rmsprop"
    _hyper = {"rho": fraction, "momentum": _closed_fraction, "epsilon": _non_negative, "centered": _flag}
    _keras_slots = (("velocity",), ("momentum",), ("average_gradient",))

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
    """``acc += g²``; ``p −= lr·g / √(acc + ε)``; ``acc`` starts at ``initial_accumulator_value``.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then one accumulator per variable.
    """

    _default_name = "adagrad"
    _hyper = {"initial_accumulator_value": _non_negative, "epsilon": _non_negative}
    _keras_slots = (("accumulator",),)

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


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) in Keras 3's form, with ``rms(x) = √(x + ε)``:

    ``Eg² = ρ·Eg² + (1−ρ)g²``; ``Δ = −rms(EΔ²)·g / rms(Eg²)``; ``EΔ² = ρ·EΔ² + (1−ρ)Δ²``; ``p += lr·Δ``.

    Keras 3 defaults to ``learning_rate=0.001``; Keras 2 (and the paper's exact form) used
    ``learning_rate=1.0``, so a Keras 2 script that relied on the default trains ~1000x slower here, as it
    does in Keras 3: pass ``learning_rate=1.0`` to get Keras 2's behaviour.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then per variable its accumulated_grad and
    its accumulated_delta_var, interleaved (g0, d0, g1, d1, …).
    """

    _default_name = "adadelta"
    _hyper = {"rho": fraction, "epsilon": _non_negative}
    _keras_slots = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        self.rho, self.epsilon = rho, epsilon
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"accumulated_grad": 0.0, "accumulated_delta_var": 0.0}

    def _update(self, param, grad, state, lr):
        s, d = self._scratch_like(param), self._scratch_like(param, 1)
        mean_g2, mean_delta2 = state["accumulated_grad"], state["accumulated_delta_var"]
        mean_g2 *= self.rho
        mean_g2 += np.multiply(np.multiply(grad, grad, out=s), 1.0 - self.rho, out=s)
        np.sqrt(np.add(mean_delta2, self.epsilon, out=d), out=d)
        d *= grad
        d /= np.sqrt(np.add(mean_g2, self.epsilon, out=s), out=s)  # d is now −Δ
        mean_delta2 *= self.rho
        mean_delta2 += np.multiply(np.multiply(d, d, out=s), 1.0 - self.rho, out=s)
        d *= lr
        param -= d
