"""The optimizer base class: everything an update rule shares (the rules are the other modules here).

Every step takes the same path: validate everything → clip the gradients (``clipnorm`` / ``global_clipnorm``
/ ``clipvalue``, Keras' semantics) → decoupled weight decay → the subclass's update rule, per key and per
cache-sized chunk (or whole arrays through a fused kernel) → ``iterations += 1``. Parameters are updated in
place, in their own dtype, so float32 stays float32. The optimizer owns its per-parameter state (moments,
velocities), keyed like ``params``, created on first sight of a key and bound to that parameter array: one
optimizer serves one model, as in Keras. Saving and restoring that state is :mod:`numcnn.optimizers.state`.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Mapping

import numpy as np

from numcnn._checks import fraction, invalid, invalid_described, is_int, positive_float
from numcnn.optimizers import schedules
from numcnn.optimizers.state import OptimizerState
from numcnn.variables import Variable

# Keras config entries numcnn does not implement; a Keras config is accepted when they hold these defaults.
_KERAS_ONLY = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


# Elements per chunk: a rule's ~12 passes over a 64K-element slice stay in L2 cache, where whole-array passes
# would stream every parameter from memory a dozen times (benchmarks/README.md has the A/B).
_CHUNK = 1 << 16


def _chunks(param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]):
    """Yield ``(param, grad, state)`` views over consecutive flat slices (whole arrays if not contiguous)."""
    if param.size <= _CHUNK or not all(a.flags.c_contiguous for a in (param, *state.values())):
        yield param, grad, state
        return
    flat_p, flat_g = param.reshape(-1), grad.reshape(-1)  # views: param and state are C-contiguous
    flat_state = {slot: a.reshape(-1) for slot, a in state.items()}
    for i in range(0, param.size, _CHUNK):
        part = slice(i, i + _CHUNK)
        yield flat_p[part], flat_g[part], {slot: a[part] for slot, a in flat_state.items()}


def _non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise invalid(name, "a non-negative number", value, TypeError)
    if not math.isfinite(value) or value < 0:
        raise invalid(name, "a non-negative number", value)
    return float(value)


class _LearningRateVariable(Variable):
    """``optimizer.learning_rate`` as Keras 3 hands it out: a 0-d variable (``float()``, ``numpy()``, arithmetic)
    whose ``assign`` sets the optimizer's rate, checked as ``optimizer.learning_rate = value`` is."""

    optimizer = None

    def assign(self, value):
        self.optimizer.learning_rate = value
        self.view(np.ndarray)[...] = self.optimizer._learning_rate
        return self

    def assign_add(self, value):
        return self.assign(float(self) + float(np.asarray(value)))

    def assign_sub(self, value):
        return self.assign(float(self) - float(np.asarray(value)))


def _closed_fraction(name: str, value) -> float:
    return fraction(name, value, high_inclusive=True)


# Attributes whose change makes the next step check the configuration again (besides each rule's ``_hyper``).
_CHECKED = frozenset({"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"})


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise invalid(name, "a bool", value, TypeError)
    return bool(value)


