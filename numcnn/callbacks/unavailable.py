"""Keras callbacks that numcnn does not have, as classes that say so when built (never silent no-ops)."""

from __future__ import annotations

from numcnn.callbacks.callback import Callback


class _Unavailable(Callback):
    """Building one raises ``NotImplementedError`` with ``_why`` and ``_instead``."""

    _why = ""
    _instead = ""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"keras.callbacks.{type(self).__name__} is not available in numcnn: {self._why}. {self._instead}"
        )


class TensorBoard(_Unavailable):
    """Not available: TensorBoard reads TensorFlow event files, which numcnn cannot write without TensorFlow."""

    _why = "it writes TensorFlow event files for TensorBoard, and numcnn runs without TensorFlow"
    _instead = (
        "Instead, log every epoch with numcnn.callbacks.CSVLogger('training.csv') and plot it (pandas, a "
        "spreadsheet, or numcnn.plotting.plot_history(history, 'curves.png') with the History that fit returns)"
    )


class RemoteMonitor(_Unavailable):
    """Not available: numcnn does not post to servers (Keras needs ``requests`` for it)."""

    _why = "it posts each epoch's logs to an HTTP server, and numcnn makes no network requests"
    _instead = (
        "Instead, send them yourself: numcnn.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: "
        "post(epoch, logs)) with the HTTP client of your choice"
    )


class SwapEMAWeights(_Unavailable):
    """Not available: numcnn's optimizers keep no exponential moving average of the weights."""

    _why = "numcnn's optimizers have no use_ema option, so there are no averaged weights to swap in"
    _instead = "Evaluate the model's own weights, or keep an average yourself in a LambdaCallback"


class OrbaxCheckpoint(_Unavailable):
    """Not available: Orbax is a JAX checkpointing library."""

    _why = "it saves through Orbax, a JAX library"
    _instead = (
        "Instead, use numcnn.callbacks.ModelCheckpoint(filepath) or numcnn.callbacks.BackupAndRestore(backup_dir)"
    )
