"""Callbacks as Keras 3 has them: CallbackList, LambdaCallback, LearningRateScheduler, CSVLogger,
ModelCheckpoint(save_freq=N), EarlyStopping/ReduceLROnPlateau semantics, and the unavailable ones."""

import csv

import numpy as np
import pytest
from test_models import tiny_data, tiny_model

from numcnn import callbacks, optimizers, schedules


class Flat(callbacks.Callback):
    """Logs ``val_loss`` from a fixed list, one value per epoch (so tests choose what is monitored)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


# -- CallbackList ----------------------------------------------------------------------------------
def test_callback_list_takes_keras_arguments_and_adds_history_once():
    model = tiny_model()
    own = callbacks.History()
    cbs = callbacks.CallbackList([own], add_history=True, add_progbar=True, model=model, verbose=0, epochs=2, steps=3)
    assert [type(cb).__name__ for cb in cbs.callbacks] == ["History", "ProgbarLogger"]
    assert model.history is own and own.params == {"verbose": 0, "epochs": 2, "steps": 3}
    seen = []
    cbs.append(callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs)))
    logs = {"loss": np.float32(0.5), "accuracy": np.float64(0.25)}
    cbs.on_epoch_end(0, logs)
    assert seen == [{"accuracy": 0.25, "loss": 0.5}] and type(seen[0]["loss"]) is float
    assert list(seen[0]) == ["accuracy", "loss"] and seen[0] is not logs  # a sorted copy, as Keras makes


def test_a_users_progbar_logger_replaces_fits_own(capsys):
    x, y, _ = tiny_data(10)
    tiny_model().fit(x, y, batch_size=5, epochs=2, verbose=2, callbacks=[callbacks.ProgbarLogger()])
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"]
    assert len([line for line in lines if line.startswith("2/2 - ")]) == 2


def test_no_epoch_header_for_a_single_epoch_as_in_keras_3(capsys):
    x, y, _ = tiny_data(10)
    tiny_model().fit(x, y, batch_size=5, epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/1" not in out and "2/2 - " in out


def test_keras_2_batch_hooks_still_run():
    x, y, _ = tiny_data(10)
    seen = []

    class Old(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    tiny_model().fit(x, y, batch_size=5, epochs=1, callbacks=[Old()], verbose=0)
    assert seen == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]


# -- LambdaCallback --------------------------------------------------------------------------------
def test_lambda_callback_calls_each_function_with_keras_arguments():
    x, y, _ = tiny_data(10)
    calls = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {logs['loss'] > 0}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_batch_end=lambda batch, logs: calls.append(f"keras2 {batch}"),
    )
    tiny_model().fit(x, y, batch_size=10, epochs=1, callbacks=[cb], verbose=0)
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_begin 0",
        "batch_end 0 True",  # the function replaces on_train_batch_end, so the Keras 2 alias is not reached
        "epoch_end 0 ['accuracy', 'loss']",
        "train_end",
    ]


def test_lambda_callback_refuses_misspelt_hooks_and_non_functions():
    with pytest.raises(TypeError, match="on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="'on_epoch_end': expected a function or None"):
        callbacks.LambdaCallback(on_epoch_end="print")


# -- LearningRateScheduler -------------------------------------------------------------------------
def test_learning_rate_scheduler_sets_the_rate_each_epoch_and_logs_it(capsys):
    x, y, _ = tiny_data(10)
    model = tiny_model()
    seen = []
    rates = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.learning_rate))
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else 0.01, verbose=1)
    history = model.fit(x, y, epochs=3, callbacks=[scheduler, rates], verbose=0)
    assert seen == [0.01, 0.005, 0.0025]
    assert history.history["learning_rate"] == [0.01, 0.005, 0.0025]
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.005." in capsys.readouterr().out


def test_a_one_argument_schedule_is_keras_2s_form():
    x, y, _ = tiny_data(10)
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("value", "error"),
    [(1, TypeError), ("0.1", TypeError), (None, TypeError), (np.float16(0.1), TypeError), (-0.1, ValueError)]
    + [(float("nan"), ValueError), (np.float32(np.inf), ValueError)],
)
def test_a_bad_schedule_output_raises_before_the_rate_changes(value, error):
    x, y, _ = tiny_data(10)
    model = tiny_model()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: value)
    with pytest.raises(error, match="Invalid value for argument 'schedule'.*returned it"):
        model.fit(x, y, epochs=1, callbacks=[scheduler], verbose=0)
    assert model.optimizer.learning_rate == 0.001 and model.optimizer.iterations == 0


def test_a_type_error_inside_the_schedule_is_not_swallowed():
    def schedule(epoch, lr):
        return lr + "oops"

    x, y, _ = tiny_data(10)
    with pytest.raises(TypeError, match="unsupported operand"):
        tiny_model().fit(x, y, epochs=1, callbacks=[callbacks.LearningRateScheduler(schedule)], verbose=0)


def test_a_learning_rate_schedule_object_is_not_overwritten():
    x, y, _ = tiny_data(10)
    model = tiny_model(optimizer=optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.5)))
    with pytest.raises(TypeError, match="not settable"):
        model.fit(x, y, epochs=1, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: 0.1)], verbose=0)
    assert isinstance(model.optimizer.learning_rate, schedules.LearningRateSchedule)


# -- CSVLogger -------------------------------------------------------------------------------------
def read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_keras_columns_and_the_history(tmp_path):
    x, y, _ = tiny_data(20)
    path = tmp_path / "log.csv"
    history = tiny_model().fit(x, y, epochs=2, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)], verbose=0)
    rows = read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1"]
    for i, key in enumerate(rows[0][1:], start=1):
        assert [float(row[i]) for row in rows[1:]] == history.history[key]  # repr round-trips exactly


def test_csv_logger_adds_na_validation_columns_and_appends(tmp_path):
    # Keras 3.15 wrote 'epoch;loss;mae;val_loss;val_mae' then rows ending ';NA;NA' for this call pattern.
    x, y, _ = tiny_data(10)
    path = tmp_path / "log.csv"
    model = tiny_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "0", "1"] and all(row[3:] == ["NA", "NA"] for row in rows[1:])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])  # append=False overwrites
    assert len(read_csv(path)) == 2


def test_csv_logger_rows_are_on_disk_before_training_ends(tmp_path):
    x, y, _ = tiny_data(10)
    path = tmp_path / "log.csv"
    seen = []
    peek = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(len(read_csv(path))))
    tiny_model().fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(path), peek])
    assert seen == [0, 2, 3]  # nothing, then the header and each finished epoch


@pytest.mark.parametrize(("kwargs", "error"), [({"separator": ";;"}, ValueError), ({"separator": 1}, TypeError)])
def test_csv_logger_checks_its_arguments(tmp_path, kwargs, error):
    with pytest.raises(error, match="'separator'"):
        callbacks.CSVLogger(tmp_path / "log.csv", **kwargs)
    with pytest.raises(ValueError, match="'filename'.*folder"):
        callbacks.CSVLogger(tmp_path)


# -- ModelCheckpoint -------------------------------------------------------------------------------
def test_model_checkpoint_every_n_batches_counts_across_epochs(tmp_path):
    x, y, _ = tiny_data(20)
    path = str(tmp_path / "ckpt-{epoch}-{batch}.npz")
    checkpoint = callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=3)
    tiny_model().fit(x, y, batch_size=5, epochs=2, callbacks=[checkpoint], verbose=0)  # 4 batches an epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-1-3.npz", "ckpt-2-2.npz"]


def test_model_checkpoint_threshold_and_missing_monitor(tmp_path):
    x, y, _ = tiny_data(10)
    first = callbacks.ModelCheckpoint(str(tmp_path / "a.npz"), monitor="loss", save_best_only=True)
    below = callbacks.ModelCheckpoint(
        str(tmp_path / "b.npz"), monitor="loss", save_best_only=True, initial_value_threshold=0.0
    )
    missing = callbacks.ModelCheckpoint(str(tmp_path / "c.npz"), monitor="val_loss", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        tiny_model().fit(x, y, epochs=1, callbacks=[first, below, missing], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "c.npz"]  # no loss is below 0


@pytest.mark.parametrize(("save_freq", "error"), [("batch", ValueError), (0, ValueError), (1.5, TypeError)])
def test_model_checkpoint_save_freq_is_epoch_or_a_positive_count(save_freq, error):
    with pytest.raises(error, match="'save_freq'"):
        callbacks.ModelCheckpoint("m.npz", save_freq=save_freq)


# -- EarlyStopping, ReduceLROnPlateau, TerminateOnNaN ------------------------------------------------
def test_early_stopping_restores_the_best_weights_even_without_stopping():
    x, y, _ = tiny_data(10)
    model = tiny_model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    stopper = callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x, y, epochs=3, callbacks=[Flat([0.5, 0.3, 0.4]), record, stopper], verbose=0)
    assert stopper.stopped_epoch == 0 and stopper.best_epoch == 1  # Keras 2 would keep the last weights
    for restored, best in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_baseline_only_gates_the_patience():
    x, y, _ = tiny_data(10)
    model = tiny_model()
    stopper = callbacks.EarlyStopping(patience=2, baseline=0.5, restore_best_weights=True)
    model.fit(x, y, epochs=4, callbacks=[Flat([0.9, 0.95, 0.8, 0.1]), stopper], verbose=0)
    assert stopper.stopped_epoch == 1 and stopper.best == 0.9  # best tracks values above the baseline too
    assert stopper.best_weights is not None


def test_mode_auto_follows_the_metric_and_refuses_unknown_names_before_training():
    assert callbacks.EarlyStopping(monitor="val_accuracy")._resolve_direction() == "max"
    assert callbacks.EarlyStopping(monitor="val_mae")._resolve_direction() == "min"
    assert callbacks.ModelCheckpoint("m.npz", monitor="auc_2")._resolve_direction() == "max"
    x, y, _ = tiny_data(10)
    model = tiny_model()
    with pytest.raises(ValueError, match="monitor=val_score.*mode='max'"):
        model.fit(x, y, epochs=1, callbacks=[callbacks.EarlyStopping(monitor="val_score")], verbose=0)
    assert model.optimizer.iterations == 0


def test_mode_auto_reads_a_metric_objects_direction():
    class Metric:
        name, _direction = "score", "up"

    class Model:
        metrics = [Metric()]

    stopper = callbacks.EarlyStopping(monitor="val_score")
    stopper.set_model(Model())
    assert stopper._resolve_direction() == "max"


def test_reduce_lr_on_plateau_stops_at_min_lr(capsys):
    x, y, _ = tiny_data(10)
    model = tiny_model()
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.0004, verbose=1)
    history = model.fit(x, y, epochs=4, callbacks=[Flat([1.0] * 4), reduce], verbose=0)
    # each epoch logs the rate it trained with, before the reduction at its end
    assert history.history["learning_rate"] == [0.001, 0.001, 0.0005, 0.0004]
    assert model.optimizer.learning_rate == 0.0004
    out = capsys.readouterr().out
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.0005." in out and out.count("reducing") == 2


def test_reduce_lr_on_plateau_keyword_arguments():
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        assert callbacks.ReduceLROnPlateau(epsilon=0.01).min_delta == 0.01
    with pytest.raises(TypeError, match="unexpected keyword argument.*patienc"):
        callbacks.ReduceLROnPlateau(patienc=3)


def test_terminate_on_nan_can_raise_without_running_on_train_end():
    x, y, _ = tiny_data(10)
    model = tiny_model()
    ended = []

    class Poison(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            model.layers[0].params["kernel"][0, 0, 0, 0] = np.nan

    cbs = [Poison(), callbacks.TerminateOnNaN(raise_error=True), callbacks.LambdaCallback(on_train_end=ended.append)]
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"), pytest.warns(RuntimeWarning):
        model.fit(x, y, batch_size=5, epochs=2, callbacks=cbs, verbose=0)
    assert ended == []


# -- not available in numcnn ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "instead"),
    [
        ("TensorBoard", {"log_dir": "logs", "histogram_freq": 1}, "CSVLogger"),
        ("RemoteMonitor", {"root": "http://localhost:9000"}, "LambdaCallback"),
        ("SwapEMAWeights", {}, "LambdaCallback"),
        ("OrbaxCheckpoint", {"directory": "ckpt"}, "BackupAndRestore"),
    ],
)
def test_unavailable_callbacks_say_so_when_built(name, kwargs, instead):
    cls = getattr(callbacks, name)
    assert issubclass(cls, callbacks.Callback)
    with pytest.raises(NotImplementedError, match=f"{name} is not available in numcnn.*{instead}"):
        cls(**kwargs)
