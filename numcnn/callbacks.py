"""Training callbacks with Keras' hook names: ``History``, ``ProgbarLogger``, ``EarlyStopping``,
``ModelCheckpoint``, ``TerminateOnNaN``, ``ReduceLROnPlateau``, and the ``Callback`` base for your own."""

from __future__ import annotations

import math
import os
import string
import warnings

import numpy as np

from numcnn._checks import file_path, finite_number, flag, invalid, is_int, non_negative_int, one_of
from numcnn._progbar import Progbar


def _verbose(value, choices=(0, 1)) -> int:
    expected = ", ".join(map(str, choices[:-1])) + f" or {choices[-1]}"
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not is_int(value):
        raise invalid("verbose", expected, value, TypeError)
    if value not in choices:
        raise invalid("verbose", expected, value)
    return int(value)


class Callback:
    """Override any hook; ``self.model`` is the model being trained, ``self.params`` fit's settings."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call


def check_callbacks(callbacks) -> list:
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


class History(Callback):
    """Records every epoch's logs: ``history.history == {"loss": [...], "accuracy": [...], ...}``."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []  # Keras keeps appending history across fits; epochs restart per fit

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Prints Keras-style progress: ``verbose=1`` a bar per epoch, ``verbose=2`` one line per epoch."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = _verbose(verbose, (0, 1, 2))
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        self._bar = Progbar(self.params["steps"], verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.finish(logs)


class _Monitor(Callback):
    """Shared by callbacks that watch one logged quantity and track its best value."""

    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        if not isinstance(monitor, str):
            raise invalid("monitor", "a metric name such as 'val_loss'", monitor, TypeError)
        self.monitor = monitor
        mode = one_of("mode", mode, ("auto", "min", "max"))
        if mode == "auto":
            mode = "max" if "acc" in monitor or monitor.endswith("auc") else "min"
        self.mode = mode
        self.min_delta = abs(finite_number("min_delta", min_delta))
        self.best = math.inf if mode == "min" else -math.inf

    def _current(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            available = ", ".join(sorted(logs or {}))
            warnings.warn(
                f"{type(self).__name__}: metric '{self.monitor}' is not in the logs (available: {available})",
                stacklevel=3,
            )
        return value

    def _improved(self, value) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0.0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        self.patience = non_negative_int("patience", patience)
        super().__init__(monitor, mode, min_delta)
        self.verbose = _verbose(verbose)
        self.baseline = None if baseline is None else finite_number("baseline", baseline)
        self.restore_best_weights = flag("restore_best_weights", restore_best_weights)
        self.start_from_epoch = non_negative_int("start_from_epoch", start_from_epoch)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self._current(logs)
        if value is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model (or only its weights) after each epoch; atomically, so a crash never leaves a
    broken file. ``filepath`` may hold ``{epoch}`` and log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``."""

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
    ):
        filepath = file_path("filepath", filepath)
        _check_template(filepath)
        if os.path.isdir(filepath):
            raise invalid("filepath", "a file path", f"a folder {filepath!r}")
        if not isinstance(save_freq, str) or save_freq != "epoch":
            raise invalid(
                "save_freq", "'epoch'", save_freq, ValueError if isinstance(save_freq, (str, int)) else TypeError
            )
        super().__init__(monitor, mode)
        self.filepath = filepath
        self.verbose = _verbose(verbose)
        self.save_best_only = flag("save_best_only", save_best_only)
        self.save_weights_only = flag("save_weights_only", save_weights_only)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = self._current(logs)
            if value is None or not self._improved(value):
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, ValueError, IndexError) as err:  # e.g. {val_loss} without validation data
            available = ", ".join(["epoch", *sorted(logs)])
            raise ValueError(
                f"Invalid value for argument 'filepath': expected placeholders among {available}. "
                f"Received: filepath={self.filepath!r} ({type(err).__name__}: {err})"
            ) from None
        if self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _check_template(filepath: str) -> None:
    """``filepath`` may hold ``{epoch}`` and log keys (``{val_loss:.3f}``), but no positional fields."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(filepath) if field is not None]
    except ValueError as err:
        raise invalid("filepath", "a path whose {...} placeholders are well formed", f"{filepath!r} ({err})") from None
    bad = [field for field in fields if not field or field.isdigit()]
    if bad:
        raise invalid("filepath", "named placeholders such as {epoch:02d} or {val_loss:.3f}", filepath)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying where it happened."""

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Epoch {self._epoch + 1}, batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

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
    ):
        factor = finite_number("factor", factor)
        if not 0 < factor < 1:
            raise invalid("factor", "a number in (0, 1)", factor)
        self.patience = non_negative_int("patience", patience)
        super().__init__(monitor, mode, min_delta)
        self.factor, self.verbose = factor, _verbose(verbose)
        self.cooldown = non_negative_int("cooldown", cooldown)
        self.min_lr = finite_number("min_lr", min_lr, low=0.0)

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        value = self._current(logs)
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.current_learning_rate())
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            old = float(optimizer.current_learning_rate())
            if not isinstance(optimizer.learning_rate, (int, float)):
                raise TypeError("ReduceLROnPlateau needs a float learning rate, not a schedule")
            new = max(old * self.factor, self.min_lr)
            if new < old:
                optimizer.learning_rate = new
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new:g}.")
            self.cooldown_counter, self.wait = self.cooldown, 0
