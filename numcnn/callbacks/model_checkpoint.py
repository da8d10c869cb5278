"""``ModelCheckpoint``: save the model or its weights during training, every epoch or every N batches."""

from __future__ import annotations

import os
import string

from numcnn._checks import file_path, finite_number, flag, invalid, is_int, verbosity
from numcnn.callbacks.monitor_callback import MonitorCallback
from numcnn.saving import formats


def check_save_freq(save_freq) -> str | int:
    """``'epoch'`` or a positive number of batches, else raise."""
    expected = "'epoch' or a positive integer (a number of batches)"
    if isinstance(save_freq, str):
        if save_freq != "epoch":
            raise invalid("save_freq", expected, save_freq)
        return save_freq
    if not is_int(save_freq):
        raise invalid("save_freq", expected, save_freq, TypeError)
    if save_freq < 1:
        raise invalid("save_freq", expected, save_freq)
    return int(save_freq)


class BatchCounter:
    """Counts batches across epochs and says when ``every`` of them have passed since the last time."""

    def __init__(self, every: int):
        self.every = every
        self._since = 0
        self._last = None

    def due(self, batch: int) -> bool:
        # A batch index not above the last one means a new epoch started: batch + 1 batches since then.
        self._since += batch + 1 if self._last is None or batch <= self._last else batch - self._last
        self._last = batch
        if self._since >= self.every:
            self._since = 0
            return True
        return False


class ModelCheckpoint(MonitorCallback):
    """Save the model (``model.save``) or only its weights (``model.save_weights``) during training;
    atomically, so a crash never leaves a broken file.

    ``filepath`` may hold ``{epoch}`` (1-based), ``{batch}`` (1-based, when ``save_freq`` is a number) and
    log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``. ``save_freq='epoch'`` saves at each epoch's
    end; an integer saves every ``save_freq`` batches (counted across epochs), with the running training
    logs of that batch. ``save_best_only`` saves only when ``monitor`` improves on the best so far (which
    starts at ``initial_value_threshold``); when ``monitor`` is not in the logs it warns and saves, as Keras
    does. The suffix decides the format, as for ``save``/``save_weights`` (``.npz``, ``.keras``,
    Keras 2's ``.h5``, or ``.weights.h5`` with ``save_weights_only``), and a name the model could not be
    saved to is refused here, before training starts.
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        filepath = file_path("filepath", filepath)
        _check_template(filepath)
        if os.path.isdir(filepath):
            raise invalid("filepath", "a file path", f"a folder {filepath!r}")
        formats.file_format(filepath, "save_weights" if flag("save_weights_only", save_weights_only) else "save")
        self.save_freq = check_save_freq(save_freq)
        if initial_value_threshold is not None:
            initial_value_threshold = finite_number("initial_value_threshold", initial_value_threshold)
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = filepath
        self.verbose = verbosity("verbose", verbose)
        self.save_best_only = flag("save_best_only", save_best_only)
        self.save_weights_only = flag("save_weights_only", save_weights_only)
        self._counter = None if self.save_freq == "epoch" else BatchCounter(self.save_freq)
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter is not None and self._counter.due(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._counter is None:
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._format(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")

    def _should_save(self, epoch, logs, path) -> bool:
        if not self.save_best_only:
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = self._monitored(logs, "Can save best model only with {monitor} available.")
        if current is None:
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model to {path}"
                )
            self.best = current
            return True
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _format(self, epoch, batch, logs) -> str:
        fields = {"epoch": epoch + 1, **logs}
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, ValueError, IndexError) as err:  # e.g. {val_loss} without validation data
            available = ", ".join(["epoch", *(["batch"] if "batch" in fields else []), *sorted(logs)])
            raise ValueError(
                f"Invalid value for argument 'filepath': expected placeholders among {available}. "
                f"Received: filepath={self.filepath!r} ({type(err).__name__}: {err})"
            ) from None


def _check_template(filepath: str) -> None:
    """``filepath`` may hold ``{epoch}`` and log keys (``{val_loss:.3f}``), but no positional fields."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(filepath) if field is not None]
    except ValueError as err:
        raise invalid("filepath", "a path whose {...} placeholders are well formed", f"{filepath!r} ({err})") from None
    bad = [field for field in fields if not field or field.isdigit()]
    if bad:
        raise invalid("filepath", "named placeholders such as {epoch:02d} or {val_loss:.3f}", filepath)