class Optimizer(OptimizerState):
    """Base class. A subclass sets its hyper-parameters, then calls ``super().__init__``, and implements:

    - ``_hyper``: its hyper-parameter names → their check (run at construction and before every step,
      also feeding ``get_config``);
    - ``_keras_slots``: the names of every state array it may keep per parameter, grouped as Keras 3 creates
      them (one ``add_optimizer_variables`` call a group: a group's slots interleave per variable, groups
      follow one another), which is the order of ``optimizer/vars`` in Keras' ``.weights.h5``;
    - ``_slots()``: the slots this configuration keeps → their initial value;
    - ``_update(param, grad, state, lr)``: update ``param`` in place from ``grad`` (same shape and dtype)
      and ``state`` (dict slot → array, same shape and dtype), at learning rate ``lr`` (a float).
    """

    _default_name = "optimizer"
    _hyper: dict = {}
    _keras_slots: tuple[tuple[str, ...], ...] = ()
    _dirty = True  # a checked attribute changed since the last _validate()
    _checked = None  # what _check_arrays last verified: (state, bound, keys, params, shapes)

    def __setattr__(self, name, value):
        # Hyper-parameters are public: a change is checked before the next step, and only then (not every step).
        if name in _CHECKED or name in self._hyper:
            object.__setattr__(self, "_dirty", True)
        object.__setattr__(self, name, value)

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        # Keras 2's scripts pass decay= (a per-step learning-rate decay); Keras 3 warns and ignores it
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=3)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected keyword argument(s): {sorted(kwargs)}")
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = self._default_name if name is None else str(name)
        self.iterations = 0
        self._state: dict[str, dict[str, np.ndarray]] = {}  # key -> slot -> array
        self._bound: dict[str, weakref.ref] = {}  # key -> the parameter array its state belongs to
        self._scratch: dict[tuple, np.ndarray] = {}  # (dtype, index) -> flat buffer, as large as the largest chunk
        self._validate()

    # -- hyper-parameters -------------------------------------------------------------------------------

    @property
    def learning_rate(self):
        """The rate as a 0-d float64 variable (``float()`` gives the number, ``assign(v)`` sets it, as in Keras 3),
        or the ``LearningRateSchedule`` it was given; ``current_learning_rate()`` gives the value of the next step."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return lr
        variable = _LearningRateVariable.of(np.array(lr), "learning_rate", f"{self.name}/learning_rate", False)
        variable.optimizer = self
        return variable

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, dict):
            value = schedules.get(value)
        if isinstance(value, Variable) and value.shape == ():
            value = value[()]  # another optimizer's rate (``opt.learning_rate = other.learning_rate``)
        if not isinstance(value, schedules.LearningRateSchedule):
            value = _non_negative("learning_rate", value)  # 0 is allowed, as in Keras: a frozen run
        self._learning_rate = value

    def current_learning_rate(self) -> float:
        """The learning rate of the next update: the schedule evaluated at ``iterations``, as Keras does."""
        lr = self._learning_rate
        value = lr(self.iterations) if isinstance(lr, schedules.LearningRateSchedule) else lr
        return _non_negative("learning_rate", value)  # a schedule may return anything

    def _validate(self) -> None:
        # Run at construction and before the first step after a checked attribute changed (``__setattr__``).
        self._check_iterations()
        if self.weight_decay is not None:
            self.weight_decay = _non_negative("weight_decay", self.weight_decay)
        for name in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, name) is not None:
                setattr(self, name, positive_float(name, getattr(self, name)))
        for name, check in self._hyper.items():
            setattr(self, name, check(name, getattr(self, name)))
        clips = {k: getattr(self, k) for k in ("clipnorm", "clipvalue", "global_clipnorm")}
        if sum(v is not None for v in clips.values()) > 1:
            received = ", ".join(f"{k}={v!r}" for k, v in clips.items())
            raise invalid_described("clipnorm", "at most one of clipnorm, clipvalue, global_clipnorm set", received)
        self._dirty = False

    def _check_iterations(self) -> None:
        it = self.iterations
        if not (type(it) is int or is_int(it)) or it < 0:
            raise invalid("iterations", "a non-negative integer", it)

    def _check_learning_rate(self, lr: float) -> None:
        """Refuse a learning rate the rule cannot use (checked before the step changes anything)."""

    def get_config(self) -> dict:
        lr = self._learning_rate
        is_schedule = isinstance(lr, schedules.LearningRateSchedule)
        config = {
            "name": self.name,
            "learning_rate": schedules.serialize(lr) if is_schedule else lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }
        config.update({name: getattr(self, name) for name in self._hyper})
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key, default in _KERAS_ONLY.items():
            value = config.pop(key, default)
            if value != default:
                raise invalid(key, f"{default!r} (numcnn does not implement it)", value)
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    # -- the step -----------------------------------------------------------------------------------------

    def apply(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every ``params[key]`` in place from ``grads[key]``; ``grads`` is never modified.

        Both dicts map the same keys to arrays of equal shapes; params must be writable floating arrays
        (their dtype is kept), and under a key this optimizer has seen, the very array it saw then (one
        optimizer per model, as in Keras). Everything is checked before anything changes.
        """
        if self._dirty:
            self._validate()
        else:
            self._check_iterations()  # a callback or a restore may set it
        lr = self.current_learning_rate()
        self._check_learning_rate(lr)
        self._check_arrays(params, grads)
        grads = self._clipped(params, grads)
        decay = self.weight_decay * lr if self.weight_decay else 0.0
        for key, param in params.items():
            self._bound.setdefault(key, weakref.ref(param))
            slots = self._state_for(key, param)
            whole = [(param, grads[key], slots)] if self._fused(param, slots) else None
            for p, g, state in whole or _chunks(param, grads[key], slots):
                if decay:  # Keras' decoupled decay, before the update rule: p ← p − p·wd·lr
                    p -= np.multiply(p, decay, out=self._scratch_like(p))
                self._update(p, g, state, lr)
        self.iterations += 1

    def _check_arrays(self, params, grads) -> None:
        for name, arrays in (("params", params), ("grads", grads)):
            if not isinstance(arrays, Mapping):
                raise invalid_described(name, "a dict of numpy arrays", f"a {type(arrays).__name__}", TypeError)
        if params.keys() != grads.keys():
            missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
            received = f"keys {sorted(grads)} (missing {missing}, unexpected {extra})"
            raise invalid_described("grads", f"the keys of params {sorted(params)}", received)
        # The same parameter arrays as at the last step (a model's every step): their own checks hold still,
        # only the new gradients need theirs. Loading a state replaces _state and _bound, which re-checks.
        known = self._checked
        arrays = tuple(params.values())
        same = (
            known is not None
            and known[0] is self._state
            and known[1] is self._bound
            and known[2] == tuple(params)
            and len(known[3]) == len(arrays)
            and all(a is b for a, b in zip(arrays, known[3]))
            and all(a.shape == shape for a, shape in zip(arrays, known[4]))
        )
        for key, param in params.items():
            grad = grads[key]
            if not same:
                self._check_param(key, param)
            if not isinstance(grad, np.ndarray) or grad.dtype.kind != "f":
                kind = f"{grad.dtype} array" if isinstance(grad, np.ndarray) else type(grad).__name__
                raise invalid_described("grads", "floating-point numpy arrays", f"grads[{key!r}] a {kind}", TypeError)
            if not param.flags.writeable:
                raise invalid_described("params", "writable arrays (updated in place)", f"read-only params[{key!r}]")
            if grad.shape != param.shape:
                expected = f"grads[{key!r}] of shape {param.shape} like params[{key!r}]"
                raise invalid_described("grads", expected, f"grads[{key!r}].shape={grad.shape}")
        self._checked = (self._state, self._bound, tuple(params), arrays, tuple(a.shape for a in arrays))

    def _check_param(self, key, param) -> None:
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            kind = f"{param.dtype} array" if isinstance(param, np.ndarray) else type(param).__name__
            raise invalid_described("params", "floating-point numpy arrays", f"params[{key!r}] a {kind}", TypeError)
        for slot, a in self._state.get(key, {}).items():
            if a.shape != param.shape:
                expected = f"params[{key!r}] of shape {a.shape} like its optimizer state {slot!r}"
                raise invalid_described("params", expected, f"params[{key!r}].shape={param.shape}")
        bound = self._bound.get(key)
        if bound is not None and bound() is not param:
            raise invalid_described(
                "params",
                "the arrays this optimizer was built with: an optimizer keeps the moments and step count of "
                "one model, so create one optimizer per model (Keras: 'This optimizer can only be called for "
                "the variables it was originally built with')",
                f"a different array under params[{key!r}]",
            )

    def _clipped(self, params, grads) -> dict[str, np.ndarray]:
        """Gradients cast to their param's dtype and clipped as Keras 3 does; new arrays only where changed.

        ``clipnorm`` scales each gradient whose L2 norm exceeds it to that norm; ``global_clipnorm`` scales all
        of them by one factor when their joint norm exceeds it; ``clipvalue`` clips each element to
        ``[-clipvalue, clipvalue]``. A NaN norm makes that gradient (for ``global_clipnorm``: every gradient)
        NaN, and so does an infinite global norm, as in Keras: a diverged step shows, it is never hidden.
        """
        out = {key: g.astype(params[key].dtype, copy=False) for key, g in grads.items()}
        if self.clipnorm is not None:
            for key, g in out.items():
                norm = float(np.linalg.norm(g.reshape(-1)))
                if not norm <= self.clipnorm:  # also NaN
                    out[key] = g * (self.clipnorm / norm)
        elif self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.linalg.norm(g.reshape(-1))) ** 2 for g in out.values()))
            if not norm <= self.global_clipnorm:
                scale = self.global_clipnorm / norm if math.isfinite(norm) else math.nan
                out = {key: g * scale for key, g in out.items()}
        elif self.clipvalue is not None:
            out = {key: np.clip(g, -self.clipvalue, self.clipvalue) for key, g in out.items()}
        return out

    # -- per-parameter state --------------------------------------------------------------------------------

    def _slots(self) -> dict[str, float]:
        return {}

    def _fused(self, param: np.ndarray, state: dict[str, np.ndarray]) -> bool:
        """Whether ``_update`` takes whole arrays at once (through a fused kernel) rather than cache-sized
        chunks of numpy operations."""
        return False

    def _state_for(self, key: str, param: np.ndarray) -> dict[str, np.ndarray]:
        state = self._state.setdefault(key, {})
        for slot, initial in self._slots().items():
            if slot not in state:
                state[slot] = np.full(param.shape, initial, dtype=param.dtype)
            elif state[slot].dtype != param.dtype:  # e.g. state loaded from a float64 file
                state[slot] = state[slot].astype(param.dtype, order="C")
        return state

    def _scratch_like(self, param: np.ndarray, index: int = 0) -> np.ndarray:
        """A work array of ``param``'s shape and dtype; ``index`` tells apart the rule's several ones."""
        buffer = self._scratch.get((param.dtype, index))
        if buffer is None or buffer.size < param.size:
            buffer = self._scratch[(param.dtype, index)] = np.empty(param.size, dtype=param.dtype)
        return buffer[: param.size].reshape(param.shape)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray], lr: float) -> None:
        raise NotImplementedError
