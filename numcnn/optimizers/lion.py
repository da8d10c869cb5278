"""Lion (Chen et al. 2023): the sign of an interpolated momentum as the step."""

from __future__ import annotations

import numpy as np

from numcnn._checks import fraction
from numcnn.optimizers.base import Optimizer


def _beta_1(name: str, value) -> float:
    # Keras refuses beta_1 outside (0, 1]: at 0 the rule degenerates to sign-SGD.
    return fraction(name, value, low_inclusive=False, high_inclusive=True)


class Lion(Optimizer):
    """Keras 3's Lion: ``p −= lr·sign(β1·m + (1−β1)·g)``, then ``m = β2·m + (1−β2)·g``.

    Every element moves by exactly ``lr`` (or not at all where the interpolation is 0), so a learning rate
    3-10x smaller than AdamW's, and a weight decay as much larger, keep ``lr·weight_decay`` comparable.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then one momentum per variable.
    """

    _default_name = "lion"
    _hyper = {"beta_1": _beta_1, "beta_2": fraction}
    _keras_slots = (("momentum",),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        self.beta_1, self.beta_2 = beta_1, beta_2
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"momentum": 0.0}

    def _update(self, param, grad, state, lr):
        s, d = self._scratch_like(param), self._scratch_like(param, 1)
        m = state["momentum"]
        np.multiply(m, self.beta_1, out=s)
        s += np.multiply(grad, 1.0 - self.beta_1, out=d)
        np.sign(s, out=s)
        s *= lr
        param -= s
        m *= self.beta_2
        m += np.multiply(grad, 1.0 - self.beta_2, out=d)
