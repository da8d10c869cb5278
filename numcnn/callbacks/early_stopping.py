"""``EarlyStopping``: stop training when a monitored quantity stops improving."""

from __future__ import annotations

from numcnn._checks import finite_number, flag, non_negative_int, verbosity
from numcnn.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Keras 3's semantics: ``baseline`` does not seed the best value; an epoch resets the patience only if it
    improves on the best so far *and* on ``baseline``. Epochs before ``start_from_epoch`` are ignored. With
    ``restore_best_weights=True`` the weights of the best epoch are restored when training ends, whether or
    not it stopped early (Keras 2 restored them only after an early stop).
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        self.patience = non_negative_int("patience", patience)
        super().__init__(monitor, mode, min_delta=min_delta)
        self.verbose = verbosity("verbose", verbose)
        self.baseline = None if baseline is None else finite_number("baseline", baseline)
        self.restore_best_weights = flag("restore_best_weights", restore_best_weights)
        self.start_from_epoch = non_negative_int("start_from_epoch", start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored(
            logs,
            "Early stopping conditioned on metric `{monitor}` which is not available. "
            "Available metrics are: {available}",
        )
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first monitored epoch is the best so far even if it does not beat the baseline
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
