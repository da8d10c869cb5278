"""What an optimizer carries from one step to the next, and its two saved forms.

A resumed run must continue exactly where it stopped: the step count (``iterations``, which a schedule reads),
a float learning rate that a callback may have changed, and every slot array (moments, velocities, …). Two
views of that state:

- ``state_dict()`` / ``load_state_dict()``: numcnn's, a flat dict of numbers and arrays that ``np.savez`` keeps;
- ``variables_in_keras_order(keys)`` / ``load_keras_variables(keys, arrays)``: Keras 3's list, the one its
  ``.weights.h5`` stores under ``optimizer/vars/<i>``: ``iteration`` (int64), ``learning_rate`` (floatx; absent
  when the learning rate is a schedule), then the slots in the order Keras 3.15 creates them (each rule's
  docstring says it), then any rule-wide scalars (Nadam's ``u_product``). An optimizer that has not stepped
  yet has no slots, as a Keras optimizer that was never built.

Loading checks everything (names, counts, shapes, dtypes) before it changes anything, and re-binds the
optimizer: it then serves whichever parameter arrays it is applied to next (or ``params``, when given).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

import numpy as np

from numcnn import backend
from numcnn._checks import invalid, invalid_described, is_int
from numcnn.optimizers import schedules


def _scalar(name: str, value, kind: str):
    """A Python int (``kind='int'``, ≥ 0), float (``'float'``, finite) or learning rate (``'rate'``, finite
    and ≥ 0) from a number or a 0-d array, else raise."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if kind == "int":
        if not is_int(value) or value < 0:
            raise invalid(name, "a non-negative integer", value, TypeError if not is_int(value) else ValueError)
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise invalid(name, "a finite number", value, TypeError)
    if not np.isfinite(value) or (kind == "rate" and value < 0):
        raise invalid(name, "a finite number" if kind == "float" else "a non-negative number", value)
    return float(value)


def _slot_array(name: str, array) -> np.ndarray:
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        kind = f"a {array.dtype} array" if isinstance(array, np.ndarray) else f"a {type(array).__name__}"
        raise invalid_described("state", "floating-point numpy arrays", f"{name} is {kind}", TypeError)
    return np.array(array, order="C")  # a copy: the caller's array is never written


