"""The Adam family: Adam (and AMSGrad), AdamW, Nadam, Adamax, in Keras 3's forms (not PyTorch's)."""

from __future__ import annotations

import math

import numpy as np

from numcnn import backend
from numcnn._checks import fraction, invalid
from numcnn.optimizers.base import Optimizer, _flag, _non_negative

_BETAS = {"beta_1": fraction, "beta_2": fraction, "epsilon": _non_negative}


class Adam(Optimizer):
    """Adam in Keras' form (not PyTorch's): with ``t = iterations + 1``,

    ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``, ``α = lr·√(1−β2ᵗ)/(1−β1ᵗ)``, ``p −= α·m/(√v + ε)``.
    ε is added to the uncorrected √v, so at step 1 it acts like ε/√(1−β2) ≈ 3.2e-6. ``amsgrad`` divides by
    the running maximum of ``v`` instead.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then per variable its momentum and velocity,
    interleaved (m0, v0, m1, v1, …), then with ``amsgrad`` every velocity_hat (vhat0, vhat1, …).
    """

    _default_name = "adam"
    _hyper = {**_BETAS, "amsgrad": _flag}
    _keras_slots = (("momentum", "velocity"), ("velocity_hat",))

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
            backend.nn.adam_update(param, grad, m, v, alpha, self.beta_1, self.beta_2, self.epsilon)
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
    (``lr`` the current learning rate, not Adam's α). Keras' ``optimizer/vars`` order is Adam's."""

    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay=weight_decay, **kwargs)

    def _validate(self):
        if self.weight_decay is None:
            raise invalid("weight_decay", "a non-negative number", None, TypeError)
        super()._validate()


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2015), Keras 3's form. With ``t = iterations + 1``,
    ``μ_s = β1·(1 − 0.5·0.96ˢ)`` and ``Π_t = μ_1·…·μ_t``:

    ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``,
    ``m̂ = μ_{t+1}·m/(1 − Π_t·μ_{t+1}) + (1 − μ_t)·g/(1 − Π_t)``, ``v̂ = v/(1 − β2ᵗ)``,
    ``p −= lr·m̂/(√v̂ + ε)``.

    Keras keeps ``Π`` as a variable (``u_product``); here it is a function of ``iterations``, so that a
    resumed run needs nothing more. Keras' ``optimizer/vars`` order: iteration, learning_rate, then per
    variable its momentum and velocity, interleaved (m0, v0, m1, v1, …), then the scalar ``u_product``.
    """

    _default_name = "nadam"
    _hyper = dict(_BETAS)
    _keras_slots = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._products = (0, None, 1.0)  # (t, beta_1, Π_t): the last product computed
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"momentum": 0.0, "velocity": 0.0}

    def _mu(self, s: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96**s)

    def _u_product(self, t: int) -> float:
        """``Π_t``, multiplied out in step order (so a resumed run gets the very same bits)."""
        done, beta_1, value = self._products
        if beta_1 != self.beta_1 or done > t:
            done, value = 0, 1.0
        while done < t and value != 0.0:  # once it underflows to 0 it stays 0
            done += 1
            value *= self._mu(done)
        self._products = (t, self.beta_1, value)
        return value

    def _keras_extras(self, dtype):
        return [("u_product", np.array(self._u_product(self.iterations), dtype=dtype))]

    def _update(self, param, grad, state, lr):
        t = self.iterations + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        product = self._u_product(t)
        s, d = self._scratch_like(param), self._scratch_like(param, 1)
        m, v = state["momentum"], state["velocity"]
        m += np.multiply(np.subtract(grad, m, out=s), 1.0 - self.beta_1, out=s)
        v += np.multiply(np.subtract(np.multiply(grad, grad, out=s), v, out=s), 1.0 - self.beta_2, out=s)
        np.multiply(m, mu_next / (1.0 - product * mu_next), out=s)
        s += np.multiply(grad, (1.0 - mu_t) / (1.0 - product), out=d)  # s is m̂
        np.sqrt(np.divide(v, 1.0 - self.beta_2**t, out=d), out=d)
        d += self.epsilon
        s /= d
        s *= lr
        param -= s


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (Kingma & Ba 2014, §7.1), Keras 3's form. With ``t = iterations+1``:

    ``m += (1−β1)(g − m)``, ``u = max(β2·u, |g|)``, ``p −= lr·m / ((1 − β1ᵗ)(u + ε))``.

    Keras' ``optimizer/vars`` order: iteration, learning_rate, then per variable its momentum and norm,
    interleaved (m0, u0, m1, u1, …).
    """

    _default_name = "adamax"
    _hyper = dict(_BETAS)
    _keras_slots = (("momentum", "norm"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return {"momentum": 0.0, "norm": 0.0}

    def _update(self, param, grad, state, lr):
        t = self.iterations + 1
        s, d = self._scratch_like(param), self._scratch_like(param, 1)
        m, u = state["momentum"], state["norm"]
        m += np.multiply(np.subtract(grad, m, out=s), 1.0 - self.beta_1, out=s)
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=s), out=u)
        np.add(u, self.epsilon, out=s)
        s *= 1.0 - self.beta_1**t
        np.multiply(m, lr, out=d)
        d /= s
        param -= d
