"""Stochastic gradient descent, with optional (Nesterov) momentum, in Keras 3's form."""

from __future__ import annotations

import numpy as np

from numcnn.optimizers.base import Optimizer, _closed_fraction, _flag


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras 3's form.

    ``velocity = momentum·velocity − lr·g``; then ``p += velocity``, or with Nesterov
    ``p += momentum·velocity − lr·g``. Without momentum, simply ``p −= lr·g``.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then with ``momentum > 0`` one momentum per
    variable (m0, m1, …).
    """

    _default_name = "SGD"
    _hyper = {"momentum": _closed_fraction, "nesterov": _flag}
    _keras_slots = (("momentum",),)

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