class OptimizerState:
    """The state methods of :class:`numcnn.optimizers.Optimizer` (see the module docstring)."""

    # -- numcnn's form -------------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{'iterations': int, 'learning_rate': float, '<slot>/<key>': array, …}``: plain numbers and copies
        of the arrays (``np.savez``-able). ``learning_rate`` is there when it is a float, not a schedule (a
        schedule is configuration: it resumes from ``iterations``)."""
        out: dict = {"iterations": self.iterations}
        if not self._has_schedule():
            out["learning_rate"] = float(self._learning_rate)
        for key, state in self._state.items():
            for slot, array in state.items():
                out[f"{slot}/{key}"] = array.copy()
        return out

    def load_state_dict(self, state: Mapping, params: Mapping | None = None) -> None:
        """Restore what ``state_dict()`` returned, also after a round trip through ``np.savez``/``np.load``.

        Every key must have exactly the slots this configuration keeps (``Adam`` momentum and velocity, and
        velocity_hat with ``amsgrad``…), all of one shape. With ``params`` (the model's ``{key: array}``), each
        key must be one of them and of its shape, and the optimizer is bound to those arrays at once. All is
        checked before anything changes; a state without ``learning_rate`` keeps the current one.
        """
        if not isinstance(state, Mapping) or "iterations" not in state:
            raise invalid_described("state", "a dict from state_dict()", f"a {type(state).__name__}", TypeError)
        iterations = _scalar("iterations", state["iterations"], "int")
        learning_rate = None
        if "learning_rate" in state:
            if self._has_schedule():
                expected = "no 'learning_rate' entry (this optimizer's learning rate is a schedule)"
                raise invalid_described("state", expected, "an entry 'learning_rate'")
            learning_rate = _scalar("learning_rate", state["learning_rate"], "rate")
        slots = tuple(self._slots())
        loaded: dict[str, dict[str, np.ndarray]] = {}
        for name, array in state.items():
            if name in ("iterations", "learning_rate"):
                continue
            slot, _, key = str(name).partition("/")
            if slot not in slots or not key:
                expected = f"entries 'iterations', 'learning_rate' or '<slot>/<key>' with slot one of {list(slots)}"
                raise invalid_described("state", expected, f"an entry named {name!r}")
            loaded.setdefault(key, {})[slot] = _slot_array(f"state[{name!r}]", array)
        for key, arrays in loaded.items():
            missing = [s for s in slots if s not in arrays]
            if missing:
                raise invalid_described(
                    "state", f"the slots {list(slots)} for every key", f"no {missing} for key {key!r}"
                )
        self._commit(iterations, learning_rate, loaded, params)

    # -- Keras' form ---------------------------------------------------------------------------------------

    def variables_in_keras_order(self, keys: Sequence[str]) -> list[tuple[str, np.ndarray]]:
        """``[(name, array), …]`` as Keras 3 stores this optimizer's variables in ``optimizer/vars/<i>``.

        ``keys`` are the model's trainable parameter keys in Keras' variable order (layers in order,
        ``kernel`` before ``bias``). Names follow Keras (``iteration``, ``learning_rate``,
        ``dense_kernel_momentum`` for key ``dense/kernel``). Arrays are copies: ``iteration`` int64,
        ``learning_rate`` of ``backend.floatx()``, slots of their parameter's dtype.
        """
        keys = self._checked_keys(keys)
        out = [("iteration", np.array(self.iterations, dtype=np.int64))]
        if not self._has_schedule():
            out.append(("learning_rate", np.array(self._learning_rate, dtype=backend.floatx())))
        layout = self._keras_layout(keys)
        stepped = [key for key in keys if self._state.get(key)]
        if not layout or not stepped:
            return out  # nothing to store per variable, or never stepped: Keras' unbuilt optimizer
        if len(stepped) < len(keys):
            missing = [key for key in keys if key not in stepped]
            raise invalid_described("keys", "keys this optimizer holds state for", f"keys without state: {missing}")
        out += [(f"{key.replace('/', '_')}_{slot}", self._state[key][slot].copy()) for key, slot in layout]
        return out + self._keras_extras(self._state[keys[0]][layout[0][1]].dtype)

    def load_keras_variables(self, keys: Sequence[str], arrays: Sequence, params: Mapping | None = None) -> None:
        """The inverse of ``variables_in_keras_order``: restore from Keras' ``optimizer/vars`` list ``arrays``.

        Accepts the full list, or only ``iteration`` (and ``learning_rate``) as Keras writes for an optimizer
        that never stepped (then no slot is kept). ``params`` as in ``load_state_dict``. All is checked
        before anything changes.
        """
        keys = self._checked_keys(keys)
        if isinstance(arrays, (str, bytes, Mapping)) or not isinstance(arrays, Sequence):
            raise invalid_described(
                "arrays", "a list of arrays in Keras' order", f"a {type(arrays).__name__}", TypeError
            )
        arrays = list(arrays)
        head = ["iteration"] + ["learning_rate"] * (not self._has_schedule())
        layout, extras = self._keras_layout(keys), self._keras_extras(np.float64)
        full = len(head) + len(layout) + len(extras) if layout else len(head)
        if len(arrays) not in (len(head), full):
            names = ", ".join(head + ([f"{len(layout)} slot arrays ({self._keras_slot_order()})"] if layout else []))
            names += "".join(f", {name}" for name, _ in extras) if layout else ""
            raise invalid_described("arrays", f"{len(head)} or {full} arrays: {names}", f"{len(arrays)} arrays")
        iterations = _scalar("iteration", arrays[0], "int")
        learning_rate = None if self._has_schedule() else _scalar("learning_rate", arrays[1], "rate")
        loaded: dict[str, dict[str, np.ndarray]] = {}
        rest = arrays[len(head) :]
        for i, ((key, slot), array) in enumerate(zip(layout, rest), start=len(head)):
            loaded.setdefault(key, {})[slot] = _slot_array(f"arrays[{i}] ({key!r} {slot})", array)
        for i, ((name, _), array) in enumerate(zip(extras, rest[len(layout) :]), start=len(head) + len(layout)):
            _scalar(f"arrays[{i}] ({name})", array, "float")  # derived from iterations here: checked, not kept
        self._commit(iterations, learning_rate, loaded, params)

    # -- shared ----------------------------------------------------------------------------------------------

    def _has_schedule(self) -> bool:
        return isinstance(self._learning_rate, schedules.LearningRateSchedule)

    def _keras_layout(self, keys: list[str]) -> list[tuple[str, str]]:
        """``(key, slot)`` in Keras' order: group after group, a group's slots interleaved per variable."""
        active = self._slots()
        layout = []
        for group in self._keras_slots:
            present = [slot for slot in group if slot in active]
            layout += [(key, slot) for key in keys for slot in present]
        return layout

    def _keras_slot_order(self) -> str:
        active = self._slots()
        groups = [[s for s in group if s in active] for group in self._keras_slots]
        return " then ".join(", ".join(group) + " per variable" for group in groups if group)

    def _keras_extras(self, dtype) -> list[tuple[str, np.ndarray]]:
        """Rule-wide scalars Keras stores after the slots (none but Nadam's)."""
        return []

    @staticmethod
    def _checked_keys(keys) -> list[str]:
        if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
            raise invalid_described("keys", "a list of parameter keys", f"a {type(keys).__name__}", TypeError)
        keys = list(keys)
        if not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
            raise invalid_described("keys", "distinct parameter keys (strings)", f"{keys!r}"[:200])
        return keys

    def _commit(self, iterations: int, learning_rate, loaded: dict, params: Mapping | None) -> None:
        """Check the loaded slots' shapes (against each other and ``params``), then replace the state."""
        arrays_only = isinstance(params, Mapping) and all(isinstance(p, np.ndarray) for p in params.values())
        if params is not None and not arrays_only:
            raise invalid_described("params", "a dict of numpy arrays", f"a {type(params).__name__}", TypeError)
        for key, arrays in loaded.items():
            shapes = {slot: a.shape for slot, a in arrays.items()}
            if len(set(shapes.values())) > 1:
                raise invalid_described("state", f"one shape for every slot of key {key!r}", f"shapes {shapes}")
            if params is not None:
                param = params.get(key)
                if param is None:
                    raise invalid_described(
                        "params", f"an array under every key of the state, here {key!r}", "no such key"
                    )
                shape = next(iter(shapes.values()), param.shape)
                if shape != param.shape:
                    expected = f"state for {key!r} of its parameter's shape {param.shape}"
                    raise invalid_described("state", expected, f"shape {shape}")
        self.iterations = iterations
        if learning_rate is not None:
            self._learning_rate = learning_rate
        self._state = loaded
        self._bound = {} if params is None else {k: weakref.ref(p) for k, p in params.items()}
