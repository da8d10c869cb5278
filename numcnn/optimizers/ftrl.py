"""FTRL-Proximal (McMahan et al. 2013), "follow the regularized leader", in Keras 3's form."""

from __future__ import annotations

import numpy as np

from numcnn._checks import finite_number, invalid
from numcnn.optimizers.base import Optimizer, _non_negative


def _non_positive(name: str, value) -> float:
    return finite_number(name, value, high=0.0)


class Ftrl(Optimizer):
    """Keras 3's FTRL, with ``n`` the accumulator, ``z`` the linear term and ``k = −learning_rate_power``:

    ``g' = g + 2·l2_shrinkage·p``; ``n' = n + g²``; ``z += g' − (n'ᵏ − nᵏ)/lr · p``;
    ``p = (clip(z, −l1, l1) − z) / (n'ᵏ/lr + 2·(l2 + beta/(2·lr)))``; ``n = n'``.

    ``n`` starts at ``initial_accumulator_value``; with 0 there, an element whose gradient is still 0 divides
    0 by 0 (NaN), as in Keras. The learning rate must be positive (the rule divides by it).

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then per variable its accumulator and its
    linear, interleaved (n0, z0, n1, z1, …).
    """

    _default_name = "ftrl"
    _hyper = {
        "learning_rate_power": _non_positive,
        "initial_accumulator_value": _non_negative,
        "l1_regularization_strength": _non_negative,
        "l2_regularization_strength": _non_negative,
        "l2_shrinkage_regularization_strength": _non_negative,
        "beta": _non_negative,
    }
    _keras_slots = (("accumulator", "linear"),)

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"accumulator": self.initial_accumulator_value, "linear": 0.0}

    def _check_learning_rate(self, lr):
        if lr <= 0:
            raise invalid("learning_rate", "a positive number (Ftrl divides by it)", lr)

    def _update(self, param, grad, state, lr):
        s, d, e = (self._scratch_like(param, i) for i in range(3))
        n, z = state["accumulator"], state["linear"]
        k = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        np.multiply(param, 2.0 * self.l2_shrinkage_regularization_strength, out=s)
        s += grad  # g'
        np.power(n, k, out=e)  # nᵏ
        n += np.multiply(grad, grad, out=d)  # n is n' from here on
        np.power(n, k, out=d)  # n'ᵏ
        np.subtract(d, e, out=e)
        e /= lr
        e *= param
        s -= e
        z += s
        d /= lr
        d += 2.0 * l2  # the quadratic term
        np.clip(z, -l1, l1, out=s)
        s -= z
        np.divide(s, d, out=param)
