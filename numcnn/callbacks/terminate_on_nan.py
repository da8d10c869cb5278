"""``TerminateOnNaN``: stop training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

from numcnn._checks import flag
from numcnn.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    By default it prints Keras' ``Batch 3: Invalid loss, terminating training`` and sets
    ``model.stop_training``, so ``on_train_end`` still runs everywhere. ``raise_error=True`` (Keras 3.12+)
    raises ``RuntimeError`` at once instead, skipping the other callbacks' ``on_train_end`` (which keeps a
    ``BackupAndRestore`` backup from being deleted).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = flag("raise_error", raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
