"""``ProgbarLogger``: Keras-style progress lines for ``fit``."""

from __future__ import annotations

from numcnn._checks import verbosity
from numcnn._progbar import Progbar
from numcnn.callbacks.callback import Callback


class ProgbarLogger(Callback):
    """Prints ``Epoch 2/5`` (only when there is more than one epoch, as Keras 3 does) and then, with
    ``verbose=1``, a bar redrawn per batch, or with ``verbose=2`` one line per epoch.

    Keras 3's ``ProgbarLogger()`` takes no argument and reads ``verbose`` from ``fit`` (``params``); so does
    this one with ``verbose=None``. An explicit ``verbose`` (0, 1 or 2) overrides ``fit``'s. Keras 2's
    ``count_mode`` and ``stateful_metrics`` are gone in Keras 3 and here.
    """

    def __init__(self, verbose=None):
        super().__init__()
        self._fixed_verbose = None if verbose is None else verbosity("verbose", verbose, (0, 1, 2))
        self.verbose = 1 if verbose is None else self._fixed_verbose
        self.epochs = 1
        self.target = None
        self._bar = None

    def set_params(self, params):
        super().set_params(params)
        if self._fixed_verbose is None:
            verbose = params.get("verbose", 1)
            self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self._seen = 0
        # steps=None (a data source of unknown length): the bar's length is known when the epoch ends
        self._bar = Progbar(self.target or 0, verbose=self.verbose) if self.verbose else None

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is not None and self.target is not None:
            self._bar.update(self._seen, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            if self.target is None:
                self._bar.target = self._seen
            self._bar.finish(logs)
            self._bar = None
