"""``ReduceLROnPlateau``: lower the learning rate when a monitored quantity stops improving."""

from __future__ import annotations

import warnings

import numpy as np

from numcnn._checks import finite_number, invalid, non_negative_int, verbosity
from numcnn.callbacks import _learning_rate
from numcnn.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` (never below ``min_lr``) when ``monitor`` has not improved by
    more than ``min_delta`` for ``patience`` epochs; then wait ``cooldown`` epochs before counting again.

    Adds ``learning_rate`` to each epoch's logs, as Keras does. Keras 2's ``epsilon`` is accepted as the old
    name of ``min_delta`` (with a warning); Keras 3 silently ignores any other keyword, numcnn refuses it.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated, use `min_delta` instead.", stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        factor = finite_number("factor", factor)
        if not 0 < factor < 1:
            raise invalid("factor", "a number in (0, 1)", factor)
        self.patience = non_negative_int("patience", patience)
        super().__init__(monitor, mode, min_delta=min_delta)
        self.factor, self.verbose = factor, verbosity("verbose", verbose)
        self.cooldown = non_negative_int("cooldown", cooldown)
        self.min_lr = finite_number("min_lr", min_lr, low=0.0)
        self.wait, self.cooldown_counter = 0, 0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = _learning_rate.current(optimizer)
        current = self._monitored(
            logs,
            "Learning rate reduction is conditioned on metric `{monitor}` which is not available. "
            "Available metrics are: {available}.",
        )
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, optimizer, epoch) -> bool:
        old = _learning_rate.current(optimizer)
        if old <= np.float32(self.min_lr):  # Keras compares in float32: a rate at min_lr stays put
            return False
        _learning_rate.settable(optimizer)
        new = max(old * self.factor, self.min_lr)
        optimizer.learning_rate = new
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
        return True
