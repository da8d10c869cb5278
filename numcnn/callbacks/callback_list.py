"""``CallbackList``: calls one hook on every callback, the way Keras 3's ``fit`` does."""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid
from numcnn.callbacks.callback import BATCH_HOOKS, BEGIN_END_HOOKS, EPOCH_HOOKS, Callback
from numcnn.callbacks.history import History
from numcnn.callbacks.progbar_logger import ProgbarLogger


def pythonify_logs(logs) -> dict:
    """A sorted copy of ``logs`` with NumPy scalars turned into Python floats (Keras' ``pythonify_logs``).

    Each hook call builds one such dict and hands the same one to every callback, so a callback may add a
    key for the callbacks after it (``ReduceLROnPlateau`` adds ``learning_rate`` for ``History``).
    """
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        try:
            result[key] = float(value)
        except (TypeError, ValueError):
            result[key] = value
    return result


class CallbackList(Callback):
    """Container for ``Callback`` instances, as in Keras 3:
    ``CallbackList(callbacks=None, add_history=False, add_progbar=False, model=None, **params)``.

    ``add_history``/``add_progbar`` append a ``History``/``ProgbarLogger`` unless the list already has one;
    ``params`` (``verbose``, ``epochs``, ``steps``) are handed to every callback. Use it to drive callbacks from a
    custom training loop: ``cbs.on_train_begin()``, ``cbs.on_epoch_begin(epoch)``, ….
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        if isinstance(add_progbar, dict) and not isinstance(add_history, (bool, np.bool_)):
            # Transitional: numcnn's fit calls CallbackList([*user, ProgbarLogger?, History], model, params).
            # Remove once fit calls CallbackList(user, add_history=True, add_progbar=verbose != 0, model=…, …).
            callbacks, model, params = _legacy_fit_list(callbacks), add_history, add_progbar
            add_history = add_progbar = False
        self.callbacks = check_callbacks(callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.set_model(model)
        self.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def append(self, callback):
        self.callbacks.append(check_callbacks([callback])[0])


def _begin_end(hook):
    def call(self, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(logs)

    return call


def _epoch(hook):
    def call(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(epoch, logs)

    return call


def _batch(hook):
    def call(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(batch, logs=logs)

    return call


for _hooks, _make in ((BEGIN_END_HOOKS, _begin_end), (EPOCH_HOOKS, _epoch), (BATCH_HOOKS, _batch)):
    for _hook in _hooks:
        setattr(CallbackList, _hook, _make(_hook))


def _legacy_fit_list(callbacks) -> list:
    """Drop the ProgbarLogger fit appends when the user passed one of their own (Keras keeps the user's)."""
    callbacks = list(callbacks)
    loggers = [i for i, cb in enumerate(callbacks) if isinstance(cb, ProgbarLogger)]
    return [cb for i, cb in enumerate(callbacks) if i not in loggers[1:]]


def check_callbacks(callbacks) -> list:
    """``callbacks`` as a new list, after checking it is a list or tuple of ``Callback`` instances."""
    if callbacks is None:
        return []
    expected = "a list of numcnn.callbacks.Callback instances"
    if isinstance(callbacks, Callback):
        raise invalid("callbacks", expected + " (wrap a single one in a list)", callbacks, TypeError)
    if not isinstance(callbacks, (list, tuple)):
        raise invalid("callbacks", expected, callbacks, TypeError)
    for i, c in enumerate(callbacks):
        if not isinstance(c, Callback):
            what = "a class (instantiate it)" if isinstance(c, type) else f"of type {type(c).__name__}"
            raise invalid("callbacks", expected, f"item {i} {what}: {c!r:.60}", TypeError)
    return list(callbacks)
