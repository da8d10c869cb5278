"""Callbacks: hooks in Keras order, EarlyStopping, ModelCheckpoint, TerminateOnNaN, interrupts."""

import os

import numpy as np
import pytest
from test_models import tiny_data, tiny_model

from numcnn import callbacks
from numcnn.models import load_model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_hooks_run_in_keras_order():
    x, y, _ = tiny_data(10)
    recorder = Recorder()
    tiny_model().fit(x, y, batch_size=5, epochs=2, validation_split=0.2, callbacks=[recorder], verbose=0)
    keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 0",
        "batch_end 1",
        f"epoch_end 0 {keys}",
        "epoch_begin 1",
        "batch_end 0",
        "batch_end 1",
        f"epoch_end 1 {keys}",
        "train_end",
    ]
    assert recorder.params["epochs"] == 2 and recorder.params["steps"] == 2


def test_early_stopping_stops_and_restores_the_best_weights():
    x, y, _ = tiny_data(20)
    model = tiny_model()
    seen = []

    class FakeMonitor(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9][epoch]
            seen.append(model.get_weights())

    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, callbacks=[FakeMonitor(), stopper], verbose=0)
    assert len(history.history["loss"]) == 4  # best at epoch 1, two more without improvement
    assert stopper.stopped_epoch == 3
    for restored, best in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(restored, best)


def test_model_checkpoint_saves_best_only(tmp_path):
    x, y, _ = tiny_data(20)
    path = str(tmp_path / "ckpt-{epoch:02d}.npz")
    checkpoint = callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
    model = tiny_model()
    model.fit(x, y, epochs=3, callbacks=[checkpoint], verbose=0)
    files = sorted(os.listdir(tmp_path))
    assert files[0] == "ckpt-01.npz" and all(f.startswith("ckpt-") for f in files)
    latest = load_model(tmp_path / files[-1])
    assert len(latest.get_weights()) == len(model.get_weights())


class PoisonWeights(callbacks.Callback):
    """A fault: one weight turns NaN just before batch ``at`` of the first epoch."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.at and not self.model.history.history:
            self.model.layers[0].params["kernel"][0, 0, 0, 0] = np.nan


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    x, y, _ = tiny_data(20)
    model = tiny_model()
    seen = Recorder()
    with pytest.warns(RuntimeWarning, match="loss became nan at epoch 1, batch 2"):  # fit's own warning too
        history = model.fit(
            x,
            y,
            batch_size=5,
            epochs=3,
            callbacks=[PoisonWeights(2), callbacks.TerminateOnNaN(), seen],
            verbose=0,
        )
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert "batch_end 3" not in seen.calls
    assert len(history.history["loss"]) == 1


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_loss_without_the_callback_warns_once():
    x, y, _ = tiny_data(20)
    with pytest.warns(RuntimeWarning, match="The loss became nan at epoch 1, batch 0") as record:
        history = tiny_model().fit(x, y, batch_size=5, epochs=2, callbacks=[PoisonWeights(0)], verbose=0)
    assert len([w for w in record if "loss became" in str(w.message)]) == 1
    assert len(history.history["loss"]) == 2 and all(np.isnan(history.history["loss"]))


def test_keyboard_interrupt_keeps_model_and_history_consistent():
    x, y, _ = tiny_data(20)
    model = tiny_model()

    class CtrlC(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 1:
                self.weights = model.get_weights()
                self.iterations = model.optimizer.iterations
                raise KeyboardInterrupt

    ctrl_c = CtrlC()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=5, epochs=3, callbacks=[ctrl_c], verbose=0)
    assert model.history.history["loss"] and len(model.history.history["loss"]) == 1
    assert model.optimizer.iterations == ctrl_c.iterations == 6
    for a, b in zip(model.get_weights(), ctrl_c.weights):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, verbose=0)  # still usable


def test_reduce_lr_on_plateau_lowers_the_rate():
    x, y, _ = tiny_data(10)
    model = tiny_model()

    class Flat(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = 1.0

    reduce = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    history = model.fit(x, y, epochs=3, callbacks=[Flat(), reduce], verbose=0)
    assert model.optimizer.learning_rate == pytest.approx(0.001 * 0.25)
    assert history.history["learning_rate"][0] == pytest.approx(0.001)


@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_output_is_one_line_per_epoch_off_a_terminal(capsys, verbose):
    x, y, _ = tiny_data(10)
    tiny_model().fit(x, y, batch_size=2, epochs=2, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = [line for line in out.splitlines() if line.startswith("5/5")]
    assert len(lines) == 2 and "loss: " in lines[0] and "accuracy: " in lines[0]
