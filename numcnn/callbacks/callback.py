"""``Callback``: the base class of every training hook, with Keras 3's hook names and call conventions."""

from __future__ import annotations


class Callback:
    """Override any hook; ``self.model`` is the model being trained, ``self.params`` fit's settings
    (``{'verbose': 1, 'epochs': 5, 'steps': 188, …}``).

    Hooks are called as Keras calls them: ``on_epoch_begin(epoch, logs)``, ``on_train_batch_end(batch,
    logs=logs)``, ``on_train_begin(logs)``. ``logs`` is a dict of floats (running means over the epoch so far
    for batch hooks; the epoch's means plus ``val_*`` keys for ``on_epoch_end``). As in Keras,
    ``on_train_batch_begin``/``on_train_batch_end`` call ``on_batch_begin``/``on_batch_end``, the Keras 2
    names, so a callback that overrides only those still runs.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_batch_begin(self, batch, logs=None):
        """Keras 2's name for ``on_train_batch_begin``, kept as an alias."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2's name for ``on_train_batch_end``, kept as an alias."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


# Every hook, by how Keras calls it: (logs), (epoch, logs) or (batch, logs=logs).
BEGIN_END_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)
HOOKS = BEGIN_END_HOOKS + EPOCH_HOOKS + BATCH_HOOKS
