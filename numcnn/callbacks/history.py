"""``History``: the record of every epoch's logs that ``fit`` returns."""

from __future__ import annotations

from numcnn.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs: ``history.history == {"loss": [...], "accuracy": [...], ...}``.

    As in Keras, ``history`` keeps growing across ``fit`` calls of the same ``History`` while ``epoch``
    restarts with each ``fit``.
    """

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
